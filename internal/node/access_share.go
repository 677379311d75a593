package node

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/shoal-p2p/shoal/internal/access"
	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/store"
)

// SealContent seals the content at path, which plain describes
// (store.BuildManifest), under key, and returns the manifest to share it
// with (Config.Manifest, with AccessConfig.ContentKey = key): the same
// files, piece hashes over the ciphertext and a tag per piece. key must
// never seal other content (docs/private.md): each piece is checked
// against plain as it is read, so content that changed since it was hashed
// is an error, not other plaintext under the same nonces.
//
// With export set, the ciphertext is also written below export in the
// content's layout (export/Name), for a web seed to serve; an export that
// would overlap path is refused. progress, if not nil, is called with the
// bytes sealed so far and the total. Cancelling ctx stops the work.
func SealContent(ctx context.Context, path string, plain *piece.Manifest, key access.Key, export string, progress func(done, total int64)) (*piece.Manifest, error) {
	src, err := store.OpenShare(path, plain)
	if err != nil {
		return nil, fmt.Errorf("node: seal %s: %w", path, err)
	}
	defer src.Close()
	var dst *store.Disk
	if export != "" {
		if dst, err = openExport(path, export, plain); err != nil {
			return nil, err
		}
		defer dst.Close()
	}
	m := *plain
	m.Pieces, m.Tags = make([]piece.Hash, plain.NumPieces()), make([]piece.Tag, plain.NumPieces())
	buf := make([]byte, plain.PieceSize+piece.TagSize)
	for i := range m.Pieces {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := sealPiece(&m, plain, i, key, buf, src, dst); err != nil {
			return nil, fmt.Errorf("node: seal %s: %w", path, err)
		}
		if progress != nil {
			progress(m.PieceOffset(i)+m.PieceLen(i), m.Length())
		}
	}
	if dst != nil {
		if err := dst.Sync(); err != nil { // also creates the zero-length files
			return nil, fmt.Errorf("node: export: %w", err)
		}
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("node: seal %s: %w", path, err)
	}
	return &m, nil
}

// sealPiece reads piece i of src into buf, checks it against plain, seals
// it and records its hash and tag in m, and writes the ciphertext to dst
// if set.
func sealPiece(m, plain *piece.Manifest, i int, key access.Key, buf []byte, src store.Storage, dst *store.Disk) error {
	n := plain.PieceLen(i)
	p := buf[:n]
	if _, err := src.ReadAt(p, plain.PieceOffset(i)); err != nil {
		return err
	}
	if !piece.VerifyPiece(plain.Pieces[i], p) {
		return fmt.Errorf("piece %d changed since the content was hashed", i)
	}
	sealed := access.SealPiece(key, i, p[:0], p)
	m.Pieces[i] = piece.HashBytes(sealed[:n])
	copy(m.Tags[i][:], sealed[n:])
	if dst != nil {
		if _, err := dst.WriteAt(sealed[:n], plain.PieceOffset(i)); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	return nil
}

// openExport opens export for writing m's ciphertext, refusing a target
// (export/Name) that is the content at path, inside it, or holds it.
func openExport(path, export string, m *piece.Manifest) (*store.Disk, error) {
	if err := os.MkdirAll(export, 0o755); err != nil {
		return nil, fmt.Errorf("node: export: %w", err)
	}
	dir, err := realPath(export)
	if err != nil {
		return nil, fmt.Errorf("node: export: %w", err)
	}
	src, err := realPath(path)
	if err != nil {
		return nil, fmt.Errorf("node: seal: %w", err)
	}
	if target := filepath.Join(dir, m.Name); within(target, src) || within(src, target) {
		return nil, fmt.Errorf("node: export %s: it would overwrite the content being shared (%s); choose another folder", target, src)
	}
	d, err := store.OpenDisk(export, m, false)
	if err != nil {
		return nil, fmt.Errorf("node: export: %w", err)
	}
	return d, nil
}

// realPath returns p absolute, with symbolic links resolved.
func realPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

// within reports whether path p is dir or below it.
func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, string(filepath.Separator))+string(filepath.Separator))
}

package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/shoal-p2p/shoal/internal/piece"
)

// buildBufferSize is the read size BuildManifest streams files with.
const buildBufferSize = 1 << 20

// ErrNotRegular is wrapped by BuildManifest's error for a symbolic link,
// device, socket or pipe in the content: "store: build manifest: PATH: not
// a regular file".
var ErrNotRegular = errors.New("not a regular file")

// BuildManifest describes the file or directory at path. A regular file
// gives a single-file manifest; a directory gives a folder manifest of every
// regular file below it, with slash-separated paths sorted bytewise.
// Empty directories are not recorded. Symbolic links, devices, sockets and
// pipes are refused with an error naming them and wrapping ErrNotRegular;
// content of zero bytes is refused with ErrEmpty. pieceSize 0 chooses one
// with piece.ChoosePieceSize; otherwise it must be a power of two between
// piece.MinPieceSize and piece.MaxPieceSize (ErrBadPieceSize). Content that
// no valid manifest can describe (such as a backslash in a file name) is
// refused with an error wrapping piece.ErrBadManifest.
//
// The files are read in order and hashed; progress, if not nil, is called
// with bytes hashed so far and the total. Cancelling ctx stops the work.
func BuildManifest(ctx context.Context, path string, pieceSize int64, progress func(done, total int64)) (*piece.Manifest, error) {
	if pieceSize != 0 && (pieceSize < piece.MinPieceSize || pieceSize > piece.MaxPieceSize || pieceSize&(pieceSize-1) != 0) {
		return nil, fmt.Errorf("store: build manifest: %w: %d", ErrBadPieceSize, pieceSize)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store: build manifest: %w", err)
	}
	m := &piece.Manifest{Name: filepath.Base(abs)}
	if !isElem(m.Name) {
		return nil, fmt.Errorf("store: build manifest: %s: cannot share a file system root", path)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, fmt.Errorf("store: build manifest: %w", err)
	}
	switch {
	case fi.Mode().IsRegular():
		m.Files = []piece.File{{Path: m.Name, Size: fi.Size()}}
	case fi.IsDir():
		m.Dir = true
		if m.Files, err = listFiles(path); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("store: build manifest: %s: %w", path, ErrNotRegular)
	}
	total := m.Length()
	if total == 0 {
		return nil, fmt.Errorf("%w: %s", ErrEmpty, path)
	}
	m.PieceSize = pieceSize
	if m.PieceSize == 0 {
		m.PieceSize = piece.ChoosePieceSize(total)
	}
	// Check names and limits before reading what may be many gigabytes.
	m.Pieces = make([]piece.Hash, (total+m.PieceSize-1)/m.PieceSize)
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("store: build manifest: %s: %w", path, err)
	}
	if m.Pieces, err = hashFiles(ctx, path, m, progress); err != nil {
		return nil, err
	}
	return m, nil
}

// listFiles returns every regular file below dir, sorted by slash path.
func listFiles(dir string) ([]piece.File, error) {
	var files []piece.File
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			return nil
		}
		if !e.Type().IsRegular() {
			return fmt.Errorf("%s: %w", p, ErrNotRegular)
		}
		fi, err := e.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		files = append(files, piece.File{Path: filepath.ToSlash(rel), Size: fi.Size()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: build manifest: %w", err)
	}
	slices.SortFunc(files, func(a, b piece.File) int { return strings.Compare(a.Path, b.Path) })
	return files, nil
}

// hashFiles streams m's files below path through a piece hasher.
func hashFiles(ctx context.Context, path string, m *piece.Manifest, progress func(done, total int64)) ([]piece.Hash, error) {
	h := piece.NewHasher(m.PieceSize)
	buf := make([]byte, buildBufferSize)
	var done int64
	total := m.Length()
	for _, f := range m.Files {
		p := path
		if m.Dir {
			p = filepath.Join(path, filepath.FromSlash(f.Path))
		}
		err := hashFile(p, f.Size, buf, func(b []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			h.Write(b)
			done += int64(len(b))
			if progress != nil {
				progress(done, total)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("store: build manifest: %w", err)
		}
	}
	return h.Sum(), nil
}

// hashFile reads exactly size bytes of the file at p, handing each buffer
// full to emit, and fails if the file is not that size any more.
func hashFile(p string, size int64, buf []byte, emit func([]byte) error) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	for left := size; left > 0; {
		n, err := io.ReadFull(f, buf[:min(left, int64(len(buf)))])
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%s: file shrank while reading", p)
		}
		if err != nil {
			return err
		}
		if err := emit(buf[:n]); err != nil {
			return err
		}
		left -= int64(n)
	}
	if n, _ := f.Read(buf[:1]); n > 0 {
		return fmt.Errorf("%s: file grew while reading", p)
	}
	return nil
}

// OpenShare returns read-only storage for content described by m, built
// from path by BuildManifest: a Disk rooted at path's parent directory.
func OpenShare(path string, m *piece.Manifest) (*Disk, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store: open share: %w", err)
	}
	if filepath.Base(abs) != m.Name {
		return nil, fmt.Errorf("store: open share: %w: name %q does not match %s", piece.ErrBadManifest, m.Name, path)
	}
	return OpenDisk(filepath.Dir(abs), m, true)
}

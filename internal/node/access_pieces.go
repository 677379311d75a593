package node

import (
	"fmt"

	"github.com/shoal-p2p/shoal/internal/access"
	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/store"
)

// The pieces of a sealed file share (docs/private.md) are AES-256-GCM
// ciphertext everywhere but on an owner's or member's disk: the manifest's
// piece hashes are over the ciphertext, so the engine, peers and web seeds
// handle it exactly as public content. sealedStorage is the seam: over the
// plaintext files, it seals what the engine reads (to serve or to verify)
// and opens what it writes.

// pieceWriter is storage that takes a verified piece whole, as sealed
// storage must: a piece opens (GCM) only whole.
type pieceWriter interface {
	WritePiece(index int, blocks [][]byte) error
}

// sealedStorage shows plaintext storage as the content's ciphertext under
// key. Reads return ciphertext (any range; each piece's key stream starts
// at its offset); writes take ciphertext pieces, check them against their
// tag in the manifest and store the plaintext. It is safe for concurrent
// use as the storage beneath is.
type sealedStorage struct {
	plain store.Storage
	m     *piece.Manifest // sealed: the layout and every piece's tag
	key   access.Key
}

var (
	_ store.Storage = (*sealedStorage)(nil)
	_ pieceWriter   = (*sealedStorage)(nil)
)

// sealed returns s seen through the content key when m is sealed, else s.
// c.key must be known for sealed content.
func (c *content) sealed(m *piece.Manifest, s store.Storage) store.Storage {
	if !m.Sealed() {
		return s
	}
	return &sealedStorage{plain: s, m: m, key: *c.key}
}

// ReadAt reads plaintext and returns its ciphertext.
func (s *sealedStorage) ReadAt(p []byte, off int64) (int, error) {
	n, err := s.plain.ReadAt(p, off)
	s.xor(p[:n], off)
	return n, err
}

// xor encrypts (or decrypts) p, the content at off, in place, piece by
// piece.
func (s *sealedStorage) xor(p []byte, off int64) {
	for len(p) > 0 {
		i := int(off / s.m.PieceSize)
		in := off - s.m.PieceOffset(i)
		k := min(int64(len(p)), s.m.PieceLen(i)-in)
		access.XORPiece(s.key, i, in, p[:k], p[:k])
		p, off = p[k:], off+k
	}
}

// WriteAt takes exactly one whole ciphertext piece (see WritePiece).
func (s *sealedStorage) WriteAt(p []byte, off int64) (int, error) {
	i := int(off / s.m.PieceSize)
	if off < 0 || off%s.m.PieceSize != 0 || i >= s.m.NumPieces() || int64(len(p)) != s.m.PieceLen(i) {
		return 0, fmt.Errorf("node: sealed storage: write of %d bytes at %d: want one whole piece: %w", len(p), off, piece.ErrOutOfRange)
	}
	if err := s.WritePiece(i, [][]byte{p}); err != nil {
		return 0, err
	}
	return len(p), nil
}

// WritePiece opens ciphertext piece index, given as blocks, with its tag
// from the manifest and writes the plaintext. A piece that does not open
// (the key is wrong: its bytes were verified against the manifest first)
// writes nothing and fails with access.ErrDecrypt. blocks are not changed.
func (s *sealedStorage) WritePiece(index int, blocks [][]byte) error {
	if index < 0 || index >= s.m.NumPieces() {
		return fmt.Errorf("node: sealed storage: piece %d of %d: %w", index, s.m.NumPieces(), piece.ErrOutOfRange)
	}
	n := s.m.PieceLen(index)
	buf := make([]byte, 0, n+piece.TagSize)
	for _, b := range blocks {
		buf = append(buf, b...)
	}
	if int64(len(buf)) != n {
		return fmt.Errorf("node: sealed storage: piece %d of %d bytes, want %d", index, len(buf), n)
	}
	buf = append(buf, s.m.Tags[index][:]...)
	plain, err := access.OpenPiece(s.key, index, buf[:0], buf)
	if err != nil {
		return fmt.Errorf("node: the content key does not open this content: %w", err)
	}
	_, err = s.plain.WriteAt(plain, s.m.PieceOffset(index))
	return err
}

// Close closes the storage beneath.
func (s *sealedStorage) Close() error { return s.plain.Close() }

// checkSealed checks, for sealed content, that s (the plaintext seen
// through the key) gives the first piece of m: a wrong key, or a changed
// file, is a clear error at once instead of bad pieces for every member.
func checkSealed(m *piece.Manifest, s store.Storage) error {
	if !m.Sealed() {
		return nil
	}
	buf := make([]byte, m.PieceLen(0))
	if _, err := s.ReadAt(buf, 0); err != nil {
		return err
	}
	if !piece.VerifyPiece(m.Pieces[0], buf) {
		return fmt.Errorf("%w: the content key does not match the sealed manifest, or the content changed since it was sealed", ErrConfig)
	}
	return nil
}

package node

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoal-p2p/shoal/internal/access"
	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/store"
)

// sealedFile writes a plaintext file of size bytes and seals it with key,
// exporting the ciphertext; it returns the plaintext, the ciphertext and
// the sealed manifest.
func sealedFile(t *testing.T, size int, key access.Key) (plain, sealed []byte, m *piece.Manifest) {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, filepath.Join(dir, "src"), map[string]int{"f.bin": size})
	src := filepath.Join(dir, "src", "f.bin")
	m, err := SealContent(context.Background(), src, buildManifest(t, src, piece.MinPieceSize), key, filepath.Join(dir, "web"), nil)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ = os.ReadFile(src)
	sealed, _ = os.ReadFile(filepath.Join(dir, "web", "f.bin"))
	return plain, sealed, m
}

func TestSealedStorage(t *testing.T) {
	key := access.Key{5}
	plain, sealed, m := sealedFile(t, 5*piece.MinPieceSize+123, key)
	if len(sealed) != len(plain) || bytes.Equal(sealed[:64], plain[:64]) {
		t.Fatalf("exported %d bytes for %d of plaintext, want as many, encrypted", len(sealed), len(plain))
	}
	mem := store.NewMemory(m.Length())
	mem.WriteAt(plain, 0)
	s := &sealedStorage{plain: mem, m: m, key: key}
	for _, r := range []struct{ off, n int }{{0, len(plain)}, {1, 10}, {piece.MinPieceSize - 5, 10}, {3*piece.MinPieceSize + 17, piece.MinPieceSize}, {len(plain) - 1, 1}} {
		got := make([]byte, r.n)
		if _, err := s.ReadAt(got, int64(r.off)); err != nil || !bytes.Equal(got, sealed[r.off:r.off+r.n]) {
			t.Fatalf("ReadAt [%d,+%d): %v; want the ciphertext", r.off, r.n, err)
		}
	}

	out := store.NewMemory(m.Length())
	w := &sealedStorage{plain: out, m: m, key: key}
	for i := range m.NumPieces() {
		c := sealed[m.PieceOffset(i) : m.PieceOffset(i)+m.PieceLen(i)]
		if err := w.WritePiece(i, [][]byte{c[:100], c[100:]}); err != nil {
			t.Fatalf("WritePiece %d: %v", i, err)
		}
	}
	got := make([]byte, m.Length())
	out.ReadAt(got, 0)
	if !bytes.Equal(got, plain) {
		t.Fatal("pieces written through the seal are not the plaintext")
	}
}

func TestSealedStorageRefuses(t *testing.T) {
	key := access.Key{6}
	_, sealed, m := sealedFile(t, 3*piece.MinPieceSize, key)
	piece1 := bytes.Clone(sealed[piece.MinPieceSize : 2*piece.MinPieceSize])
	tampered := bytes.Clone(piece1)
	tampered[7] ^= 1
	tests := []struct {
		name  string
		key   access.Key
		index int
		data  []byte
		want  error
	}{
		{"wrong key", access.Key{7}, 1, piece1, access.ErrDecrypt},
		{"tampered ciphertext", key, 1, tampered, access.ErrDecrypt},
		{"another piece's place", key, 2, piece1, access.ErrDecrypt},
		{"short piece", key, 1, piece1[1:], nil},
		{"no such piece", key, 3, piece1, piece.ErrOutOfRange},
	}
	for _, tt := range tests {
		mem := store.NewMemory(m.Length())
		err := (&sealedStorage{plain: mem, m: m, key: tt.key}).WritePiece(tt.index, [][]byte{tt.data})
		if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("%s: WritePiece = %v, want an error wrapping %v", tt.name, err, tt.want)
		}
		got := make([]byte, m.Length())
		mem.ReadAt(got, 0)
		if !bytes.Equal(got, make([]byte, m.Length())) {
			t.Errorf("%s: the refused piece was written", tt.name)
		}
	}
	s := &sealedStorage{plain: store.NewMemory(m.Length()), m: m, key: key}
	if _, err := s.WriteAt(piece1[:100], piece.MinPieceSize); !errors.Is(err, piece.ErrOutOfRange) {
		t.Errorf("WriteAt of part of a piece: got %v, want ErrOutOfRange", err)
	}
	if n, err := s.WriteAt(piece1, piece.MinPieceSize); err != nil || n != len(piece1) {
		t.Errorf("WriteAt of a whole piece: got %d, %v, want %d, nil", n, err, len(piece1))
	}
}

func TestSealContent(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src", "album")
	writeFiles(t, src, map[string]int{"a.bin": 60_000, "b/c.bin": 40_000})
	plain := buildManifest(t, src, piece.MinPieceSize)
	ctx := context.Background()
	a, err := SealContent(ctx, src, plain, access.Key{1}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := SealContent(ctx, src, plain, access.Key{1}, "", nil)
	other, _ := SealContent(ctx, src, plain, access.Key{2}, "", nil)
	if a.ID() != again.ID() || a.ID() == other.ID() || a.ID() == plain.ID() || !a.Sealed() {
		t.Fatal("sealed manifest IDs: want the same for the same key, another for another key or no sealing")
	}
	file := filepath.Join(src, "a.bin")
	before, _ := os.ReadFile(file)
	for _, export := range []string{filepath.Join(dir, "src"), filepath.Join(src, "b")} {
		if _, err := SealContent(ctx, src, plain, access.Key{1}, export, nil); err == nil || !strings.Contains(err.Error(), "overwrite the content") {
			t.Errorf("export to %s: got %v, want a refusal", export, err)
		}
	}
	if after, _ := os.ReadFile(file); !bytes.Equal(after, before) {
		t.Fatal("a refused export changed the source")
	}
	os.WriteFile(file, append(before[:30_000:30_000], make([]byte, 30_000)...), 0o644)
	if _, err := SealContent(ctx, src, plain, access.Key{1}, "", nil); err == nil || !strings.Contains(err.Error(), "changed since") {
		t.Errorf("sealing content that changed since it was hashed: got %v, want an error", err)
	}
}

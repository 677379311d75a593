package store

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/shoal-p2p/shoal/internal/piece"
)

// testPieceSize is the piece size of the test manifests.
const testPieceSize = piece.MinPieceSize

// randomBytes returns n deterministic pseudo-random bytes.
func randomBytes(n int64, seed byte) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{seed}).Read(b)
	return b
}

// newManifest returns a manifest for files and content for it.
func newManifest(name string, dir bool, pieceSize int64, files ...piece.File) (*piece.Manifest, []byte) {
	m := &piece.Manifest{Name: name, Dir: dir, PieceSize: pieceSize, Files: files}
	data := randomBytes(m.Length(), byte(len(files)))
	h := piece.NewHasher(pieceSize)
	h.Write(data)
	m.Pieces = h.Sum()
	return m, data
}

// folderManifest is three files, one of them empty, in 11 pieces; piece 6
// spans the boundary between a.bin and sub/c.bin.
func folderManifest() (*piece.Manifest, []byte) {
	return newManifest("album", true, testPieceSize,
		piece.File{Path: "a.bin", Size: 100000},
		piece.File{Path: "empty", Size: 0},
		piece.File{Path: "sub/c.bin", Size: 70000})
}

// singleManifest is one file in 4 pieces, the last one short.
func singleManifest() (*piece.Manifest, []byte) {
	return newManifest("movie.bin", false, testPieceSize,
		piece.File{Path: "movie.bin", Size: 3*testPieceSize + 100})
}

// writeAll writes data to s in chunks that do not line up with pieces or
// file boundaries.
func writeAll(t testing.TB, s Storage, data []byte) {
	t.Helper()
	for off := 0; off < len(data); off += 7000 {
		end := min(off+7000, len(data))
		if n, err := s.WriteAt(data[off:end], int64(off)); err != nil || n != end-off {
			t.Fatalf("WriteAt(%d bytes at %d) = %d, %v; want %d, nil", end-off, off, n, err, end-off)
		}
	}
}

// writePieces writes the pieces of data for which keep returns true.
func writePieces(t testing.TB, s Storage, m *piece.Manifest, data []byte, keep func(int) bool) {
	t.Helper()
	for i := range m.Pieces {
		if !keep(i) {
			continue
		}
		off := m.PieceOffset(i)
		if _, err := s.WriteAt(data[off:off+m.PieceLen(i)], off); err != nil {
			t.Fatalf("WriteAt(piece %d): %v", i, err)
		}
	}
}

// opener returns new, empty, writable storage for m.
type opener func(t *testing.T, m *piece.Manifest) Storage

// testStorage is the conformance suite every Storage passes.
func testStorage(t *testing.T, open opener) {
	t.Run("ReadBack", func(t *testing.T) { testReadBack(t, open) })
	t.Run("WriteAcrossFiles", func(t *testing.T) { testWriteAcrossFiles(t, open) })
	t.Run("OutOfRange", func(t *testing.T) { testOutOfRange(t, open) })
	t.Run("ConcurrentWrites", func(t *testing.T) { testConcurrentWrites(t, open) })
	t.Run("Closed", func(t *testing.T) { testClosed(t, open) })
}

func testReadBack(t *testing.T, open opener) {
	m, data := folderManifest()
	s := open(t, m)
	writeAll(t, s, data)
	tests := []struct {
		name   string
		off, n int64
	}{
		{"all", 0, m.Length()},
		{"first byte", 0, 1},
		{"within first file", 5, 100},
		{"across files and the empty one", 99990, 20},
		{"end of first file", 99999, 1},
		{"start of last file", 100000, 1},
		{"last byte", m.Length() - 1, 1},
		{"nothing at end", m.Length(), 0},
	}
	for _, tt := range tests {
		got := make([]byte, tt.n)
		n, err := s.ReadAt(got, tt.off)
		if err != nil || int64(n) != tt.n {
			t.Errorf("%s: ReadAt = %d, %v; want %d, nil", tt.name, n, err, tt.n)
			continue
		}
		if !bytes.Equal(got, data[tt.off:tt.off+tt.n]) {
			t.Errorf("%s: read bytes differ from those written", tt.name)
		}
	}
}

func testWriteAcrossFiles(t *testing.T, open opener) {
	m, data := folderManifest()
	s := open(t, m)
	want := data[99990:100010]
	if n, err := s.WriteAt(want, 99990); err != nil || n != len(want) {
		t.Fatalf("WriteAt = %d, %v; want %d, nil", n, err, len(want))
	}
	got := make([]byte, len(want))
	if n, err := s.ReadAt(got, 99990); err != nil || n != len(want) {
		t.Fatalf("ReadAt = %d, %v; want %d, nil", n, err, len(want))
	}
	if !bytes.Equal(got, want) {
		t.Errorf("got %x, want %x", got, want)
	}
}

func testOutOfRange(t *testing.T, open opener) {
	m, _ := folderManifest()
	s := open(t, m)
	size := m.Length()
	tests := []struct {
		name   string
		off, n int64
	}{
		{"negative offset", -1, 1},
		{"starts at end", size, 1},
		{"runs past end", size - 1, 2},
		{"empty past end", size + 1, 0},
		{"longer than content", 0, size + 1},
	}
	for _, tt := range tests {
		buf := make([]byte, tt.n)
		for op, f := range map[string]func([]byte, int64) (int, error){"ReadAt": s.ReadAt, "WriteAt": s.WriteAt} {
			n, err := f(buf, tt.off)
			if n != 0 || !errors.Is(err, piece.ErrOutOfRange) {
				t.Errorf("%s: %s = %d, %v; want 0, %v", tt.name, op, n, err, piece.ErrOutOfRange)
			}
		}
	}
}

func testConcurrentWrites(t *testing.T, open opener) {
	m, data := folderManifest()
	s := open(t, m)
	var wg sync.WaitGroup
	for i := range m.Pieces {
		wg.Go(func() {
			off := m.PieceOffset(i)
			if _, err := s.WriteAt(data[off:off+m.PieceLen(i)], off); err != nil {
				t.Errorf("WriteAt(piece %d): %v", i, err)
			}
		})
	}
	wg.Wait()
	var rg sync.WaitGroup
	for i := range m.Pieces {
		rg.Go(func() {
			off := m.PieceOffset(i)
			got := make([]byte, m.PieceLen(i))
			if _, err := s.ReadAt(got, off); err != nil {
				t.Errorf("ReadAt(piece %d): %v", i, err)
			}
			if !piece.VerifyPiece(m.Pieces[i], got) {
				t.Errorf("piece %d: got bytes that do not match its hash", i)
			}
		})
	}
	rg.Wait()
}

func testClosed(t *testing.T, open opener) {
	m, data := folderManifest()
	s := open(t, m)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	if _, err := s.WriteAt(data[:10], 0); !errors.Is(err, ErrClosed) {
		t.Errorf("WriteAt after Close: got %v, want %v", err, ErrClosed)
	}
	if _, err := s.ReadAt(make([]byte, 10), 0); !errors.Is(err, ErrClosed) {
		t.Errorf("ReadAt after Close: got %v, want %v", err, ErrClosed)
	}
}

func TestMemory(t *testing.T) {
	testStorage(t, func(t *testing.T, m *piece.Manifest) Storage {
		return NewMemory(m.Length())
	})
}

func TestDisk(t *testing.T) {
	for _, maxOpen := range []int{defaultMaxOpen, 1} {
		t.Run(map[bool]string{true: "DefaultCache", false: "OneHandle"}[maxOpen == defaultMaxOpen], func(t *testing.T) {
			testStorage(t, func(t *testing.T, m *piece.Manifest) Storage {
				d, err := OpenDisk(t.TempDir(), m, false)
				if err != nil {
					t.Fatalf("OpenDisk: %v", err)
				}
				d.maxOpen = maxOpen
				t.Cleanup(func() { d.Close() })
				return d
			})
		})
	}
}

package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/shoal-p2p/shoal/internal/piece"
)

// present returns the indexes of the pieces set in b.
func present(b piece.Bitfield) []int {
	var got []int
	for i := range b.Len() {
		if b.Has(i) {
			got = append(got, i)
		}
	}
	return got
}

// failingStorage is Memory whose reads at one offset fail.
type failingStorage struct {
	*Memory
	failAt int64
	err    error
}

func (s failingStorage) ReadAt(p []byte, off int64) (int, error) {
	if off == s.failAt {
		return 0, s.err
	}
	return s.Memory.ReadAt(p, off)
}

func TestVerify(t *testing.T) {
	m, data := folderManifest() // pieces 0-5 in a.bin, 6 across files, 7-10 in sub/c.bin
	memory := func(t *testing.T) Storage {
		s := NewMemory(m.Length())
		writeAll(t, s, data)
		return s
	}
	disk := func(t *testing.T, files map[string][]byte) Storage {
		root := t.TempDir()
		for p, b := range files {
			writeFile(t, filepath.Join(root, m.Name, p), b)
		}
		return openDisk(t, root, m, true)
	}
	tests := []struct {
		name    string
		storage func(t *testing.T) Storage
		want    []int
	}{
		{"complete", memory, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{"corrupt first, spanning and short last", func(t *testing.T) Storage {
			s := memory(t)
			for _, off := range []int64{0, 99999, m.Length() - 1} {
				s.WriteAt([]byte{^data[off]}, off)
			}
			return s
		}, []int{1, 2, 3, 4, 5, 7, 8, 9}},
		{"empty", func(t *testing.T) Storage { return NewMemory(m.Length()) }, nil},
		{"second file missing", func(t *testing.T) Storage {
			return disk(t, map[string][]byte{"a.bin": data[:100000]})
		}, []int{0, 1, 2, 3, 4, 5}},
		{"first file short", func(t *testing.T) Storage {
			return disk(t, map[string][]byte{"a.bin": data[:50000], "sub/c.bin": data[100000:]})
		}, []int{0, 1, 2, 7, 8, 9, 10}},
		{"no files at all", func(t *testing.T) Storage { return disk(t, nil) }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			have, err := Verify(context.Background(), m, tt.storage(t), nil)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got := present(have); !slices.Equal(got, tt.want) {
				t.Errorf("got pieces %v, want %v", got, tt.want)
			}
		})
	}
}

func TestVerifyReadError(t *testing.T) {
	m, data := folderManifest()
	mem := NewMemory(m.Length())
	writeAll(t, mem, data)
	boom := errors.New("disk on fire")
	s := failingStorage{Memory: mem, failAt: m.PieceOffset(4), err: boom}
	if _, err := Verify(context.Background(), m, s, nil); !errors.Is(err, boom) {
		t.Errorf("got %v, want %v", err, boom)
	}
}

func TestVerifyProgress(t *testing.T) {
	m, data := folderManifest()
	s := NewMemory(m.Length())
	writeAll(t, s, data)
	var calls [][2]int
	if _, err := Verify(context.Background(), m, s, func(done, total int) {
		calls = append(calls, [2]int{done, total})
	}); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if len(calls) != len(m.Pieces) {
		t.Fatalf("got %d progress calls, want %d", len(calls), len(m.Pieces))
	}
	for i, c := range calls {
		if want := [2]int{i + 1, len(m.Pieces)}; c != want {
			t.Errorf("call %d: got %v, want %v", i, c, want)
		}
	}
}

func TestVerifyCancel(t *testing.T) {
	m, data := folderManifest()
	s := NewMemory(m.Length())
	writeAll(t, s, data)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Verify(ctx, m, s, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before: got %v, want %v", err, context.Canceled)
	}

	// Cancel while reading the first of many pieces: the workers stop long
	// before reaching the last one.
	big := &piece.Manifest{Name: "big", PieceSize: testPieceSize, Pieces: make([]piece.Hash, 512),
		Files: []piece.File{{Path: "big", Size: 512 * testPieceSize}}}
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	s2 := cancellingStorage{Memory: NewMemory(big.Length()), cancel: cancel}
	if _, err := Verify(ctx, big, s2, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled during: got %v, want %v", err, context.Canceled)
	}
}

// cancellingStorage is Memory that cancels a context on reading offset 0.
type cancellingStorage struct {
	*Memory
	cancel func()
}

func (s cancellingStorage) ReadAt(p []byte, off int64) (int, error) {
	if off == 0 {
		s.cancel()
	}
	return s.Memory.ReadAt(p, off)
}

func TestVerifyBadManifest(t *testing.T) {
	m, _ := folderManifest()
	tests := []struct {
		name   string
		change func(m *piece.Manifest)
	}{
		{"piece missing", func(m *piece.Manifest) { m.Pieces = m.Pieces[1:] }},
		{"piece too many", func(m *piece.Manifest) { m.Pieces = append(m.Pieces, piece.Hash{}) }},
		{"zero piece size", func(m *piece.Manifest) { m.PieceSize = 0 }},
	}
	for _, tt := range tests {
		bad := *m
		bad.Pieces = slices.Clone(m.Pieces)
		tt.change(&bad)
		if _, err := Verify(context.Background(), &bad, NewMemory(m.Length()), nil); !errors.Is(err, piece.ErrBadManifest) {
			t.Errorf("%s: got %v, want %v", tt.name, err, piece.ErrBadManifest)
		}
	}
}

// BenchmarkVerify64MiB verifies 64 MiB in 1 MiB pieces from files on disk
// (usually in the page cache, so this measures hashing and copying).
func BenchmarkVerify64MiB(b *testing.B) {
	const size = 64 << 20
	dir := filepath.Join(b.TempDir(), "bench.bin")
	if err := os.WriteFile(dir, randomBytes(size, 1), 0o644); err != nil {
		b.Fatal(err)
	}
	m, err := BuildManifest(context.Background(), dir, 1<<20, nil)
	if err != nil {
		b.Fatal(err)
	}
	d, err := OpenShare(dir, m)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	b.SetBytes(size)
	for b.Loop() {
		have, err := Verify(context.Background(), m, d, nil)
		if err != nil || !have.Full() {
			b.Fatalf("Verify: full=%v, %v", have.Full(), err)
		}
	}
}

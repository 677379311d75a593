package store

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/shoal-p2p/shoal/internal/piece"
)

// openDownload opens a download of m into outDir and closes it when the
// test ends.
func openDownload(t *testing.T, outDir string, m *piece.Manifest, key string) *Download {
	t.Helper()
	d, err := OpenDownload(outDir, m, key)
	if err != nil {
		t.Fatalf("OpenDownload: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// checkAbsent fails the test unless nothing exists at path.
func checkAbsent(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s: got stat error %v, want %v", path, err, fs.ErrNotExist)
	}
}

// readContent returns the concatenation of m's files at final.
func readContent(t *testing.T, final string, m *piece.Manifest) []byte {
	t.Helper()
	var all []byte
	for _, f := range m.Files {
		p := final
		if m.Dir {
			p = filepath.Join(final, filepath.FromSlash(f.Path))
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("read final content: %v", err)
		}
		if int64(len(b)) != f.Size {
			t.Errorf("%s: got %d bytes, want %d", p, len(b), f.Size)
		}
		all = append(all, b...)
	}
	return all
}

func TestDownloadResumeAndFinalize(t *testing.T) {
	tests := []struct {
		name     string
		manifest func() (*piece.Manifest, []byte)
	}{
		{"single file", singleManifest},
		{"folder", folderManifest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, data := tt.manifest()
			out := t.TempDir()
			even := func(i int) bool { return i%2 == 0 }

			d := openDownload(t, out, m, "swarm-id")
			writePieces(t, d.Storage(), m, data, even)
			if err := d.Close(); err != nil { // a crash: files closed, nothing synced or moved
				t.Fatalf("Close: %v", err)
			}
			checkAbsent(t, d.Final())

			d = openDownload(t, out, m, "swarm-id")
			have, err := Verify(context.Background(), m, d.Storage(), nil)
			if err != nil {
				t.Fatalf("Verify after reopening: %v", err)
			}
			for i := range m.Pieces {
				if have.Has(i) != even(i) {
					t.Errorf("piece %d: got present=%v after resume, want %v", i, have.Has(i), even(i))
				}
			}

			writePieces(t, d.Storage(), m, data, func(i int) bool { return !have.Has(i) })
			checkAbsent(t, d.Final())
			final, err := d.Finalize()
			if err != nil {
				t.Fatalf("Finalize: %v", err)
			}
			if want := filepath.Join(out, m.Name); final != want {
				t.Errorf("Finalize returned %q, want %q", final, want)
			}
			if got := readContent(t, final, m); !bytes.Equal(got, data) {
				t.Error("final content differs from the content written")
			}
			checkAbsent(t, filepath.Join(out, PartialDir))
			if _, err := d.Finalize(); !errors.Is(err, ErrClosed) {
				t.Errorf("second Finalize: got %v, want %v", err, ErrClosed)
			}
		})
	}
}

func TestDownloadFinalizeRefusesExisting(t *testing.T) {
	m, data := folderManifest()
	out := t.TempDir()
	d := openDownload(t, out, m, "k")
	writeAll(t, d.Storage(), data)
	writeFile(t, filepath.Join(out, m.Name, "mine.txt"), []byte("keep me"))

	if _, err := d.Finalize(); !errors.Is(err, ErrExists) {
		t.Fatalf("Finalize onto an existing folder: got %v, want %v", err, ErrExists)
	}
	if b, err := os.ReadFile(filepath.Join(out, m.Name, "mine.txt")); err != nil || string(b) != "keep me" {
		t.Errorf("existing content: got %q, %v; want %q, nil", b, err, "keep me")
	}
	checkAbsent(t, filepath.Join(out, m.Name, "a.bin"))
	if _, err := os.Stat(filepath.Join(d.Staging(), m.Name, "a.bin")); err != nil {
		t.Errorf("staged content after a refused Finalize: %v", err)
	}

	if err := os.RemoveAll(filepath.Join(out, m.Name)); err != nil {
		t.Fatal(err)
	}
	final, err := d.Finalize()
	if err != nil {
		t.Fatalf("Finalize once the destination is free: %v", err)
	}
	if got := readContent(t, final, m); !bytes.Equal(got, data) {
		t.Error("final content differs from the content written")
	}
}

func TestDownloadFinalizeIncomplete(t *testing.T) {
	m, data := folderManifest()
	out := t.TempDir()
	d := openDownload(t, out, m, "k")
	writePieces(t, d.Storage(), m, data, func(i int) bool { return i == 0 })
	if _, err := d.Finalize(); !errors.Is(err, ErrIncomplete) {
		t.Errorf("got %v, want %v", err, ErrIncomplete)
	}
	checkAbsent(t, d.Final())
}

func TestDownloadZeroLengthFiles(t *testing.T) {
	m, data := newManifest("tree", true, testPieceSize,
		piece.File{Path: "a/empty", Size: 0},
		piece.File{Path: "b.bin", Size: 1000},
		piece.File{Path: "z/y/empty", Size: 0})
	out := t.TempDir()
	d := openDownload(t, out, m, "k")
	writeAll(t, d.Storage(), data)
	final, err := d.Finalize()
	if err != nil {
		t.Fatalf("Finalize: %v", err)
	}
	for _, p := range []string{"a/empty", "z/y/empty"} {
		fi, err := os.Stat(filepath.Join(final, p))
		if err != nil || fi.Size() != 0 || !fi.Mode().IsRegular() {
			t.Errorf("%s: got %v, want an empty regular file", p, err)
		}
	}
}

func TestDownloadPartialDirShared(t *testing.T) {
	m1, data1 := singleManifest()
	m2, _ := folderManifest()
	out := t.TempDir()
	d1 := openDownload(t, out, m1, "one")
	openDownload(t, out, m2, "two")
	writeAll(t, d1.Storage(), data1)
	if _, err := d1.Finalize(); err != nil {
		t.Fatalf("Finalize: %v", err)
	}
	checkAbsent(t, filepath.Join(out, PartialDir, "one"))
	if _, err := os.Stat(filepath.Join(out, PartialDir, "two")); err != nil {
		t.Errorf("other download's staging: %v", err)
	}
}

func TestOpenDownloadBadKey(t *testing.T) {
	m, _ := singleManifest()
	for _, key := range []string{"", ".", "..", "a/b", "/abs"} {
		if _, err := OpenDownload(t.TempDir(), m, key); err == nil {
			t.Errorf("key %q: got nil error, want one", key)
		}
	}
}

func TestOpenDownloadReservedName(t *testing.T) {
	m, _ := newManifest(PartialDir, false, testPieceSize, piece.File{Path: PartialDir, Size: 10})
	if _, err := OpenDownload(t.TempDir(), m, "k"); !errors.Is(err, piece.ErrBadManifest) {
		t.Errorf("got %v, want %v", err, piece.ErrBadManifest)
	}
}

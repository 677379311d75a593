package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/shoal-p2p/shoal/internal/piece"
)

// openDisk opens a Disk for m below root and closes it when the test ends.
func openDisk(t *testing.T, root string, m *piece.Manifest, readOnly bool) *Disk {
	t.Helper()
	d, err := OpenDisk(root, m, readOnly)
	if err != nil {
		t.Fatalf("OpenDisk: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestDiskReadOnly(t *testing.T) {
	m, data := folderManifest()
	root := t.TempDir()
	w := openDisk(t, root, m, false)
	writeAll(t, w, data)
	if err := w.Sync(); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	w.Close()

	r := openDisk(t, root, m, true)
	if n, err := r.WriteAt(data[:10], 0); n != 0 || !errors.Is(err, ErrReadOnly) {
		t.Errorf("WriteAt = %d, %v; want 0, %v", n, err, ErrReadOnly)
	}
	got := make([]byte, len(data))
	if _, err := r.ReadAt(got, 0); err != nil || !bytes.Equal(got, data) {
		t.Errorf("ReadAt: got %v and equal=%v, want nil and equal", err, bytes.Equal(got, data))
	}
	if err := r.Sync(); err != nil {
		t.Errorf("Sync on read-only disk: got %v, want nil", err)
	}
}

func TestDiskOpenReadOnlyMissingRoot(t *testing.T) {
	m, _ := folderManifest()
	root := filepath.Join(t.TempDir(), "absent")
	if _, err := OpenDisk(root, m, true); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("got %v, want %v", err, fs.ErrNotExist)
	}
	if _, err := os.Stat(root); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("read-only OpenDisk created its root: stat got %v", err)
	}
}

func TestDiskReadErrors(t *testing.T) {
	m, data := folderManifest()
	tests := []struct {
		name  string
		setup func(t *testing.T, root string)
		off   int64
		want  error
	}{
		{"missing file", func(*testing.T, string) {}, 0, fs.ErrNotExist},
		{"short file", func(t *testing.T, root string) {
			writeFile(t, filepath.Join(root, "album", "a.bin"), data[:50])
		}, 0, io.ErrUnexpectedEOF},
		{"second file missing", func(t *testing.T, root string) {
			writeFile(t, filepath.Join(root, "album", "a.bin"), data[:100000])
		}, 99990, fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			tt.setup(t, root)
			d := openDisk(t, root, m, false)
			if _, err := d.ReadAt(make([]byte, 100), tt.off); !errors.Is(err, tt.want) {
				t.Errorf("ReadAt: got %v, want %v", err, tt.want)
			}
		})
	}
}

// writeFile writes b to path, creating its directory.
func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDiskCreatesFilesLazily(t *testing.T) {
	m, data := folderManifest()
	root := t.TempDir()
	d := openDisk(t, root, m, false)
	if _, err := d.WriteAt(data[:1], 0); err != nil {
		t.Fatalf("WriteAt: %v", err)
	}
	sizes := []struct {
		path string
		want int64 // -1: absent
	}{
		{"album/a.bin", 100000},
		{"album/empty", -1},
		{"album/sub/c.bin", -1},
	}
	checkSizes := func(when string) {
		t.Helper()
		for _, s := range sizes {
			fi, err := os.Stat(filepath.Join(root, s.path))
			switch {
			case s.want < 0 && !errors.Is(err, fs.ErrNotExist):
				t.Errorf("%s: %s: got stat error %v, want it absent", when, s.path, err)
			case s.want >= 0 && err != nil:
				t.Errorf("%s: %s: %v", when, s.path, err)
			case s.want >= 0 && fi.Size() != s.want:
				t.Errorf("%s: %s: got size %d, want %d", when, s.path, fi.Size(), s.want)
			}
		}
	}
	checkSizes("after first write")
	if err := d.Sync(); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	sizes[1].want = 0
	checkSizes("after Sync")
}

func TestDiskTruncatesStaleFile(t *testing.T) {
	m, data := singleManifest()
	root := t.TempDir()
	writeFile(t, filepath.Join(root, m.Name), make([]byte, m.Length()+500))
	d := openDisk(t, root, m, false)
	if _, err := d.WriteAt(data[:10], 0); err != nil {
		t.Fatalf("WriteAt: %v", err)
	}
	fi, err := os.Stat(filepath.Join(root, m.Name))
	if err != nil || fi.Size() != m.Length() {
		t.Errorf("got size %v (%v), want %d", fi.Size(), err, m.Length())
	}
}

func TestOpenDiskRejectsBadManifest(t *testing.T) {
	file := func(p string) []piece.File { return []piece.File{{Path: p, Size: 1}} }
	tests := []struct {
		name string
		m    piece.Manifest
	}{
		{"empty name", piece.Manifest{Name: "", Files: file("")}},
		{"dot name", piece.Manifest{Name: ".", Dir: true, Files: file("a")}},
		{"parent name", piece.Manifest{Name: "..", Dir: true, Files: file("a")}},
		{"name with slash", piece.Manifest{Name: "a/b", Dir: true, Files: file("c")}},
		{"absolute name", piece.Manifest{Name: "/etc", Dir: true, Files: file("passwd")}},
		{"parent path", piece.Manifest{Name: "x", Dir: true, Files: file("../../etc/passwd")}},
		{"escaping path", piece.Manifest{Name: "x", Dir: true, Files: file("a/../../b")}},
		{"absolute path", piece.Manifest{Name: "x", Dir: true, Files: file("/etc/passwd")}},
		{"unclean path", piece.Manifest{Name: "x", Dir: true, Files: file("./a")}},
		{"empty path", piece.Manifest{Name: "x", Dir: true, Files: file("")}},
		{"dot path", piece.Manifest{Name: "x", Dir: true, Files: file(".")}},
		{"single file named differently", piece.Manifest{Name: "x", Files: file("y")}},
		{"no files", piece.Manifest{Name: "x", Dir: true}},
		{"negative size", piece.Manifest{Name: "x", Dir: true, Files: []piece.File{{Path: "a", Size: -1}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := layout(&tt.m); !errors.Is(err, piece.ErrBadManifest) {
				t.Errorf("layout: got %v, want %v", err, piece.ErrBadManifest)
			}
			tt.m.PieceSize = testPieceSize
			tt.m.Pieces = make([]piece.Hash, 1)
			root := filepath.Join(t.TempDir(), "root")
			if _, err := OpenDisk(root, &tt.m, false); !errors.Is(err, piece.ErrBadManifest) {
				t.Errorf("OpenDisk: got %v, want %v", err, piece.ErrBadManifest)
			}
			checkAbsent(t, root)
		})
	}
}

func TestDiskRefusesSymlinkEscape(t *testing.T) {
	m, data := folderManifest()
	root, outside := t.TempDir(), t.TempDir()
	if err := os.Symlink(outside, filepath.Join(root, m.Name)); err != nil {
		t.Skipf("symlinks unavailable: %v", err)
	}
	writeFile(t, filepath.Join(outside, "a.bin"), data[:100000])
	d := openDisk(t, root, m, false)
	if _, err := d.ReadAt(make([]byte, 10), 0); err == nil {
		t.Error("ReadAt through a symlink leaving the root: got nil error")
	}
	if _, err := d.WriteAt(data[100000:100010], 100000); err == nil {
		t.Error("WriteAt through a symlink leaving the root: got nil error")
	}
	if _, err := os.Stat(filepath.Join(outside, "sub")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a write created files outside the root: stat got %v", err)
	}
}

func TestDiskHandleCacheBound(t *testing.T) {
	files := make([]piece.File, 3*defaultMaxOpen)
	for i := range files {
		files[i] = piece.File{Path: fmt.Sprintf("f%03d", i), Size: 100}
	}
	m, data := newManifest("many", true, testPieceSize, files...)
	d := openDisk(t, t.TempDir(), m, false)
	writeAll(t, d, data)
	got := make([]byte, len(data))
	if _, err := d.ReadAt(got, 0); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("ReadAt: got %v and equal=%v, want nil and equal", err, bytes.Equal(got, data))
	}
	d.mu.Lock()
	open, listed := len(d.open), d.lru.Len()
	d.mu.Unlock()
	if open > defaultMaxOpen || open != listed {
		t.Errorf("got %d open handles and %d listed, want at most %d and equal", open, listed, defaultMaxOpen)
	}
}

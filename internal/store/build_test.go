package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shoal-p2p/shoal/internal/piece"
)

// pieceHashes cuts data into pieces of size bytes and hashes each directly.
func pieceHashes(data []byte, size int) []piece.Hash {
	var sums []piece.Hash
	for off := 0; off < len(data); off += size {
		sums = append(sums, sha256.Sum256(data[off:min(off+size, len(data))]))
	}
	return sums
}

func TestBuildManifestFile(t *testing.T) {
	data := randomBytes(300000, 7)
	path := filepath.Join(t.TempDir(), "movie.mkv")
	writeFile(t, path, data)
	tests := []struct {
		pieceSize, want int64
	}{
		{64 << 10, 64 << 10},
		{piece.MinPieceSize, piece.MinPieceSize},
		{0, piece.ChoosePieceSize(300000)},
	}
	for _, tt := range tests {
		var last [2]int64
		m, err := BuildManifest(context.Background(), path, tt.pieceSize, func(done, total int64) {
			last = [2]int64{done, total}
		})
		if err != nil {
			t.Fatalf("piece size %d: %v", tt.pieceSize, err)
		}
		wantFiles := []piece.File{{Path: "movie.mkv", Size: 300000}}
		if m.Name != "movie.mkv" || m.Dir || !slices.Equal(m.Files, wantFiles) || m.PieceSize != tt.want {
			t.Errorf("piece size %d: got %q dir=%v %v size %d, want %q dir=false %v size %d",
				tt.pieceSize, m.Name, m.Dir, m.Files, m.PieceSize, "movie.mkv", wantFiles, tt.want)
		}
		if want := pieceHashes(data, int(tt.want)); !slices.Equal(m.Pieces, want) {
			t.Errorf("piece size %d: got %d hashes differing from a direct SHA-256 of %d", tt.pieceSize, len(m.Pieces), len(want))
		}
		if last != [2]int64{300000, 300000} {
			t.Errorf("piece size %d: last progress %v, want [300000 300000]", tt.pieceSize, last)
		}
	}
}

func TestBuildManifestFolder(t *testing.T) {
	root := filepath.Join(t.TempDir(), "album")
	files := map[string][]byte{ // "a-c.bin" sorts before "a/…": '-' < '/'
		"b.txt":        randomBytes(5000, 1),
		"a/x.bin":      randomBytes(40000, 2),
		"a-c.bin":      randomBytes(30000, 3),
		"a/empty":      nil,
		"z/y/deep.bin": randomBytes(20001, 4),
	}
	for p, b := range files {
		writeFile(t, filepath.Join(root, filepath.FromSlash(p)), b)
	}
	if err := os.Mkdir(filepath.Join(root, "nothing-here"), 0o755); err != nil {
		t.Fatal(err)
	}
	m, err := BuildManifest(context.Background(), root, testPieceSize, nil)
	if err != nil {
		t.Fatalf("BuildManifest: %v", err)
	}
	order := []string{"a-c.bin", "a/empty", "a/x.bin", "b.txt", "z/y/deep.bin"}
	var wantFiles []piece.File
	var all []byte
	for _, p := range order {
		wantFiles = append(wantFiles, piece.File{Path: p, Size: int64(len(files[p]))})
		all = append(all, files[p]...)
	}
	if m.Name != "album" || !m.Dir || !slices.Equal(m.Files, wantFiles) {
		t.Errorf("got %q dir=%v %v, want %q dir=true %v", m.Name, m.Dir, m.Files, "album", wantFiles)
	}
	if want := pieceHashes(all, testPieceSize); !slices.Equal(m.Pieces, want) {
		t.Errorf("got %d hashes differing from a direct SHA-256 of the concatenation (%d)", len(m.Pieces), len(want))
	}

	d, err := OpenShare(root, m)
	if err != nil {
		t.Fatalf("OpenShare: %v", err)
	}
	defer d.Close()
	have, err := Verify(context.Background(), m, d, nil)
	if err != nil || !have.Full() {
		t.Errorf("Verify of the shared folder: got full=%v, %v; want full, nil", have.Full(), err)
	}
}

func TestBuildManifestRejects(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(t *testing.T, dir string) string // returns the path to build
		pieceSize int64
		want      error
		mention   string // part of the path the message must name
	}{
		{"symlink in folder", func(t *testing.T, dir string) string {
			writeFile(t, filepath.Join(dir, "f", "a", "real"), []byte("x"))
			symlink(t, "real", filepath.Join(dir, "f", "a", "link"))
			return filepath.Join(dir, "f")
		}, 0, ErrNotRegular, filepath.Join("f", "a", "link")},
		{"symlink given", func(t *testing.T, dir string) string {
			writeFile(t, filepath.Join(dir, "real"), []byte("x"))
			symlink(t, "real", filepath.Join(dir, "link"))
			return filepath.Join(dir, "link")
		}, 0, ErrNotRegular, "link"},
		{"empty folder", func(t *testing.T, dir string) string {
			return dir
		}, 0, ErrEmpty, ""},
		{"only empty files", func(t *testing.T, dir string) string {
			writeFile(t, filepath.Join(dir, "a"), nil)
			writeFile(t, filepath.Join(dir, "b", "c"), nil)
			return dir
		}, 0, ErrEmpty, ""},
		{"empty file", func(t *testing.T, dir string) string {
			writeFile(t, filepath.Join(dir, "e"), nil)
			return filepath.Join(dir, "e")
		}, 0, ErrEmpty, ""},
		{"missing", func(t *testing.T, dir string) string {
			return filepath.Join(dir, "absent")
		}, 0, fs.ErrNotExist, "absent"},
		{"piece size not a power of two", func(t *testing.T, dir string) string {
			writeFile(t, filepath.Join(dir, "a"), []byte("x"))
			return filepath.Join(dir, "a")
		}, 100000, ErrBadPieceSize, ""},
		{"piece size too small", func(t *testing.T, dir string) string {
			writeFile(t, filepath.Join(dir, "a"), []byte("x"))
			return filepath.Join(dir, "a")
		}, 1024, ErrBadPieceSize, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.setup(t, t.TempDir())
			_, err := BuildManifest(context.Background(), path, tt.pieceSize, nil)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "store: ") || !strings.Contains(msg, tt.mention) {
				t.Errorf("got message %q, want it to start with %q and name %q", msg, "store: ", tt.mention)
			}
		})
	}
}

// symlink creates a symbolic link or skips the test where it cannot.
func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("symlinks unavailable: %v", err)
	}
}

func TestBuildManifestCancel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a")
	writeFile(t, path, randomBytes(3*buildBufferSize, 1))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := 0
	_, err := BuildManifest(ctx, path, 0, func(done, total int64) {
		calls++
		cancel()
	})
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Errorf("got %v after %d progress calls, want %v after 1", err, calls, context.Canceled)
	}
}

func TestOpenShareNameMismatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a")
	writeFile(t, path, []byte("hello"))
	m, err := BuildManifest(context.Background(), path, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenShare(filepath.Join(filepath.Dir(path), "b"), m); !errors.Is(err, piece.ErrBadManifest) {
		t.Errorf("got %v, want %v", err, piece.ErrBadManifest)
	}
}

func TestBuildManifestRejectsInvalidName(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "share")
	writeFile(t, filepath.Join(dir, `back\slash`), []byte("x"))
	if _, err := BuildManifest(context.Background(), dir, 0, nil); !errors.Is(err, piece.ErrBadManifest) {
		t.Errorf("got %v, want %v", err, piece.ErrBadManifest)
	}
}

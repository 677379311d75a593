package piece

import (
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"
)

// fakePieces returns n distinct piece hashes.
func fakePieces(n int64) []Hash {
	p := make([]Hash, n)
	for i := range p {
		p[i] = HashBytes(binary.AppendUvarint(nil, uint64(i)))
	}
	return p
}

// fakeTags returns n distinct piece tags.
func fakeTags(n int) []Tag {
	t := make([]Tag, n)
	for i := range t {
		h := HashBytes(binary.AppendUvarint([]byte("tag"), uint64(i)))
		copy(t[i][:], h[:])
	}
	return t
}

// sealed returns m with a fake tag per piece, as sealed content has.
func sealed(m *Manifest) *Manifest {
	m.Tags = fakeTags(len(m.Pieces))
	return m
}

// newManifest returns a manifest with the right number of (fake) pieces.
func newManifest(name string, dir bool, pieceSize int64, files ...File) *Manifest {
	m := &Manifest{Name: name, Dir: dir, PieceSize: pieceSize, Files: files}
	m.Pieces = fakePieces(ceilDiv(m.Length(), pieceSize))
	return m
}

// validManifests lists well-formed manifests; the codec and fuzz tests use it
// too.
func validManifests() []struct {
	name string
	m    *Manifest
} {
	return []struct {
		name string
		m    *Manifest
	}{
		{"single file", newManifest("movie.mkv", false, MinPieceSize, File{"movie.mkv", 100000})},
		{"exact multiple of the piece size", newManifest("x", false, MinPieceSize, File{"x", 2 * MinPieceSize})},
		{"one byte, largest pieces", newManifest("b", false, MaxPieceSize, File{"b", 1})},
		{"folder", newManifest("build", true, 64<<10,
			File{"bin/app", 5000}, File{"bin/empty", 0}, File{"README.md", 10},
			File{"a-b", 1}, File{"a/b", 1}, File{"a.b", 0}, File{"ab/c", 70000})},
		{"folder with one file", newManifest("pack", true, MinPieceSize, File{"data.bin", 1})},
		{"folder named like its file", newManifest("a", true, MinPieceSize, File{"a", 1})},
		{"leading zero-length files", newManifest("z", true, MinPieceSize, File{"0", 0}, File{"1", 0}, File{"2", 5})},
		{"unicode", newManifest("Ünïcode 日本", true, 1<<20, File{"ディレクトリ/ファイル.txt", 3}, File{"emoji 🎬/ok", 4})},
		{"dotted names", newManifest("...", true, MinPieceSize, File{".hidden/..x/x..", 1})},
		{"longest name and path", newManifest(strings.Repeat("n", 255), true, MinPieceSize,
			File{strings.Repeat("p/", 2047) + "pp", 9})},
		{"large file", newManifest("big.iso", false, MaxPieceSize, File{"big.iso", 1 << 40})},
		{"sealed single file", sealed(newManifest("secret.bin", false, MinPieceSize, File{"secret.bin", 100000}))},
		{"sealed folder", sealed(newManifest("vault", true, 64<<10, File{"a", 70000}, File{"b/empty", 0}, File{"c", 1}))},
	}
}

func TestValidateAcceptsValid(t *testing.T) {
	for _, tt := range validManifests() {
		if err := tt.m.Validate(); err != nil {
			t.Errorf("%s: Validate() = %v, want nil", tt.name, err)
		}
	}
}

// invalidManifest is a manifest Validate must reject, with part of the error
// message.
type invalidManifest struct {
	name string
	m    *Manifest
	want string
}

func invalidManifests() []invalidManifest {
	single := func(name string) *Manifest { return newManifest(name, false, MinPieceSize, File{name, 10}) }
	folder := func(files ...File) *Manifest { return newManifest("f", true, MinPieceSize, files...) }
	withPieceSize := func(ps int64) *Manifest {
		return &Manifest{Name: "a", PieceSize: ps, Files: []File{{"a", 10}}, Pieces: fakePieces(1)}
	}
	withPieces := func(n int64) *Manifest {
		m := single("a")
		m.Pieces = fakePieces(n)
		return m
	}
	return []invalidManifest{
		{"empty name", single(""), "empty"},
		{"dot name", single("."), `"."`},
		{"dot-dot name", single(".."), `".."`},
		{"name with slash", newManifest("a/b", true, MinPieceSize, File{"x", 1}), "slash"},
		{"name with backslash", single(`a\b`), "backslash"},
		{"name with NUL", single("a\x00b"), "NUL"},
		{"name not UTF-8", single("a\xffb"), "UTF-8"},
		{"name too long", newManifest(strings.Repeat("n", 256), true, MinPieceSize, File{"x", 1}), "limit 255"},
		{"zero piece size", withPieceSize(0), "piece size"},
		{"negative piece size", withPieceSize(-MinPieceSize), "piece size"},
		{"piece size too small", withPieceSize(MinPieceSize / 2), "piece size"},
		{"piece size too large", withPieceSize(MaxPieceSize * 2), "piece size"},
		{"piece size not a power of two", withPieceSize(3 * MinPieceSize), "piece size"},
		{"huge piece size", withPieceSize(1 << 62), "piece size"},
		{"no files", &Manifest{Name: "a", Dir: true, PieceSize: MinPieceSize, Pieces: fakePieces(1)}, "0 files"},
		{"single file named differently", newManifest("a", false, MinPieceSize, File{"b", 1}), "single-file"},
		{"single file with two files", newManifest("a", false, MinPieceSize, File{"a", 1}, File{"b", 1}), "single-file"},
		{"empty path", folder(File{"", 1}), "empty"},
		{"absolute path", folder(File{"/a", 1}), "empty element"},
		{"double slash", folder(File{"a//b", 1}), "empty element"},
		{"trailing slash", folder(File{"a/", 1}), "empty element"},
		{"dot element", folder(File{"a/./b", 1}), `"."`},
		{"leading dot element", folder(File{"./a", 1}), `"."`},
		{"dot-dot element", folder(File{"a/../b", 1}), `".."`},
		{"backslash in path", folder(File{`a\b`, 1}), "backslash"},
		{"NUL in path", folder(File{"a\x00", 1}), "NUL"},
		{"path not UTF-8", folder(File{"a/\xc3", 1}), "UTF-8"},
		{"path too long", folder(File{strings.Repeat("p", 4097), 1}), "limit 4096"},
		{"duplicate path", folder(File{"a/b", 1}, File{"c", 1}, File{"a/b", 1}), "repeated"},
		{"file is a folder", folder(File{"a", 1}, File{"a/b", 1}), "also a folder"},
		{"file is a folder, reversed", folder(File{"a/b/c", 1}, File{"a-b", 1}, File{"a/b", 1}), "also a folder"},
		{"file is a deep folder", folder(File{"x/y", 0}, File{"x/y/z/w", 1}), "also a folder"},
		{"negative size", folder(File{"a", 5}, File{"b", -1}), "negative"},
		{"length overflows", &Manifest{Name: "f", Dir: true, PieceSize: MaxPieceSize,
			Files: []File{{"a", math.MaxInt64}, {"b", 1}}}, "overflows"},
		{"empty content", folder(File{"a", 0}, File{"b", 0}), "empty"},
		{"empty single file", unhashedSingle("a", 0), "empty"},
		{"no pieces", withPieces(0), "want 1"},
		{"too many pieces", withPieces(2), "want 1"},
		{"too many files", &Manifest{Name: "f", Dir: true, PieceSize: MinPieceSize,
			Files: make([]File, MaxFiles+1)}, "files"},
		{"a tag short", withTags(newManifest("s", false, MinPieceSize, File{"s", 3 * MinPieceSize}), 2), "2 piece tags for 3 pieces"},
		{"a tag too many", withTags(single("s"), 2), "2 piece tags for 1 pieces"},
	}
}

func TestValidateRejectsInvalid(t *testing.T) {
	for _, tt := range invalidManifests() {
		err := tt.m.Validate()
		if !errors.Is(err, ErrBadManifest) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Validate() = %v, want ErrBadManifest mentioning %q", tt.name, err, tt.want)
		}
	}
}

// withTags returns m with n fake piece tags.
func withTags(m *Manifest, n int) *Manifest {
	m.Tags = fakeTags(n)
	return m
}

func unhashedSingle(name string, size int64) *Manifest {
	return &Manifest{Name: name, PieceSize: MinPieceSize, Files: []File{{name, size}}}
}

func TestValidateRejectsOversizedEncoding(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 64 MiB")
	}
	n := int64(MaxManifestSize/len(Hash{}) + 1)
	m := &Manifest{Name: "huge", PieceSize: MaxPieceSize, Files: []File{{"huge", n * MaxPieceSize}},
		Pieces: make([]Hash, n)}
	if err := m.Validate(); !errors.Is(err, ErrBadManifest) || !strings.Contains(err.Error(), "encoding") {
		t.Errorf("Validate() = %v, want ErrBadManifest about the encoding size", err)
	}
}

func TestManifestGeometry(t *testing.T) {
	m := newManifest("d", true, MinPieceSize, File{"a", MinPieceSize + 10}, File{"b", 0}, File{"c", MinPieceSize})
	if got, want := m.Length(), int64(2*MinPieceSize+10); got != want {
		t.Errorf("Length() = %d, want %d", got, want)
	}
	if got := m.NumPieces(); got != 3 {
		t.Errorf("NumPieces() = %d, want 3", got)
	}
	for i, want := range []struct{ off, n int64 }{{0, MinPieceSize}, {MinPieceSize, MinPieceSize}, {2 * MinPieceSize, 10}} {
		if got := m.PieceOffset(i); got != want.off {
			t.Errorf("PieceOffset(%d) = %d, want %d", i, got, want.off)
		}
		if got := m.PieceLen(i); got != want.n {
			t.Errorf("PieceLen(%d) = %d, want %d", i, got, want.n)
		}
	}
}

// TestBuildAndVerify builds a manifest the way a seeder does (ChoosePieceSize,
// Hasher) and verifies every piece through Spans.
func TestBuildAndVerify(t *testing.T) {
	files := []File{{"a", 100000}, {"empty", 0}, {"b/c", 150001}}
	contents := make([][]byte, len(files))
	m := &Manifest{Name: "set", Dir: true, Files: files}
	m.PieceSize = ChoosePieceSize(m.Length())
	h := NewHasher(m.PieceSize)
	for i, f := range files {
		contents[i] = testContent(int(f.Size) + i)[i:]
		h.Write(contents[i])
	}
	m.Pieces = h.Sum()
	if err := m.Validate(); err != nil {
		t.Fatalf("Validate() = %v, want nil", err)
	}
	for i := range m.NumPieces() {
		spans, err := m.Spans(m.PieceOffset(i), m.PieceLen(i))
		if err != nil {
			t.Fatalf("Spans for piece %d: %v", i, err)
		}
		var blocks [][]byte
		for _, s := range spans {
			blocks = append(blocks, contents[s.File][s.Offset:s.Offset+s.Length])
		}
		if !VerifyPiece(m.Pieces[i], blocks...) {
			t.Errorf("piece %d does not verify, want it to", i)
		}
	}
}

package piece

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func uv(v uint64) []byte { return binary.AppendUvarint(nil, v) }

func str(s string) []byte { return append(uv(uint64(len(s))), s...) }

var (
	h1 = HashBytes([]byte("1"))
	h2 = HashBytes([]byte("2"))
)

// goldenManifest and goldenEncoding pin encoding version 1.
func goldenManifest() *Manifest {
	return &Manifest{Name: "a.txt", PieceSize: MinPieceSize, Files: []File{{"a.txt", 20000}}, Pieces: []Hash{h1, h2}}
}

func goldenEncoding() []byte {
	return cat([]byte("SHMF\x01"), []byte{5}, []byte("a.txt"), []byte{0}, []byte{0x80, 0x80, 0x01},
		[]byte{1}, []byte{5}, []byte("a.txt"), []byte{0xa0, 0x9c, 0x01}, []byte{2}, h1[:], h2[:])
}

const goldenID = "ib5xbl3z72vebp4ev3u6cptltshx4yt3rcdbj3ueizssmju7evfq"

func TestEncodeGolden(t *testing.T) {
	m := goldenManifest()
	if got, want := m.Encode(), goldenEncoding(); !bytes.Equal(got, want) {
		t.Errorf("Encode() = %x, want %x", got, want)
	}
	if got := m.ID().String(); got != goldenID {
		t.Errorf("ID() = %s, want %s", got, goldenID)
	}
	if got, want := m.ID(), ID(HashBytes(goldenEncoding())); got != want {
		t.Errorf("ID() = %s, want SHA-256 of the encoding %s", got, want)
	}
}

func TestManifestRoundTrip(t *testing.T) {
	for _, tt := range validManifests() {
		b := tt.m.Encode()
		if got := tt.m.encodedLen(); got != len(b) {
			t.Errorf("%s: encodedLen() = %d, want %d", tt.name, got, len(b))
		}
		got, err := ParseManifest(b)
		if err != nil {
			t.Errorf("%s: ParseManifest(Encode()) error %v, want nil", tt.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.m) {
			t.Errorf("%s: ParseManifest(Encode()) = %+v, want %+v", tt.name, got, tt.m)
		}
		if again := got.Encode(); !bytes.Equal(again, b) {
			t.Errorf("%s: re-encoding = %x, want %x", tt.name, again, b)
		}
		if got.ID() != tt.m.ID() {
			t.Errorf("%s: ID after round trip = %s, want %s", tt.name, got.ID(), tt.m.ID())
		}
	}
}

// TestIDCommitsToEveryField changes one field at a time and expects a new ID.
func TestIDCommitsToEveryField(t *testing.T) {
	base := func() *Manifest {
		return newManifest("d", true, MinPieceSize, File{"a", 10}, File{"b", MinPieceSize})
	}
	changes := map[string]func(m *Manifest){
		"name":       func(m *Manifest) { m.Name = "e" },
		"dir":        func(m *Manifest) { m.Dir = false },
		"piece size": func(m *Manifest) { m.PieceSize *= 2 },
		"path":       func(m *Manifest) { m.Files[0].Path = "c" },
		"size":       func(m *Manifest) { m.Files[0].Size++ },
		"file order": func(m *Manifest) { m.Files[0], m.Files[1] = m.Files[1], m.Files[0] },
		"hash":       func(m *Manifest) { m.Pieces[1][31] ^= 1 },
		"sealing":    func(m *Manifest) { m.Tags = fakeTags(len(m.Pieces)) },
	}
	want := base().ID()
	if again := base().ID(); again != want {
		t.Fatalf("ID() of equal manifests = %s and %s, want equal", again, want)
	}
	for name, change := range changes {
		m := base()
		change(m)
		if got := m.ID(); got == want {
			t.Errorf("changing %s kept ID %s, want a different one", name, got)
		}
	}
}

// TestSealedEncoding checks what sealing adds to an encoding: flag bit 1
// and the tags after the piece hashes; and that a changed tag changes the ID.
func TestSealedEncoding(t *testing.T) {
	m := goldenManifest()
	m.Tags = []Tag{{1}, {2}}
	want := cat(goldenEncoding()[:11], []byte{flagSealed}, goldenEncoding()[12:], m.Tags[0][:], m.Tags[1][:])
	if got := m.Encode(); !bytes.Equal(got, want) {
		t.Fatalf("Encode() = %x, want %x", got, want)
	}
	if m.ID() == goldenManifest().ID() {
		t.Error("sealing kept the golden ID, want a different one")
	}
	id := m.ID()
	m.Tags[1][15] ^= 1
	if m.ID() == id {
		t.Error("changing a tag kept the ID, want a different one")
	}
	if !m.Sealed() || goldenManifest().Sealed() {
		t.Errorf("Sealed() = %v for a sealed manifest and %v for a public one, want true and false", m.Sealed(), goldenManifest().Sealed())
	}
}

func TestParseManifestCopiesInput(t *testing.T) {
	b := goldenEncoding()
	m, err := ParseManifest(b)
	if err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] = 0
	}
	if !reflect.DeepEqual(m, goldenManifest()) {
		t.Errorf("manifest changed with its input: %+v, want %+v", m, goldenManifest())
	}
}

var (
	header    = []byte("SHMF\x01")
	goldRest  = cat(uv(2), h1[:], h2[:])
	goldFiles = cat(uv(1), str("a.txt"), uv(20000))
)

// parseManifestTests are encodings ParseManifest must reject, each with part
// of the error message.
var parseManifestTests = []struct {
	name string
	in   []byte
	want string
}{
	{"empty", nil, "magic"},
	{"short magic", []byte("SHM"), "magic"},
	{"wrong magic", cat([]byte("SHMX\x01"), goldenEncoding()[5:]), "magic"},
	{"no version", []byte("SHMF"), "truncated version"},
	{"version 0", cat([]byte("SHMF\x00"), goldenEncoding()[5:]), "version 0"},
	{"version 2", cat([]byte("SHMF\x02"), goldenEncoding()[5:]), "version 2"},
	{"trailing byte", cat(goldenEncoding(), []byte{0}), "1 trailing bytes"},
	{"extra piece hash", cat(goldenEncoding(), h1[:]), "32 trailing bytes"},
	{"non-minimal name length", cat(header, []byte{0x85, 0x00}, []byte("a.txt"), []byte{0}, uv(MinPieceSize), goldFiles, goldRest), "non-minimal"},
	{"name length past the end", cat(header, uv(100), []byte("a.txt")), "truncated name"},
	{"name too long", cat(header, uv(256), bytes.Repeat([]byte("n"), 256)), "limit 255"},
	{"unknown flag", cat(header, str("a.txt"), []byte{4}, uv(MinPieceSize), goldFiles, goldRest), "unknown flags"},
	{"sealed without tags", cat(header, str("a.txt"), []byte{2}, uv(MinPieceSize), goldFiles, goldRest), "2 piece tags do not fit in 0 bytes"},
	{"sealed, a tag short", cat(header, str("a.txt"), []byte{2}, uv(MinPieceSize), goldFiles, goldRest, make([]byte, 31)), "do not fit in 31 bytes"},
	{"sealed, a tag too many", cat(header, str("a.txt"), []byte{2}, uv(MinPieceSize), goldFiles, goldRest, make([]byte, 48)), "16 trailing bytes"},
	{"sealed, no pieces", cat(header, str("a.txt"), []byte{2}, uv(MinPieceSize), goldFiles, uv(0), make([]byte, 16)), "0 piece tags"},
	{"no flags", cat(header, str("a.txt")), "truncated flags"},
	{"non-minimal piece size", cat(header, str("a.txt"), []byte{0}, []byte{0x80, 0x80, 0x81, 0x00}, goldFiles, goldRest), "non-minimal"},
	{"piece size past int64", cat(header, str("a.txt"), []byte{0}, uv(1<<63), goldFiles, goldRest), "too large"},
	{"varint overflow", cat(header, str("a.txt"), []byte{0}, bytes.Repeat([]byte{0xff}, 10), []byte{1}), "overflows"},
	{"truncated varint", cat(header, str("a.txt"), []byte{0}, []byte{0x80}), "truncated piece size"},
	{"too many files", cat(header, str("a.txt"), []byte{0}, uv(MinPieceSize), uv(MaxFiles+1)), "limit"},
	{"file count past the end", cat(header, str("a.txt"), []byte{0}, uv(MinPieceSize), uv(1000), str("a.txt"), uv(1)), "do not fit"},
	{"path too long", cat(header, str("d"), []byte{1}, uv(MinPieceSize), uv(1), uv(4097), bytes.Repeat([]byte("p"), 4097)), "limit 4096"},
	{"file size past int64", cat(header, str("a.txt"), []byte{0}, uv(MinPieceSize), uv(1), str("a.txt"), uv(1<<63), goldRest), "too large"},
	{"piece count past the end", cat(header, str("a.txt"), []byte{0}, uv(MinPieceSize), goldFiles, uv(3), h1[:], h2[:]), "do not fit"},
	{"huge piece count", cat(header, str("a.txt"), []byte{0}, uv(MinPieceSize), goldFiles, uv(1<<62)), "do not fit"},
	{"piece count disagrees with length", cat(header, str("a.txt"), []byte{0}, uv(MinPieceSize), goldFiles, uv(1), h1[:]), "want 2"},
	{"invalid manifest", cat(header, str("a.txt"), []byte{0}, uv(MinPieceSize), uv(1), str("b.txt"), uv(20000), goldRest), "single-file"},
	{"unclean path", cat(header, str("d"), []byte{1}, uv(MinPieceSize), uv(1), str("a/../b"), uv(1), uv(1), h1[:]), `".."`},
}

func TestParseManifestRejects(t *testing.T) {
	for _, tt := range parseManifestTests {
		m, err := ParseManifest(tt.in)
		if !errors.Is(err, ErrBadManifest) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: ParseManifest = %+v, %v, want ErrBadManifest mentioning %q", tt.name, m, err, tt.want)
		}
	}
}

func TestParseManifestRejectsEveryTruncation(t *testing.T) {
	for _, tt := range validManifests() {
		b := tt.m.Encode()
		for n := 0; n < len(b); n++ {
			if n == 4096 && len(b)-n > 4096 {
				n = len(b) - 4096 // skip the middle of long encodings
			}
			if _, err := ParseManifest(b[:n]); !errors.Is(err, ErrBadManifest) {
				t.Fatalf("%s: ParseManifest of %d of %d bytes: error %v, want ErrBadManifest", tt.name, n, len(b), err)
			}
		}
	}
}

func TestParseManifestSizeLimit(t *testing.T) {
	b := make([]byte, MaxManifestSize+1)
	copy(b, goldenEncoding())
	if _, err := ParseManifest(b); !errors.Is(err, ErrBadManifest) || !strings.Contains(err.Error(), "limit") {
		t.Errorf("ParseManifest of %d bytes: error %v, want ErrBadManifest about the limit", len(b), err)
	}
}

func TestGoldenEncodingHex(t *testing.T) {
	// A human-readable view of the golden encoding up to the piece hashes.
	want := "53484d4601" + "05612e747874" + "00" + "808001" + "01" + "05612e747874" + "a09c01" + "02"
	if got := hex.EncodeToString(goldenEncoding()[:len(want)/2]); got != want {
		t.Errorf("golden prefix = %s, want %s", got, want)
	}
}

package piece

import (
	"crypto/sha256"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestChoosePieceSize(t *testing.T) {
	tests := []struct {
		total int64
		want  int64
	}{
		{-1, 256 << 10},
		{0, 256 << 10},
		{1, 256 << 10},
		{2048 * 256 << 10, 256 << 10},
		{2048*256<<10 + 1, 512 << 10},
		{2048 * 512 << 10, 512 << 10},
		{2048 * 2 << 20, 2 << 20},
		{2048 * MaxPieceSize, MaxPieceSize},
		{2048*MaxPieceSize + 1, MaxPieceSize},
		{1 << 50, MaxPieceSize},
		{math.MaxInt64, MaxPieceSize},
		{math.MaxInt64 - 1, MaxPieceSize},
	}
	for _, tt := range tests {
		if got := ChoosePieceSize(tt.total); got != tt.want {
			t.Errorf("ChoosePieceSize(%d) = %d, want %d", tt.total, got, tt.want)
		}
	}
}

// referenceSums cuts content into pieceSize pieces and hashes each with
// crypto/sha256 directly.
func referenceSums(content []byte, pieceSize int) []Hash {
	var sums []Hash
	for chunk := range slices.Chunk(content, pieceSize) {
		sums = append(sums, sha256.Sum256(chunk))
	}
	return sums
}

func testContent(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}

// writePlans split content into writes: each returns the sizes of the
// successive writes for n bytes.
var writePlans = map[string]func(n, pieceSize int, rng *rand.Rand) []int{
	"one write":    func(n, _ int, _ *rand.Rand) []int { return []int{n} },
	"byte by byte": func(n, _ int, _ *rand.Rand) []int { return repeatSize(n, 1) },
	"7 bytes":      func(n, _ int, _ *rand.Rand) []int { return repeatSize(n, 7) },
	"piece size":   func(n, ps int, _ *rand.Rand) []int { return repeatSize(n, ps) },
	"piece size+3": func(n, ps int, _ *rand.Rand) []int { return repeatSize(n, ps+3) },
	"piece size-1": func(n, ps int, _ *rand.Rand) []int { return repeatSize(n, ps-1) },
	"random with empty writes": func(n, ps int, rng *rand.Rand) []int {
		var sizes []int
		for n > 0 {
			s := min(rng.IntN(2*ps+1), n)
			sizes = append(sizes, s)
			n -= s
		}
		return sizes
	},
}

func repeatSize(n, size int) []int {
	var sizes []int
	for ; n > 0; n -= size {
		sizes = append(sizes, min(size, n))
	}
	return sizes
}

func TestHasherMatchesSHA256(t *testing.T) {
	const ps = 64
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, ps - 1, ps, ps + 1, 2 * ps, 3*ps + 5, 1000} {
		content := testContent(n)
		want := referenceSums(content, ps)
		for name, plan := range writePlans {
			h := NewHasher(ps)
			rest := content
			for _, size := range plan(n, ps, rng) {
				if w, err := h.Write(rest[:size]); w != size || err != nil {
					t.Fatalf("%d bytes, %s: Write = %d, %v, want %d, nil", n, name, w, err, size)
				}
				rest = rest[size:]
			}
			if got := h.Sum(); !slices.Equal(got, want) {
				t.Errorf("%d bytes, %s: got %d sums %x, want %d sums %x", n, name, len(got), got, len(want), want)
			}
		}
	}
}

func TestHasherRealPieceSize(t *testing.T) {
	content := testContent(3*MinPieceSize + 100)
	h := NewHasher(MinPieceSize)
	for chunk := range slices.Chunk(content, 10000) {
		h.Write(chunk)
	}
	if got, want := h.Sum(), referenceSums(content, MinPieceSize); !slices.Equal(got, want) {
		t.Errorf("got sums %x, want %x", got, want)
	}
}

func TestHasherSumTwice(t *testing.T) {
	h := NewHasher(16)
	h.Write(testContent(40))
	first := slices.Clone(h.Sum())
	if got := h.Sum(); !slices.Equal(got, first) {
		t.Errorf("second Sum() = %x, want %x", got, first)
	}
	if len(first) != 3 {
		t.Errorf("got %d sums for 40 bytes in 16-byte pieces, want 3", len(first))
	}
}

func TestNewHasherRejectsBadPieceSize(t *testing.T) {
	for _, ps := range []int64{0, -1, math.MinInt64} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewHasher(%d) did not panic, want a panic", ps)
				}
			}()
			NewHasher(ps)
		}()
	}
}

func TestVerifyPiece(t *testing.T) {
	content := testContent(100)
	sum := Hash(sha256.Sum256(content))
	tests := []struct {
		name   string
		want   Hash
		blocks [][]byte
		ok     bool
	}{
		{"one block", sum, [][]byte{content}, true},
		{"split blocks", sum, [][]byte{content[:1], content[1:50], nil, content[50:]}, true},
		{"missing byte", sum, [][]byte{content[:99]}, false},
		{"wrong hash", HashBytes([]byte("x")), [][]byte{content}, false},
		{"reordered", sum, [][]byte{content[50:], content[:50]}, false},
		{"no blocks is the empty piece", Hash(sha256.Sum256(nil)), nil, true},
	}
	for _, tt := range tests {
		if got := VerifyPiece(tt.want, tt.blocks...); got != tt.ok {
			t.Errorf("%s: VerifyPiece = %v, want %v", tt.name, got, tt.ok)
		}
	}
}

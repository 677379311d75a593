package piece

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestNewBitfield(t *testing.T) {
	for _, n := range []int{0, 1, 7, 8, 9, 16, 100} {
		b := NewBitfield(n)
		if got := b.Len(); got != n {
			t.Errorf("NewBitfield(%d).Len() = %d, want %d", n, got, n)
		}
		if got := b.Count(); got != 0 {
			t.Errorf("NewBitfield(%d).Count() = %d, want 0", n, got)
		}
		if got, want := b.Full(), n == 0; got != want {
			t.Errorf("NewBitfield(%d).Full() = %v, want %v", n, got, want)
		}
		if got, want := len(b.Bytes()), (n+7)/8; got != want {
			t.Errorf("NewBitfield(%d) has %d bytes, want %d", n, got, want)
		}
	}
}

func TestFullBitfield(t *testing.T) {
	tests := []struct {
		n    int
		want []byte
	}{
		{0, []byte{}},
		{1, []byte{0x80}},
		{7, []byte{0xfe}},
		{8, []byte{0xff}},
		{9, []byte{0xff, 0x80}},
		{13, []byte{0xff, 0xf8}},
	}
	for _, tt := range tests {
		b := FullBitfield(tt.n)
		if got := b.Bytes(); !bytes.Equal(got, tt.want) {
			t.Errorf("FullBitfield(%d).Bytes() = %x, want %x", tt.n, got, tt.want)
		}
		if got := b.Count(); got != tt.n {
			t.Errorf("FullBitfield(%d).Count() = %d, want %d", tt.n, got, tt.n)
		}
		if !b.Full() {
			t.Errorf("FullBitfield(%d).Full() = false, want true", tt.n)
		}
		for i := range tt.n {
			if !b.Has(i) {
				t.Errorf("FullBitfield(%d).Has(%d) = false, want true", tt.n, i)
			}
		}
	}
}

func TestBitfieldNegativeLengthPanics(t *testing.T) {
	for _, f := range []func(int) Bitfield{NewBitfield, FullBitfield} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("got no panic for length -20, want one")
				}
			}()
			f(-20)
		}()
	}
}

func TestBitfieldSetClear(t *testing.T) {
	tests := []struct {
		name  string
		n     int
		set   []int
		clear []int
		want  []byte
	}{
		{"first bit is MSB", 8, []int{0}, nil, []byte{0x80}},
		{"last bit of byte", 8, []int{7}, nil, []byte{0x01}},
		{"second byte", 10, []int{8, 9}, nil, []byte{0x00, 0xc0}},
		{"set twice counts once", 10, []int{3, 3}, nil, []byte{0x10, 0x00}},
		{"clear", 10, []int{1, 2, 9}, []int{2}, []byte{0x40, 0x40}},
		{"clear unset bit", 10, []int{1}, []int{5, 5}, []byte{0x40, 0x00}},
	}
	for _, tt := range tests {
		b := NewBitfield(tt.n)
		for _, i := range tt.set {
			b.Set(i)
		}
		for _, i := range tt.clear {
			b.Clear(i)
		}
		if got := b.Bytes(); !bytes.Equal(got, tt.want) {
			t.Errorf("%s: Bytes() = %x, want %x", tt.name, got, tt.want)
		}
		if got, want := b.Count(), popcount(tt.want); got != want {
			t.Errorf("%s: Count() = %d, want %d", tt.name, got, want)
		}
	}
}

func popcount(b []byte) int {
	n := 0
	for _, x := range b {
		for ; x != 0; x &= x - 1 {
			n++
		}
	}
	return n
}

func TestBitfieldOutOfRange(t *testing.T) {
	b := FullBitfield(10)
	for _, i := range []int{-1, 10, 11, 1 << 40} {
		if b.Has(i) {
			t.Errorf("Has(%d) = true, want false", i)
		}
		for name, op := range map[string]func(int){"Set": b.Set, "Clear": b.Clear} {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("%s(%d) did not panic, want a panic", name, i)
					}
				}()
				op(i)
			}()
		}
	}
}

func TestBitfieldCloneIsIndependent(t *testing.T) {
	a := NewBitfield(20)
	a.Set(3)
	c := a.Clone()
	c.Set(4)
	a.Clear(3)
	if a.Has(4) || a.Count() != 0 {
		t.Errorf("original: Has(4) = %v, Count() = %d, want false, 0", a.Has(4), a.Count())
	}
	if !c.Has(3) || !c.Has(4) || c.Count() != 2 {
		t.Errorf("clone: Has(3) = %v, Has(4) = %v, Count() = %d, want true, true, 2", c.Has(3), c.Has(4), c.Count())
	}
	raw := c.Bytes()
	raw[0] = 0xff
	if c.Bytes()[0] == 0xff {
		t.Errorf("Bytes() shares storage with the bitfield, want a copy")
	}
}

// TestBitfieldModel applies random operations to a bitfield and to a []bool
// and compares them after every step.
func TestBitfieldModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		n := rng.IntN(70)
		b := NewBitfield(n)
		model := make([]bool, n)
		for range 200 {
			if n == 0 {
				break
			}
			i := rng.IntN(n)
			if rng.IntN(2) == 0 {
				b.Set(i)
				model[i] = true
			} else {
				b.Clear(i)
				model[i] = false
			}
			checkModel(t, b, model)
		}
		back, err := ParseBitfield(b.Bytes(), n)
		if err != nil {
			t.Fatalf("ParseBitfield(Bytes()) error %v, want nil", err)
		}
		checkModel(t, back, model)
	}
}

func checkModel(t *testing.T, b Bitfield, model []bool) {
	t.Helper()
	count := 0
	for i, want := range model {
		if got := b.Has(i); got != want {
			t.Fatalf("Has(%d) = %v, want %v", i, got, want)
		}
		if want {
			count++
		}
	}
	if got := b.Count(); got != count {
		t.Fatalf("Count() = %d, want %d", got, count)
	}
	if got, want := b.Full(), count == len(model); got != want {
		t.Fatalf("Full() = %v, want %v", got, want)
	}
}

var parseBitfieldTests = []struct {
	name  string
	raw   []byte
	n     int
	count int
	ok    bool
}{
	{"empty", []byte{}, 0, 0, true},
	{"nil for zero pieces", nil, 0, 0, true},
	{"one piece set", []byte{0x80}, 1, 1, true},
	{"full byte", []byte{0xff}, 8, 8, true},
	{"partial last byte", []byte{0xff, 0xe0}, 11, 11, true},
	{"sparse", []byte{0x81, 0x00, 0x40}, 18, 3, true},
	{"spare bit set", []byte{0xff, 0xf0}, 11, 0, false},
	{"lowest spare bit set", []byte{0x01}, 7, 0, false},
	{"too short", []byte{0xff}, 9, 0, false},
	{"too long", []byte{0xff, 0x00}, 8, 0, false},
	{"bytes for zero pieces", []byte{0x00}, 0, 0, false},
	{"negative length", []byte{}, -1, 0, false},
	{"huge length", []byte{0x00}, int(^uint(0) >> 1), 0, false},
}

func TestParseBitfield(t *testing.T) {
	for _, tt := range parseBitfieldTests {
		if err := CheckBitfield(tt.raw, tt.n); (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrBadBitfield)) {
			t.Errorf("%s: CheckBitfield(%x, %d) error %v, want ok %v", tt.name, tt.raw, tt.n, err, tt.ok)
		}
		b, err := ParseBitfield(tt.raw, tt.n)
		if !tt.ok {
			if !errors.Is(err, ErrBadBitfield) {
				t.Errorf("%s: ParseBitfield(%x, %d) error %v, want ErrBadBitfield", tt.name, tt.raw, tt.n, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: ParseBitfield(%x, %d) error %v, want nil", tt.name, tt.raw, tt.n, err)
			continue
		}
		if b.Len() != tt.n || b.Count() != tt.count {
			t.Errorf("%s: got Len %d Count %d, want %d, %d", tt.name, b.Len(), b.Count(), tt.n, tt.count)
		}
		if got := b.Bytes(); !bytes.Equal(got, tt.raw) {
			t.Errorf("%s: Bytes() = %x, want %x", tt.name, got, tt.raw)
		}
	}
}

func TestParseBitfieldCopiesInput(t *testing.T) {
	raw := []byte{0x80}
	b, err := ParseBitfield(raw, 8)
	if err != nil {
		t.Fatal(err)
	}
	raw[0] = 0xff
	if got := b.Count(); got != 1 {
		t.Errorf("Count() after changing the input = %d, want 1", got)
	}
}

// TestBitfieldUpdate checks Update against a model: every changed bit is
// reported once, in order, with its new value; the result equals
// ParseBitfield of the same bytes; bad input leaves the bitfield alone.
func TestBitfieldUpdate(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, n := range []int{1, 7, 8, 9, 13, 64, 100} {
		b := NewBitfield(n)
		for range 50 {
			next := NewBitfield(n)
			for i := range n {
				if rng.IntN(2) == 1 {
					next.Set(i)
				}
			}
			raw := next.Bytes()
			var want []int
			for i := range n {
				if b.Has(i) != next.Has(i) {
					want = append(want, i)
				}
			}
			var got []int
			err := b.Update(raw, func(i int, set bool) {
				got = append(got, i)
				if set != next.Has(i) {
					t.Errorf("n=%d: bit %d reported set=%v, want %v", n, i, set, next.Has(i))
				}
			})
			if err != nil {
				t.Fatalf("n=%d: %v", n, err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("n=%d: changed %v, want %v", n, got, want)
			}
			if !bytes.Equal(b.Bytes(), raw) || b.Count() != next.Count() {
				t.Fatalf("n=%d: after update %x (%d set), want %x (%d)", n, b.Bytes(), b.Count(), raw, next.Count())
			}
		}
		before := b.Clone()
		bad := [][]byte{make([]byte, len(b.Bytes())+1)}
		if n%8 != 0 {
			spare := before.Bytes()
			spare[len(spare)-1] |= 1
			bad = append(bad, spare)
		}
		for _, raw := range bad {
			if err := b.Update(raw, func(int, bool) { t.Errorf("n=%d: change reported for bad input", n) }); !errors.Is(err, ErrBadBitfield) {
				t.Errorf("n=%d: Update(%x) = %v, want ErrBadBitfield", n, raw, err)
			}
			if !bytes.Equal(b.Bytes(), before.Bytes()) || b.Count() != before.Count() {
				t.Errorf("n=%d: bad input changed the bitfield", n)
			}
		}
	}
}

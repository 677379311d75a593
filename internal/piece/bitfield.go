package piece

import (
	"errors"
	"fmt"
	"math/bits"
)

// Bitfield records which pieces a peer holds. Bit i is the most significant
// bit of byte i/8 shifted right by i%8 (the BitTorrent layout), and trailing
// bits past Len are always zero.
//
// A Bitfield value shares its bytes with copies of it: use Clone before
// handing one to code that may Set or Clear bits.
type Bitfield struct {
	n     int
	bytes []byte
	count int
}

// ErrBadBitfield is returned by ParseBitfield for input of the wrong length
// or with spare bits set.
var ErrBadBitfield = errors.New("piece: malformed bitfield")

// NewBitfield returns an empty bitfield for n pieces. It panics if n is
// negative, as make would.
func NewBitfield(n int) Bitfield {
	if n < 0 {
		panic(fmt.Sprintf("piece: negative bitfield length %d", n))
	}
	return Bitfield{n: n, bytes: make([]byte, bitfieldBytes(n))}
}

// FullBitfield returns a bitfield for n pieces with every bit set. It panics
// if n is negative.
func FullBitfield(n int) Bitfield {
	b := NewBitfield(n)
	for i := range b.bytes {
		b.bytes[i] = 0xff
	}
	if n%8 != 0 {
		b.bytes[len(b.bytes)-1] = 0xff << (8 - n%8)
	}
	b.count = n
	return b
}

// bitfieldBytes returns the wire length of a bitfield for n >= 0 pieces,
// without overflowing for n near math.MaxInt.
func bitfieldBytes(n int) int {
	if n%8 != 0 {
		return n/8 + 1
	}
	return n / 8
}

// CheckBitfield reports whether raw is a well-formed wire form for n
// pieces: exactly (n+7)/8 bytes, no bit set past n.
func CheckBitfield(raw []byte, n int) error {
	if n < 0 || len(raw) != bitfieldBytes(n) {
		return fmt.Errorf("%w: %d bytes for %d pieces", ErrBadBitfield, len(raw), n)
	}
	if n%8 != 0 && raw[len(raw)-1]&(0xff>>(n%8)) != 0 {
		return fmt.Errorf("%w: spare bits set", ErrBadBitfield)
	}
	return nil
}

// ParseBitfield decodes the wire form for n pieces, checked by
// CheckBitfield.
func ParseBitfield(raw []byte, n int) (Bitfield, error) {
	if err := CheckBitfield(raw, n); err != nil {
		return Bitfield{}, err
	}
	b := Bitfield{n: n, bytes: append([]byte(nil), raw...)}
	for _, x := range b.bytes {
		b.count += bits.OnesCount8(x)
	}
	return b, nil
}

// Len returns the number of pieces the bitfield describes.
func (b Bitfield) Len() int { return b.n }

// Count returns how many bits are set.
func (b Bitfield) Count() int { return b.count }

// Full reports whether every piece is present.
func (b Bitfield) Full() bool { return b.count == b.n }

// Has reports whether bit i is set; out-of-range indexes report false.
func (b Bitfield) Has(i int) bool {
	if i < 0 || i >= b.n {
		return false
	}
	return b.bytes[i/8]&(0x80>>(i%8)) != 0
}

// Set sets bit i. It panics if i is out of range, as a slice index would.
func (b *Bitfield) Set(i int) {
	if i < 0 || i >= b.n {
		panic(fmt.Sprintf("piece: bit %d out of range [0,%d)", i, b.n))
	}
	if !b.Has(i) {
		b.bytes[i/8] |= 0x80 >> (i % 8)
		b.count++
	}
}

// Clear clears bit i. It panics if i is out of range.
func (b *Bitfield) Clear(i int) {
	if i < 0 || i >= b.n {
		panic(fmt.Sprintf("piece: bit %d out of range [0,%d)", i, b.n))
	}
	if b.Has(i) {
		b.bytes[i/8] &^= 0x80 >> (i % 8)
		b.count--
	}
}

// Bytes returns a copy of the wire form.
func (b Bitfield) Bytes() []byte { return append([]byte(nil), b.bytes...) }

// Clone returns an independent copy.
func (b Bitfield) Clone() Bitfield {
	return Bitfield{n: b.n, bytes: b.Bytes(), count: b.count}
}

// Update replaces b's bits with the wire form raw for b.Len() pieces,
// checked as ParseBitfield checks it, reusing b's storage, and calls
// changed(i, set) for every bit that differs, in order. On error b is
// unchanged.
func (b *Bitfield) Update(raw []byte, changed func(i int, set bool)) error {
	if err := CheckBitfield(raw, b.n); err != nil {
		return err
	}
	for i, x := range raw {
		for d := b.bytes[i] ^ x; d != 0; {
			k := bits.LeadingZeros8(d)
			d &^= 0x80 >> k
			changed(8*i+k, x&(0x80>>k) != 0)
		}
		b.count += bits.OnesCount8(x) - bits.OnesCount8(b.bytes[i])
		b.bytes[i] = x
	}
	return nil
}

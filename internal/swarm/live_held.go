package swarm

import (
	"fmt"
	"math/bits"

	"github.com/shoal-p2p/shoal/internal/piece"
)

// What the peers hold of a segment is one word array on the segment, dense
// by peer slot: slot i's chunks are the words [i·w, (i+1)·w), w = ⌈n/64⌉,
// chunk c at bit c%64 of word c/64 (one word for the usual dozen chunks),
// and which slots know the announcement is a bitset beside it. A table of
// per-peer bitfields, each with its own byte slice, cost an allocation per
// (segment, peer), half a large run's live heap, and a schedule reading a
// peer's chunks loaded a line that no other access shared.

// words returns how many words one slot's chunks of s take.
func (s *liveSeg) words() int { return (s.n + 63) >> 6 }

// newHolders sizes s's tables for slots peer slots.
func (s *liveSeg) newHolders(slots int) {
	sw := (slots + 63) >> 6
	tab := make([]uint64, sw+slots*s.words())
	s.seen, s.held = tab[:sw:sw], tab[sw:]
}

// row returns slot i's words of s, nil if s's table does not reach i.
func (s *liveSeg) row(i int) []uint64 {
	w := s.words()
	if (i+1)*w > len(s.held) {
		return nil
	}
	return s.held[i*w : (i+1)*w : (i+1)*w]
}

// grow extends s's tables to slot i.
func (s *liveSeg) grow(i int) {
	if need := (i + 1) * s.words(); need > len(s.held) {
		s.held = append(s.held, make([]uint64, need-len(s.held))...)
	}
	if need := i>>6 + 1; need > len(s.seen) {
		s.seen = append(s.seen, make([]uint64, need-len(s.seen))...)
	}
}

// holds reports whether slot i holds chunk c < s.n of s.
func (s *liveSeg) holds(i, c int) bool {
	k := i*s.words() + c>>6
	return k < len(s.held) && s.held[k]&(1<<(c&63)) != 0
}

// holdsAny reports whether slot i holds any chunk of s.
func (s *liveSeg) holdsAny(i int) bool {
	for _, x := range s.row(i) {
		if x != 0 {
			return true
		}
	}
	return false
}

// seenBy reports whether slot i knows s's announcement.
func (s *liveSeg) seenBy(i int) bool {
	return i>>6 < len(s.seen) && s.seen[i>>6]&(1<<(i&63)) != 0
}

// markSeen notes that slot i knows s's announcement.
func (s *liveSeg) markSeen(i int) {
	s.grow(i)
	s.seen[i>>6] |= 1 << (i & 63)
}

// gain records that p holds chunk c of s.
func (s *liveSeg) gain(p *peer, c int) {
	i := p.lp.slot
	s.grow(i)
	k, bit := i*s.words()+c>>6, uint64(1)<<(c&63)
	if s.held[k]&bit == 0 {
		s.held[k] |= bit
		s.avail[c]++
	}
}

// lose records that p no longer holds chunk c of s.
func (s *liveSeg) lose(p *peer, c int) {
	i := p.lp.slot
	if s.holds(i, c) {
		s.held[i*s.words()+c>>6] &^= 1 << (c & 63)
		s.avail[c]--
	}
}

// clearSlot forgets what slot i held of s, undoing its availability, and
// that it knew s.
func (s *liveSeg) clearSlot(i int) {
	row := s.row(i)
	for k, x := range row {
		for ; x != 0; x &= x - 1 {
			s.avail[k<<6|bits.TrailingZeros64(x)]--
		}
		row[k] = 0
	}
	if i>>6 < len(s.seen) {
		s.seen[i>>6] &^= 1 << (i & 63)
	}
}

// checkMap reports whether raw is a well-formed chunk map of n chunks in
// the wire layout (piece.Bitfield's), checked as piece.ParseBitfield does.
func checkMap(raw []byte, n int) error {
	if len(raw) != (n+7)/8 {
		return fmt.Errorf("%w: %d bytes for %d chunks", piece.ErrBadBitfield, len(raw), n)
	}
	if n%8 != 0 && raw[len(raw)-1]&(0xff>>(n%8)) != 0 {
		return fmt.Errorf("%w: spare bits set", piece.ErrBadBitfield)
	}
	return nil
}

// mapWord returns word k of a chunk map checked by checkMap, in the
// tables' layout: wire bit 8j+b (most significant first in byte j) is
// chunk 8j+b.
func mapWord(raw []byte, k int) uint64 {
	var x uint64
	for j, b := range raw[k<<3 : min(k<<3+8, len(raw))] {
		x |= uint64(bits.Reverse8(b)) << (8 * j)
	}
	return x
}

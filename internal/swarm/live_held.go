package swarm

import "math/bits"

// What the peers hold of a segment is one word array on the segment, dense
// by peer slot: slot i's row is the words [i·w, (i+1)·w), w = ⌊n/64⌋+1,
// chunk c at bit c%64 of word c/64 and, just past the last chunk (bit n),
// whether the slot knows the announcement: one word for the usual dozen
// chunks, so an input reads one line of it. A table of per-peer bitfields,
// each with its own byte slice, cost an allocation per (segment, peer),
// half a large run's live heap, and a schedule reading a peer's chunks
// loaded a line that no other access shared.

// words returns how many words one slot's row of s takes.
func (s *liveSeg) words() int { return s.n>>6 + 1 }

// seenBit returns the index in a row of the word holding the seen bit, and
// the bit.
func (s *liveSeg) seenBit() (int, uint64) { return s.n >> 6, 1 << (s.n & 63) }

// newHolders sizes s's table for slots peer slots.
func (s *liveSeg) newHolders(slots int) { s.held = make([]uint64, slots*s.words()) }

// row returns slot i's words of s, nil if s's table does not reach i.
func (s *liveSeg) row(i int) []uint64 {
	w := s.words()
	if (i+1)*w > len(s.held) {
		return nil
	}
	return s.held[i*w : (i+1)*w : (i+1)*w]
}

// grow extends s's table to slot i.
func (s *liveSeg) grow(i int) {
	if need := (i + 1) * s.words(); need > len(s.held) {
		s.held = append(s.held, make([]uint64, need-len(s.held))...)
	}
}

// holds reports whether slot i holds chunk c < s.n of s.
func (s *liveSeg) holds(i, c int) bool {
	k := i*s.words() + c>>6
	return k < len(s.held) && s.held[k]&(1<<(c&63)) != 0
}

// holdsAny reports whether slot i holds any chunk of s.
func (s *liveSeg) holdsAny(i int) bool {
	sk, sb := s.seenBit()
	if sk == 0 { // one word: the usual case
		return i < len(s.held) && s.held[i]&^sb != 0
	}
	for k, x := range s.row(i) {
		if k == sk {
			x &^= sb
		}
		if x != 0 {
			return true
		}
	}
	return false
}

// seenBy reports whether slot i knows s's announcement.
func (s *liveSeg) seenBy(i int) bool {
	sk, sb := s.seenBit()
	k := i*s.words() + sk
	return k < len(s.held) && s.held[k]&sb != 0
}

// markSeen notes that slot i knows s's announcement.
func (s *liveSeg) markSeen(i int) {
	s.grow(i)
	sk, sb := s.seenBit()
	s.held[i*s.words()+sk] |= sb
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
	sk, sb := s.seenBit()
	row := s.row(i)
	for k, x := range row {
		if k == sk {
			x &^= sb
		}
		for ; x != 0; x &= x - 1 {
			s.avail[k<<6|bits.TrailingZeros64(x)]--
		}
		row[k] = 0
	}
}

// mapWord returns word k of a chunk map checked by piece.CheckBitfield, in the
// tables' layout: wire bit 8j+b (most significant first in byte j) is
// chunk 8j+b.
func mapWord(raw []byte, k int) uint64 {
	var x uint64
	for j, b := range raw[k<<3 : min(k<<3+8, len(raw))] {
		x |= uint64(bits.Reverse8(b)) << (8 * j)
	}
	return x
}

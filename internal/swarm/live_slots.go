package swarm

import (
	"time"

	"github.com/shoal-p2p/shoal/internal/piece"
)

// What each peer holds of each segment lives in the segment, indexed by a
// small per-peer slot number, rather than in per-peer maps keyed by
// segment: the scheduler asks "who holds chunks of s" after almost every
// input, and walking one short slice beats a map lookup per peer per
// segment (it was half of a large simulation's CPU). Slots are handed out
// lowest first and reused, so the layout is deterministic.

// segPeer is one peer's state for one segment.
type segPeer struct {
	bits piece.Bitfield // chunks it holds; zero until it told us
	seen bool           // it knows the announcement
}

// takeSlot gives p the lowest free slot.
// Its meters start at the next Tick (rollAt zero).
func (l *liveState) takeSlot(p *peer) {
	for i, q := range l.slots {
		if q == nil {
			l.slots[i], p.lp.slot = p, i
			l.rollAt[i] = time.Time{}
			l.busy[i], l.depth[i] = p.lp.busyUntil, l.depthOf(p)
			return
		}
	}
	p.lp.slot = len(l.slots)
	l.slots = append(l.slots, p)
	l.rollAt = append(l.rollAt, time.Time{})
	l.busy = append(l.busy, p.lp.busyUntil)
	l.depth = append(l.depth, l.depthOf(p))
}

// setBusy leaves p alone until until (livePeer.busyUntil), noting it in
// the slot table too.
func (l *liveState) setBusy(p *peer, until time.Time) {
	p.lp.busyUntil = until
	l.busy[p.lp.slot] = until
}

// noteRate refreshes p's pipeline depth in the slot table after its rate
// estimate changed.
func (l *liveState) noteRate(p *peer) { l.depth[p.lp.slot] = l.depthOf(p) }

// freeSlot clears p's state in every segment, undoing its availability,
// and frees its slot.
func (l *liveState) freeSlot(p *peer) {
	i := p.lp.slot
	l.each(func(s *liveSeg) {
		if i >= len(s.peers) {
			return
		}
		bits := s.peers[i].bits
		for c := range bits.Len() {
			if bits.Has(c) {
				s.avail[c]--
			}
		}
		s.peers[i] = segPeer{}
	})
	l.slots[i] = nil
}

// of returns p's state for s, growing s's table to p's slot.
func (s *liveSeg) of(p *peer) *segPeer {
	i := p.lp.slot
	if i >= len(s.peers) {
		s.peers = append(s.peers, make([]segPeer, i+1-len(s.peers))...)
	}
	return &s.peers[i]
}

// bitsOf returns the chunks p holds of s (zero when unknown).
func (s *liveSeg) bitsOf(p *peer) piece.Bitfield {
	if i := p.lp.slot; i < len(s.peers) {
		return s.peers[i].bits
	}
	return piece.Bitfield{}
}

// seenBy reports whether p knows s's announcement.
func (s *liveSeg) seenBy(p *peer) bool {
	i := p.lp.slot
	return i < len(s.peers) && s.peers[i].seen
}

// gain records that p holds chunk c of s.
func (s *liveSeg) gain(p *peer, c int) {
	sp := s.of(p)
	if sp.bits.Len() == 0 {
		sp.bits = piece.NewBitfield(s.n)
	}
	if !sp.bits.Has(c) {
		sp.bits.Set(c)
		s.avail[c]++
	}
}

// lose records that p no longer holds chunk c of s.
func (s *liveSeg) lose(p *peer, c int) {
	if i := p.lp.slot; i < len(s.peers) && s.peers[i].bits.Has(c) {
		s.peers[i].bits.Clear(c)
		s.avail[c]--
	}
}

// rollPeers rolls the meters of the peers that may close a sample now.
// A live engine keeps, by peer slot, a time before which neither meter of
// that peer can close one (liveState.rollAt), so a Tick reads the state of
// those peers only: reading every peer ten times a second, for rolls that
// were nearly all no-ops, was among a large simulation's largest costs.
// Meters also roll when they count bytes, which only moves their next
// sample later, so rollAt stays a safe lower bound.
func (e *Engine) rollPeers(now time.Time) {
	l := e.live
	for i, at := range l.rollAt {
		p := l.slots[i]
		if p == nil || now.Before(at) {
			continue
		}
		p.down.roll(now)
		p.up.roll(now)
		l.noteRate(p)
		l.rollAt[i] = p.down.last.Add(rateSample)
		if up := p.up.last.Add(rateSample); up.Before(l.rollAt[i]) {
			l.rollAt[i] = up
		}
	}
}

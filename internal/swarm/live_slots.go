package swarm

import (
	"slices"
	"time"

	"github.com/shoal-p2p/shoal/internal/wire"
)

// What each peer holds of each segment lives in the segment, indexed by a
// small per-peer slot number, rather than in per-peer maps keyed by
// segment: the scheduler asks "who holds chunks of s" after almost every
// input, and walking one short slice beats a map lookup per peer per
// segment (it was half of a large simulation's CPU). Slots are handed out
// lowest first and reused, so the layout is deterministic.

// takeSlot gives p the lowest free slot, with tie-break rank.
// Its meters start at the next Tick (rollAt never).
func (l *liveState) takeSlot(p *peer, rank uint32) {
	i := slices.Index(l.slots, nil)
	if i < 0 {
		i = len(l.slots)
		l.slots = append(l.slots, nil)
		l.ids = append(l.ids, "")
		l.busy = append(l.busy, never)
		l.depth = append(l.depth, 0)
		l.fill = append(l.fill, 0)
		l.rate = append(l.rate, 0)
		l.rank = append(l.rank, 0)
		l.tag = append(l.tag, 0)
		l.rollAt = append(l.rollAt, never)
	}
	l.slots[i], l.ids[i], p.lp.slot = p, p.id, i
	l.busy[i], l.fill[i], l.rank[i], l.rollAt[i], l.tag[i] = never, 0, rank, never, 0
	l.noteRate(p)
}

// setBusy leaves p alone until until.
func (l *liveState) setBusy(p *peer, until time.Time) { l.busy[p.lp.slot] = l.at(until) }

// noteRate refreshes p's rate and pipeline depth in the slot tables after
// its rate estimate changed.
func (l *liveState) noteRate(p *peer) {
	i := p.lp.slot
	l.rate[i], l.depth[i] = p.down.bytesPerSec(), l.depthOf(p)
}

// settle withdraws our request for chunk c of s (nil: not in the window)
// if it is out to p, reporting whether it was.
func (l *liveState) settle(p *peer, s *liveSeg, c int) bool {
	if s == nil || c >= s.n || !s.askedOf(c, p) {
		return false
	}
	s.req[c] = 0
	l.fill[p.lp.slot]--
	return true
}

// freeSlot clears p's state in every segment, undoing its availability,
// and frees its slot.
func (l *liveState) freeSlot(p *peer) {
	i := p.lp.slot
	l.each(func(s *liveSeg) { s.clearSlot(i) })
	l.slots[i], l.ids[i] = nil, ""
}

// connected reports whether c is the handle of a connected peer: a
// removed peer's slot is freed (and may be another's), so this is
// !c.p.removed without reading the peer.
func (l *liveState) connected(c Conn) bool {
	return int(c.slot) < len(l.slots) && l.slots[c.slot] == c.p
}

// sendSlot queues message m to the peer in slot i.
func (e *Engine) sendSlot(i int, m wire.Message) { e.emit(Send{Peer: e.live.ids[i], Msg: m}) }

// rollPeers rolls the meters of the peers that may close a sample now.
// A live engine keeps, by peer slot, a time before which neither meter of
// that peer can close one (liveState.rollAt), so a Tick reads the state of
// those peers only: reading every peer ten times a second, for rolls that
// were nearly all no-ops, was among a large simulation's largest costs.
// Meters also roll when they count bytes, which only moves their next
// sample later, so rollAt stays a safe lower bound.
func (e *Engine) rollPeers(now time.Time) {
	l := e.live
	t := l.at(now)
	for i, at := range l.rollAt {
		if t < at {
			continue
		}
		p := l.slots[i]
		if p == nil {
			continue
		}
		p.down.roll(now)
		p.up.roll(now)
		l.noteRate(p)
		l.rollAt[i] = min(l.at(p.down.last), l.at(p.up.last)) + int64(rateSample)
	}
}

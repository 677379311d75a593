package swarm

import "time"

// What each peer holds of each segment lives in the segment, indexed by a
// small per-peer slot number, rather than in per-peer maps keyed by
// segment: the scheduler asks "who holds chunks of s" after almost every
// input, and walking one short slice beats a map lookup per peer per
// segment (it was half of a large simulation's CPU). Slots are handed out
// lowest first and reused, so the layout is deterministic.

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
	l.each(func(s *liveSeg) { s.clearSlot(i) })
	l.slots[i] = nil
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

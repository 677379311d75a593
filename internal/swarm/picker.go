package swarm

import "time"

// fillAll tops up the request pipelines of every peer, in ID order.
func (e *Engine) fillAll(now time.Time) {
	for _, id := range e.order {
		if p := e.peers[id]; p != nil {
			e.fillPeer(p, now)
		}
	}
}

// fillOthers tops up every peer except skip.
func (e *Engine) fillOthers(skip *peer, now time.Time) {
	for _, id := range e.order {
		if p := e.peers[id]; p != nil && p != skip {
			e.fillPeer(p, now)
		}
	}
}

// canRequest reports whether p may be sent requests now.
func (e *Engine) canRequest(p *peer, now time.Time) bool {
	return e.manifest != nil && !e.have.Full() && !e.paused && !p.theyChoking &&
		p.wantCount > 0 && !now.Before(p.snubbedUntil)
}

// fillPeer issues requests to p until its pipeline is full or nothing is
// left to ask it for.
func (e *Engine) fillPeer(p *peer, now time.Time) {
	if !e.canRequest(p, now) {
		return
	}
	depth := p.depth(e.blockSize, now)
	for len(p.out) < depth {
		pp, j, ok := e.pick(p)
		if !ok {
			return
		}
		e.request(p, pp, j, now)
	}
}

// pick chooses the next block to request from p: the strict priority range
// first, then unfinished pieces oldest first, then a new piece rarest first,
// and finally, in endgame, a duplicate of a block another peer is slow with.
func (e *Engine) pick(p *peer) (*partialPiece, int, bool) {
	if pp, j, ok := e.pickPriority(p); ok {
		return pp, j, true
	}
	for _, i := range e.partOrder {
		pp := e.partial[i]
		if pp.unreq == 0 || pp.verifying || !p.bits.Has(i) {
			continue
		}
		if j := pp.firstUnrequested(); j >= 0 {
			return pp, j, true
		}
	}
	if len(e.partOrder) < e.cfg.MaxInflightPieces {
		if i := e.rarestFor(p); i >= 0 {
			return e.newPartial(i), 0, true
		}
	}
	return e.pickEndgame(p)
}

// pickPriority returns the first requestable block of the priority range
// that p has.
func (e *Engine) pickPriority(p *peer) (*partialPiece, int, bool) {
	if e.prio[0] > e.prio[1] {
		return nil, 0, false
	}
	first, last := max(e.prio[0], 0), min(e.prio[1], len(e.avail)-1)
	for i := first; i <= last; i++ {
		if e.have.Has(i) || !p.bits.Has(i) || e.org.busy(i) {
			continue
		}
		pp := e.partial[i]
		if pp == nil {
			if len(e.partOrder) >= e.cfg.MaxInflightPieces {
				continue
			}
			return e.newPartial(i), 0, true
		}
		if pp.verifying || pp.origin || pp.unreq == 0 {
			continue
		}
		if j := pp.firstUnrequested(); j >= 0 {
			return pp, j, true
		}
	}
	return nil, 0, false
}

// rarestFor returns the missing, unstarted piece p has that the fewest peers
// have, ties broken by the engine's random per-piece rank; -1 if none.
// Pieces are visited in rank order, so the first candidate that only one
// peer has cannot be beaten and ends the scan.
func (e *Engine) rarestFor(p *peer) int {
	best := -1
	for _, i := range e.byRank {
		if e.have.Has(i) || !p.bits.Has(i) || e.partial[i] != nil || e.org.busy(i) {
			continue
		}
		if best < 0 || e.avail[i] < e.avail[best] {
			best = i
			if e.avail[i] <= 1 {
				break
			}
		}
	}
	return best
}

// endgame reports whether every missing block is received or requested.
func (e *Engine) endgame() bool {
	for i := range e.avail {
		if e.have.Has(i) || e.org.busy(i) {
			continue
		}
		pp := e.partial[i]
		if pp == nil || pp.unreq > 0 {
			return false
		}
	}
	return true
}

// pickEndgame returns a block, outstanding at another peer, that p can
// duplicate; the copy that arrives second is cancelled.
func (e *Engine) pickEndgame(p *peer) (*partialPiece, int, bool) {
	if !e.endgame() {
		return nil, 0, false
	}
	for _, i := range e.partOrder {
		pp := e.partial[i]
		if pp.verifying || !p.bits.Has(i) {
			continue
		}
		for j, reqs := range pp.reqs {
			if pp.blocks[j] == nil && len(reqs) > 0 && len(reqs) < maxCopies && !containsID(reqs, p.id) {
				return pp, j, true
			}
		}
	}
	return nil, 0, false
}

// firstUnrequested returns the first block neither received nor requested,
// or -1.
func (pp *partialPiece) firstUnrequested() int {
	for j, b := range pp.blocks {
		if b == nil && len(pp.reqs[j]) == 0 {
			return j
		}
	}
	return -1
}

func containsID(ids []PeerID, id PeerID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

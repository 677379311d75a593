package swarm

import (
	"cmp"
	"slices"
	"time"

	"github.com/shoal-p2p/shoal/internal/wire"
)

// Choker periods (BitTorrent's): regular slots are re-evaluated every
// rechokePeriod; the optimistic unchoke rotates every optimisticPeriod.
const (
	rechokePeriod    = 10 * time.Second
	optimisticPeriod = 30 * time.Second
)

// chokeState is the choker's memory between rounds.
type chokeState struct {
	nextRechoke    time.Time
	nextOptimistic time.Time
	optimistic     PeerID // "" when none
}

// rechokeIfDue runs a choke round when its period has elapsed.
func (e *Engine) rechokeIfDue(now time.Time) {
	c := &e.choke
	rotate := !now.Before(c.nextOptimistic)
	if !rotate && now.Before(c.nextRechoke) {
		return
	}
	c.nextRechoke = now.Add(rechokePeriod)
	if rotate {
		c.nextOptimistic = now.Add(optimisticPeriod)
	}
	e.rechoke(rotate)
}

// rechoke unchokes the UploadSlots best interested peers (see
// rankInterested) plus one optimistic unchoke, and chokes the rest.
func (e *Engine) rechoke(rotate bool) {
	ranked := e.rankInterested()
	slots := min(e.cfg.UploadSlots, len(ranked))
	keep := make(map[PeerID]bool, slots+1)
	for _, p := range ranked[:slots] {
		keep[p.id] = true
	}
	c := &e.choke
	if op := e.peers[c.optimistic]; rotate || op == nil || !op.theyInterested || keep[c.optimistic] {
		c.optimistic = ""
		if rest := ranked[slots:]; len(rest) > 0 {
			c.optimistic = rest[e.rng.IntN(len(rest))].id
		}
	}
	if c.optimistic != "" {
		keep[c.optimistic] = true
	}
	for _, id := range e.order {
		e.setChoking(e.peers[id], !keep[id])
	}
}

// rankInterested returns interested peers, best first: while we download,
// those uploading to us fastest (tit-for-tat); once we seed, those holding
// the fewest pieces, so finished nodes feed the ones furthest behind —
// usually the slow uploaders tit-for-tat starves — and the last node
// finishes closer to the fluid bound (files1000: 1.153× → 1.072×). Ties
// (new peers all measure zero) are broken by a seeded shuffle.
func (e *Engine) rankInterested() []*peer {
	var ps []*peer
	for _, id := range e.order {
		if p := e.peers[id]; p.theyInterested {
			ps = append(ps, p)
		}
	}
	e.rng.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
	seeding := e.manifest != nil && e.have.Full()
	if seeding {
		slices.SortStableFunc(ps, func(a, b *peer) int { return cmp.Compare(a.bits.Count(), b.bits.Count()) })
		return ps
	}
	slices.SortStableFunc(ps, func(a, b *peer) int { return cmp.Compare(b.down.bytesPerSec(), a.down.bytesPerSec()) })
	return ps
}

// fillSlots unchokes interested peers at once while a regular slot is free,
// so upload capacity is not left idle until the next round.
func (e *Engine) fillSlots() {
	used := 0
	for _, id := range e.order {
		p := e.peers[id]
		if !p.amChoking && p.theyInterested && id != e.choke.optimistic {
			used++
		}
	}
	if used >= e.cfg.UploadSlots {
		return
	}
	for _, p := range e.rankInterested() {
		if used >= e.cfg.UploadSlots {
			return
		}
		if p.amChoking {
			e.setChoking(p, false)
			used++
		}
	}
}

// onNotInterested chokes a peer that no longer wants anything, freeing its
// slot for someone who does.
func (e *Engine) onNotInterested(p *peer) {
	p.theyInterested = false
	if e.choke.optimistic == p.id {
		e.choke.optimistic = ""
	}
	e.setChoking(p, true)
	e.fillSlots()
}

// setChoking sends Choke or Unchoke when p's state changes.
func (e *Engine) setChoking(p *peer, choke bool) {
	if p.amChoking == choke {
		return
	}
	p.amChoking = choke
	if choke {
		e.send(p, wire.Choke{})
	} else {
		e.send(p, wire.Unchoke{})
	}
}

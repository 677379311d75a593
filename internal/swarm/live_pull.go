package swarm

import (
	"cmp"
	"slices"
	"time"

	"github.com/shoal-p2p/shoal/internal/wire"
)

// Live scheduling constants (docs/live.md, "Scheduler").
const (
	// liveSafetyMargin is kept between a segment's completion and its
	// playback deadline: the scheduler aims at deadline − margin.
	liveSafetyMargin = 500 * time.Millisecond
	// liveOriginLead is how long before its aim a segment still incomplete
	// is handed to the origin whatever the peers are doing; twice the
	// measured origin fetch time raises it. Another liveOriginLead earlier
	// it goes to the origin if a missing chunk is not even requested.
	liveOriginLead = 750 * time.Millisecond
	// liveRequestTimeout is how long a chunk request may stay unanswered
	// before it is cancelled and the chunk asked elsewhere.
	liveRequestTimeout = 1500 * time.Millisecond
	// liveBusyBackoff is how long a peer that rejected a request as
	// TooMany is left alone.
	liveBusyBackoff = 300 * time.Millisecond
	// Pipeline bounds, in chunks, around one second of the peer's rate.
	minLivePipeline = 4
	maxLivePipeline = 64
	// liveOriginRetry is the first back-off after a failed origin fetch;
	// it doubles per failure.
	liveOriginRetry = 250 * time.Millisecond
)

// liveTick is Tick's live part.
func (e *Engine) liveTick(now time.Time) {
	e.live.now = now
	e.expireLive(now)
	e.giveUp(now)
	e.drainUpload(now)
	e.liveOriginFill(now)
	e.liveSchedule(now)
}

// lead returns how long before its aim an incomplete segment goes to the
// origin.
func (l *liveState) lead() time.Duration { return max(liveOriginLead, 2*l.originTime) }

// aim returns when s should be complete: its deadline minus the margin.
func (s *liveSeg) aim(l *liveState) time.Time { return s.deadline(l).Add(-liveSafetyMargin) }

// expireLive cancels chunk requests older than liveRequestTimeout and
// leaves their peers alone for a while, so the chunks go elsewhere.
func (e *Engine) expireLive(now time.Time) {
	e.live.each(func(s *liveSeg) {
		for c, id := range s.req {
			if id == "" || now.Sub(s.reqAt[c]) < liveRequestTimeout {
				continue
			}
			e.cancelLive(s, c, now)
			if p := e.peers[id]; p != nil {
				p.down.penalize()
				p.lp.busyUntil = now.Add(liveBusyBackoff)
			}
			e.live.dirty = true
		}
	})
}

// giveUp stops fetching segments the playhead has passed: past their end
// plus the target latency they can no longer be played.
func (e *Engine) giveUp(now time.Time) {
	l := e.live
	l.each(func(s *liveSeg) {
		if !s.wanted || s.ready || s.gaveUp || now.Before(s.end().Add(l.cfg.TargetLatency)) {
			return
		}
		s.gaveUp = true
		l.missed++
		for c := range s.req {
			if s.req[c] != "" {
				e.cancelLive(s, c, now)
			}
		}
	})
}

// fetching reports whether s still needs chunks from someone.
func (s *liveSeg) fetching() bool { return s.wanted && !s.ready && !s.gaveUp }

// candidate is a chunk that could be requested from a peer now.
type candidate struct {
	s *liveSeg
	c int
}

// liveSchedule requests missing chunks from peers: rarest first, then the
// earliest deadline, then a random rank; each goes to the least loaded
// peer holding it (fewest of our requests outstanding relative to its
// pipeline, then the fastest, then a random rank).
func (e *Engine) liveSchedule(now time.Time) {
	l := e.live
	l.dirty = false
	var cands []candidate
	l.each(func(s *liveSeg) {
		if !s.fetching() || s.origin {
			return
		}
		for c := range s.n {
			if s.avail[c] > 0 && s.req[c] == "" && !s.have.Has(c) {
				cands = append(cands, candidate{s, c})
			}
		}
	})
	if len(cands) == 0 {
		return
	}
	slices.SortFunc(cands, func(a, b candidate) int {
		return cmp.Or(
			cmp.Compare(a.s.avail[a.c], b.s.avail[b.c]),
			a.s.ann.Time.Compare(b.s.ann.Time),
			cmp.Compare(a.s.key.rend, b.s.key.rend),
			cmp.Compare(a.s.rank[a.c], b.s.rank[b.c]))
	})
	for _, cd := range cands {
		if p := e.bestSource(cd.s, cd.c, now); p != nil {
			e.requestChunk(p, cd.s, cd.c, now)
		}
	}
}

// bestSource returns the peer to ask for chunk c of s, or nil if every
// holder is busy or its pipeline full.
func (e *Engine) bestSource(s *liveSeg, c int, now time.Time) *peer {
	var best *peer
	var bestLoad float64
	for _, id := range e.order {
		p := e.peers[id]
		if !p.lp.chunks[s.key].Has(c) || now.Before(p.lp.busyUntil) {
			continue
		}
		depth := e.liveDepth(p)
		if len(p.lp.out) >= depth {
			continue
		}
		load := float64(len(p.lp.out)) / float64(depth)
		if best == nil || load < bestLoad || (load == bestLoad && betterSource(p, best)) {
			best, bestLoad = p, load
		}
	}
	return best
}

// betterSource breaks a load tie: the faster peer, then the random rank.
func betterSource(p, q *peer) bool {
	if a, b := p.down.bytesPerSec(), q.down.bytesPerSec(); a != b {
		return a > b
	}
	return p.lp.rank < q.lp.rank
}

// liveDepth returns how many chunk requests may be outstanding to p: about
// a second of its measured rate.
func (e *Engine) liveDepth(p *peer) int {
	n := 0
	if cs := e.live.chunkSize; cs > 0 {
		n = int(p.down.bytesPerSec() / float64(cs))
	}
	return min(max(n, minLivePipeline), maxLivePipeline)
}

// requestChunk asks p for chunk c of s.
func (e *Engine) requestChunk(p *peer, s *liveSeg, c int, now time.Time) {
	a := wire.ChunkAddr{Rendition: s.key.rend, Sequence: s.key.seq, Chunk: uint32(c)}
	s.req[c], s.reqAt[c] = p.id, now
	p.lp.out[a] = now
	e.send(p, wire.LiveRequest{ChunkAddr: a})
}

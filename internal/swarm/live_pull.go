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
	// it goes to the origin if a missing chunk is not even requested. At
	// 750 ms the peers lost the time joiners needed most: under 30%/min
	// churn at 1,000 viewers, 87% of the origin's bytes after the ramp went
	// to viewers in their first 3 s (2-minute runs: churn 4.2 → 1.6
	// copies, no churn 2.7 → 1.1 at 400 ms; the origin answers in about
	// 50 ms there, and a slow one raises the lead through originTime).
	liveOriginLead = 400 * time.Millisecond
	// liveRequestTimeout is how long a chunk request may stay unanswered
	// before it is cancelled and the chunk asked elsewhere.
	liveRequestTimeout = 1500 * time.Millisecond
	// liveBusyBackoff is how long a peer that rejected a request as
	// TooMany is left alone.
	liveBusyBackoff = 300 * time.Millisecond
	// liveMuteBackoff is how long a peer is left alone that let a request
	// time out while delivering less than a chunk a second: a liar or a
	// silent peer, not a busy one (that rejects with TooMany after
	// liveServeWait, before the timeout).
	liveMuteBackoff = 5 * time.Second
	// Pipeline bounds, in chunks, around one second of the peer's rate.
	minLivePipeline = 4
	maxLivePipeline = 64
	// liveAdvertHolders is how many holders of a new chunk a peer lacking
	// it should hear of from its neighbours (see advertQuota).
	liveAdvertHolders = 3
	// liveAnnounceFanout is how many peers a viewer forwards a new
	// announcement to at once (see forwardAnnounce).
	liveAnnounceFanout = 8
	// liveOriginRetry is the first back-off after a failed origin fetch;
	// it doubles per failure.
	liveOriginRetry = 250 * time.Millisecond
)

// liveTick is Tick's live part.
func (e *Engine) liveTick(now time.Time) {
	e.live.setNow(now)
	e.expireLive(now)
	e.giveUp(now)
	e.drainUpload(now)
	e.liveOriginFill(now)
	e.live.dirty = true // time alone may free sources: schedule over all
	e.liveSchedule(now)
}

// lead returns how long before its aim an incomplete segment goes to the
// origin.
func (l *liveState) lead() time.Duration { return max(liveOriginLead, 2*l.originTime) }

// aim returns when s should be complete: its deadline minus the margin.
func (s *liveSeg) aim(l *liveState) time.Time { return s.deadline(l).Add(-liveSafetyMargin) }

// expireLive cancels chunk requests older than liveRequestTimeout, so the
// chunks go elsewhere. A segment no longer fetched has none out: becoming
// ready, given up or unwanted withdraws them all (cancelAll).
func (e *Engine) expireLive(now time.Time) {
	l := e.live
	l.eachFetching(func(s *liveSeg) {
		for c, r := range s.req {
			if r == 0 || l.nowAt()-s.reqAt[c] < int64(liveRequestTimeout) {
				continue
			}
			i := s.asker(c)
			e.cancelLive(s, c, now)
			if p := l.slots[i]; p != nil {
				e.unanswered(p, s, c, now)
			}
			e.live.dirty = true
		}
	})
}

// unanswered handles p's timed-out request for chunk c of s: p no longer
// counts as a holder of c until it advertises it again, its rate estimate
// is halved and it is left alone for liveBusyBackoff, or liveMuteBackoff
// if it has delivered less than a chunk a second lately.
func (e *Engine) unanswered(p *peer, s *liveSeg, c int, now time.Time) {
	s.lose(p, c)
	back := liveBusyBackoff
	if p.down.quickRate(now) < float64(max(e.live.chunkSize, 1)) {
		back = liveMuteBackoff
	}
	p.down.penalize()
	l := e.live
	l.noteRate(p)
	if until := l.at(now.Add(back)); until > l.busy[p.lp.slot] {
		l.busy[p.lp.slot] = until
	}
}

// giveUp stops fetching segments the playhead has passed: past their end
// plus the target latency (liveSeg.lastAt) they can no longer be played.
// now is the latest input time.
func (e *Engine) giveUp(now time.Time) {
	l := e.live
	l.eachFetching(func(s *liveSeg) {
		if l.nowAt() < s.lastAt {
			return
		}
		s.gaveUp = true
		l.fetchStale = true
		l.missed++
		e.cancelAll(s, now)
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
//
// After inputs that only changed one peer's room (its data, a cancelled
// request), only that peer can take a request the last schedule could not
// place, so only the touched peers are offered as sources. After a chunk
// map, only the chunks it newly shows are offered, from that peer (see
// freshChunks): the same choices for a fraction of the work. Other
// changes, and every Tick (busy peers wake, origin stages pass, chunks a
// peer showed while busy become requestable), schedule over all peers.
func (e *Engine) liveSchedule(now time.Time) {
	l := e.live
	var only, srcPeers []*peer
	var fresh []candidate
	if !l.dirty {
		only = l.touchedPeers()
		fresh, srcPeers = l.freshChunks(only, now)
	}
	l.dirty = false
	for _, p := range l.touched {
		p.touched = false
	}
	// Cleared, not only truncated: a stale pointer left in a reused
	// backing array keeps an evicted segment and its chunks alive.
	clear(l.touched)
	l.touched = l.touched[:0]
	clear(l.fresh)
	l.fresh = l.fresh[:0]
	if only != nil && len(srcPeers) == 0 {
		return
	}
	cands := append(e.candidates(only, now), fresh...)
	e.place(cands, only, srcPeers, now)
	clear(cands) // no stale segment pointers kept alive
	l.candBuf = cands[:0]
}

// place requests each of cands, in order of preference, from its best
// source among srcPeers (every peer when only is nil).
func (e *Engine) place(cands []candidate, only, srcPeers []*peer, now time.Time) {
	l := e.live
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
	l.sched++
	l.srcBuf = l.srcBuf[:0] // sources hold no pointers: no need to clear

	for _, cd := range cands {
		if cd.s.srcSched != l.sched {
			cd.s.srcs, cd.s.srcSched = e.sources(cd.s, srcPeers), l.sched
		}
		if i := l.bestSource(cd.s, cd.s.srcs, cd.c); i >= 0 {
			e.requestChunk(l.slots[i], cd.s, cd.c, now)
		}
	}
}

// touch notes that p's own state changed in a way that may let us request
// from it (see liveSchedule).
func (l *liveState) touch(p *peer) {
	if !p.touched {
		p.touched = true
		l.touched = append(l.touched, p)
	}
}

// touchedPeers returns the touched peers still connected, not being left
// alone and with room in their pipeline, as a non-nil slice. A peer
// without room cannot be asked during this schedule (requests only fill
// pipelines), so leaving it out changes no choice and often spares the
// schedule: most chunk maps come from peers already busy serving us.
func (l *liveState) touchedPeers() []*peer {
	if l.onlyBuf == nil {
		l.onlyBuf = make([]*peer, 0, len(l.touched))
	}
	clear(l.onlyBuf)
	out := l.onlyBuf[:0]
	for _, p := range l.touched {
		if l.askable(p) {
			out = append(out, p)
		}
	}
	l.onlyBuf = out
	return out
}

// askable reports whether p is connected, not being left alone and has
// room in its pipeline.
func (l *liveState) askable(p *peer) bool {
	if p.removed {
		return false
	}
	i := p.lp.slot
	return l.nowAt() >= l.busy[i] && l.fill[i] < l.depth[i]
}

// fresh is a chunk a peer's map newly showed (onLiveHave), for the next
// schedule.
type fresh struct {
	p *peer
	s *liveSeg
	c int
}

// freshChunks returns the chunks newly shown by askable peers that are
// still requestable and not already candidates of only (held by one of
// them), and the sources to offer: only, then those peers. The sources
// share only's backing, so only stays a prefix of them.
func (l *liveState) freshChunks(only []*peer, now time.Time) ([]candidate, []*peer) {
	srcs := only
	clear(l.freshBuf)
	cands := l.freshBuf[:0]
	for _, f := range l.fresh {
		s, c := f.s, f.c
		if !l.askable(f.p) || l.seg(s.key) != s || !s.fetching() || s.originBusy(now) ||
			s.req[c] != 0 || s.has(c) || !s.holds(f.p.lp.slot, c) || heldByAny(s, only, c) {
			continue
		}
		if !slices.Contains(cands, candidate{s, c}) {
			cands = append(cands, candidate{s, c})
		}
		if !f.p.touched && !slices.Contains(srcs[len(only):], f.p) {
			srcs = append(srcs, f.p)
		}
	}
	l.freshBuf, l.onlyBuf = cands, srcs
	return cands, srcs
}

// candidates returns the chunks wanted, unrequested and held by a peer
// (one of only, unless only is nil).
// The result is liveState.candBuf's backing, valid until the next call.
func (e *Engine) candidates(only []*peer, now time.Time) []candidate {
	cands := e.live.candBuf[:0]
	if only != nil && len(only) == 0 {
		return cands
	}
	e.live.eachFetching(func(s *liveSeg) {
		if s.originBusy(now) {
			return
		}
		for c := range s.n {
			if s.avail[c] > 0 && s.req[c] == 0 && !s.has(c) && heldByAny(s, only, c) {
				cands = append(cands, candidate{s, c})
			}
		}
	})
	return cands
}

// heldByAny reports whether one of only (any peer when nil) holds chunk c
// of s; avail covers the nil case.
func heldByAny(s *liveSeg, only []*peer, c int) bool {
	if only == nil {
		return true
	}
	for _, p := range only {
		if s.holds(p.lp.slot, c) {
			return true
		}
	}
	return false
}

// source is a peer that may be asked for chunks of one segment: all a
// schedule reads of it is there, in the segment's table of what peers
// hold and in the slot tables (liveState).
type source struct {
	slot  int32
	depth int32 // its pipeline depth (liveState.depth)
}

// openAt returns the pipeline depth of the peer in slot i if it may be
// asked (connected and not being left alone), else -1. It reads two slot
// tables; a per-schedule memo of it, kept while it read the peers, no
// longer paid for its resetting.
func (l *liveState) openAt(i int) int {
	if l.slots[i] != nil && l.nowAt() >= l.busy[i] {
		return l.depth[i]
	}
	return -1
}

// sources returns the peers (of only, unless nil), in slot order, that hold
// chunks of s and are not being left alone (openAt, when only is nil).
// The result is a piece of liveState.srcBuf, valid during this schedule.
func (e *Engine) sources(s *liveSeg, only []*peer) []source {
	l := e.live
	start := len(l.srcBuf)
	if only != nil {
		for _, p := range only {
			if i := p.lp.slot; s.holdsAny(i) {
				l.srcBuf = append(l.srcBuf, source{int32(i), int32(l.depth[i])})
			}
		}
	} else {
		for i := range len(s.held) / s.words() {
			if !s.holdsAny(i) {
				continue
			}
			if d := l.openAt(i); d >= 0 {
				l.srcBuf = append(l.srcBuf, source{int32(i), int32(d)})
			}
		}
	}
	return l.srcBuf[start:len(l.srcBuf):len(l.srcBuf)]
}

// bestSource returns the slot of the source of s to ask for chunk c, or -1
// if no source holds it with room in its pipeline.
func (l *liveState) bestSource(s *liveSeg, srcs []source, c int) int {
	best, bestLoad := -1, 0.0
	w, k, bit := s.words(), c>>6, uint64(1)<<(c&63)
	for _, src := range srcs {
		i := int(src.slot)
		fill := l.fill[i]
		if s.held[i*w+k]&bit == 0 || fill >= int(src.depth) {
			continue
		}
		load := float64(fill) / float64(src.depth)
		if best < 0 || load < bestLoad || (load == bestLoad && l.betterSource(i, best)) {
			best, bestLoad = i, load
		}
	}
	return best
}

// betterSource breaks a load tie between slots i and j: the faster peer,
// then the random rank.
func (l *liveState) betterSource(i, j int) bool {
	if a, b := l.rate[i], l.rate[j]; a != b {
		return a > b
	}
	return l.rank[i] < l.rank[j]
}

// depthOf computes p's pipeline depth: about a second of its measured
// rate, in chunks.
func (l *liveState) depthOf(p *peer) int {
	n := 0
	if cs := l.chunkSize; cs > 0 {
		n = int(p.down.bytesPerSec() / float64(cs))
	}
	return min(max(n, minLivePipeline), maxLivePipeline)
}

// requestChunk asks p for chunk c of s.
func (e *Engine) requestChunk(p *peer, s *liveSeg, c int, now time.Time) {
	a := wire.ChunkAddr{Rendition: s.key.rend, Sequence: s.key.seq, Chunk: uint32(c)}
	s.req[c], s.reqAt[c] = int32(p.lp.slot+1), e.live.nowAt()
	e.live.fill[p.lp.slot]++
	e.send(p, wire.LiveRequest{ChunkAddr: a})
}

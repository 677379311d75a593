package swarm

import (
	"time"

	"github.com/shoal-p2p/shoal/internal/live"
)

// originTimeWeight is the EWMA weight of a new origin fetch duration.
const originTimeWeight = 0.25

// liveOriginFill emits FetchSegment, up to MaxOriginInflight at a time, for
// segments peers will not complete in time. Three stages, latest first: a
// segment still incomplete lead() before its aim; one with a missing chunk
// that no request is out for, lead()+liveOriginLead before it; one with a
// missing chunk no peer even holds, lead()+2×liveOriginLead minus a
// per-node random jitter before it (the jitter lets one viewer fetch first
// and the others pull from it).
func (e *Engine) liveOriginFill(now time.Time) {
	l := e.live
	if !l.cfg.Origin || l.cfg.Broadcaster {
		return
	}
	lead := l.lead()
	l.eachFetching(func(s *liveSeg) {
		if l.originInflight >= e.cfg.MaxOriginInflight || s.origin || now.Before(s.originRetry) {
			return
		}
		if !s.originDue(l, lead, now) {
			return
		}
		s.origin, s.originSent = true, now
		s.originFirst, s.originEnd = s.missingSpan()
		l.originInflight++
		off := live.ChunkOffset(s.ann, s.originFirst)
		end := live.ChunkOffset(s.ann, s.originEnd-1) + int64(live.ChunkLen(s.ann, s.originEnd-1))
		e.emit(FetchSegment{Rendition: s.key.rend, Sequence: s.key.seq, Offset: off, Length: end - off})
	})
}

// liveJoinGrace is how long peers get to deliver a segment learnt of at or
// after its aim, before the origin stages start.
const liveJoinGrace = 2 * time.Second

// originAimOf returns the aim the origin stages count back from: the
// segment's aim, or liveJoinGrace after it was learnt of if that is later.
// A viewer that joins learns of segments already due; its neighbours hold
// them whole, so peers deliver them a little later instead of every joiner
// taking its first segments from the origin. The first of them is the join
// segment, which is startup, not a continuity miss.
func originAimOf(s *liveSeg, l *liveState, now time.Time) time.Time {
	aim := s.aim(l)
	if grace := now.Add(liveJoinGrace); grace.After(aim) {
		return grace
	}
	return aim
}

// missingSpan returns the chunks [first, end) from the first to the last
// one s lacks: an origin fetch asks for their bytes only.
func (s *liveSeg) missingSpan() (first, end int) {
	first, end = s.n, 0
	for c := range s.n {
		if !s.has(c) {
			first, end = min(first, c), c+1
		}
	}
	return first, end
}

// originDue applies liveOriginFill's stages to s.
func (s *liveSeg) originDue(l *liveState, lead time.Duration, now time.Time) bool {
	since := now.Sub(s.originAim.Add(-lead)) // ≥ 0: the last stage is reached
	if since >= 0 {
		return true
	}
	unrequested, sourceless := false, false
	for c := range s.n {
		if !s.has(c) && s.req[c] == 0 {
			unrequested = true
			sourceless = sourceless || s.avail[c] == 0
		}
	}
	return (unrequested && since >= -liveOriginLead) ||
		(sourceless && since >= -2*liveOriginLead+s.jitter)
}

// LiveOriginData delivers the bytes a FetchSegment asked for: the span
// [Offset, Offset+Length) of the segment. Each chunk in it that is still
// missing is verified against the signed announcement and kept; a wrong
// length or a mismatch is an origin failure (retried after a back-off),
// never a ban. The engine keeps sub-slices of data: the caller must not
// modify it afterwards.
func (e *Engine) LiveOriginData(r uint8, seq uint64, data []byte, now time.Time) {
	l := e.live
	if l == nil {
		return
	}
	l.setNow(now)
	s := l.seg(segKey{r, seq})
	if s == nil || !s.origin {
		e.stats.BytesWasted += int64(len(data))
		return
	}
	e.originDone(s, now)
	e.stats.BytesFromOrigin += int64(len(data))
	e.down.add(len(data), now)
	base := live.ChunkOffset(s.ann, s.originFirst)
	want := live.ChunkOffset(s.ann, s.originEnd-1) + int64(live.ChunkLen(s.ann, s.originEnd-1)) - base
	if int64(len(data)) != want {
		e.stats.BytesWasted += int64(len(data))
		e.originFailed(s, now)
		return
	}
	bad := false
	for c := s.originFirst; c < s.originEnd; c++ {
		if s.has(c) || s.ready {
			continue
		}
		off := live.ChunkOffset(s.ann, c) - base
		b := data[off : off+int64(live.ChunkLen(s.ann, c))]
		if l.cfg.Verifier.Chunk(&s.ann, c, b) != nil {
			bad = true
			continue
		}
		s.fromOrigin += int64(len(b))
		e.storeChunk(s, c, b, now)
	}
	if bad {
		e.originFailed(s, now)
	}
	l.dirty = true
}

// LiveOriginFailed reports that a FetchSegment failed; it is retried after
// a back-off while the segment is still wanted.
func (e *Engine) LiveOriginFailed(r uint8, seq uint64, now time.Time) {
	l := e.live
	if l == nil {
		return
	}
	l.setNow(now)
	s := l.seg(segKey{r, seq})
	if s == nil || !s.origin {
		return
	}
	e.originDone(s, now)
	e.originFailed(s, now)
	l.dirty = true
}

// originDone ends s's outstanding fetch and folds its duration into the
// origin time estimate.
func (e *Engine) originDone(s *liveSeg, now time.Time) {
	l := e.live
	s.origin = false
	l.originInflight--
	d := now.Sub(s.originSent)
	if l.originTime == 0 {
		l.originTime = d
	} else {
		l.originTime += time.Duration(originTimeWeight * float64(d-l.originTime))
	}
}

// originFailed schedules a retry of s.
func (e *Engine) originFailed(s *liveSeg, now time.Time) {
	s.originFails++
	s.originRetry = now.Add(liveOriginRetry << min(s.originFails-1, 5))
}

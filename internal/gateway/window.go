package gateway

import (
	"slices"
	"sort"
	"time"
)

// Media playlist shape.
const (
	// playlistLength is how many segments a media playlist keeps at most:
	// a sliding window (RFC 8216 section 6.2.2).
	playlistLength = 10
	// joinDurations is how many target durations from the end of a live
	// playlist players start: RFC 8216 section 6.3.3 says a client SHOULD
	// NOT start less than three target durations from the end; hls.js
	// starts exactly there (liveSyncDurationCount 3) and ffmpeg, ffplay and
	// mpv start three segments from the end (live_start_index -3).
	joinDurations = 3
)

// entry is one segment a media playlist lists.
type entry struct {
	seq   uint64 // the segment's sequence number (its URI)
	num   uint64 // its media sequence number: one more than the previous entry's, gaps or not
	dur   time.Duration
	start time.Time // broadcaster clock, EXT-X-PROGRAM-DATE-TIME
	disc  bool      // EXT-X-DISCONTINUITY: flagged by the source, or after a gap
}

// window is the media playlist of one rendition as last served, and what it
// takes to keep the next one consistent with it: media sequence numbers only
// grow, segments leave only from the front, the target duration never
// shrinks, and discontinuities that slide out are counted.
type window struct {
	entries []entry
	discSeq uint64 // EXT-X-DISCONTINUITY-SEQUENCE of entries[0] (RFC 8216 section 4.3.3.3)
	last    uint64 // newest sequence ever listed, when listed
	lastNum uint64 // its media sequence number
	listed  bool
	lastEnd time.Time // broadcaster clock at the end of the newest listed segment
	target  int       // EXT-X-TARGETDURATION in seconds, never lowered (section 6.2.1)
	polled  time.Time // when update last ran
	stall   stall
}

// stall is a segment the playhead has passed that is not Ready yet while
// the playlist was playing: the playlist stops before it.
type stall struct {
	active bool
	seq    uint64
	since  time.Time // when the playhead passed the segment's end
}

// change is what an update did to the stall figures.
type change struct {
	started bool          // a stall began
	ended   bool          // a stall ended
	stalled time.Duration // length of the stall that ended
}

// delay returns how far behind now the playhead runs for a target latency:
//
//	delay = max(0, TargetLatency − 3 × TARGETDURATION)
//
// The playlist lists the segments that end at or before playhead = now −
// delay. A player joining starts 3 target durations before the end of the
// playlist (joinDurations), so it plays the broadcaster's moment
// now − delay − 3 × TARGETDURATION = now − TargetLatency when the newest
// segment has just been listed, and at most one segment duration earlier
// between two listings; once started it keeps that latency. With a target
// latency under 3 target durations the delay is 0 and players run about
// 3 target durations behind.
func (w *window) delay(latency time.Duration) time.Duration {
	d := latency - time.Duration(joinDurations*w.target)*time.Second
	return max(d, 0)
}

// update brings the window to time now given the rendition's segments, and
// reports what happened to the stall state.
func (w *window) update(segs []SegmentInfo, now time.Time, latency time.Duration) change {
	w.raiseTarget(segs)
	delay := w.delay(latency)
	playhead := now.Add(-delay)
	w.dropUnavailable(segs)
	var pending *SegmentInfo
	if len(w.entries) == 0 {
		pending = w.join(segs, playhead)
	} else {
		pending = w.extend(segs, playhead)
	}
	w.trim()
	ch := w.track(pending, delay, now)
	w.polled = now
	return ch
}

// raiseTarget sets the target duration to the ceiling of the longest
// segment (RFC 8216 section 4.3.3.1), never lowering it (section 6.2.1).
func (w *window) raiseTarget(segs []SegmentInfo) {
	for _, s := range segs {
		if t := int((s.Duration + time.Second - 1) / time.Second); t > w.target {
			w.target = t
		}
	}
	w.target = max(w.target, 1)
}

// dropUnavailable removes listed segments a player could no longer fetch:
// everything up to the newest listed one that is gone or not Ready, so the
// playlist only loses segments from the front (section 6.2.2).
func (w *window) dropUnavailable(segs []SegmentInfo) {
	cut := 0
	for i, e := range w.entries {
		if s, ok := find(segs, e.seq); !ok || !s.Ready {
			cut = i + 1
		}
	}
	w.drop(cut)
}

// join starts an empty window at the playhead: it lists the run of Ready
// segments that ends with the newest segment the playhead has passed (and
// the engine did not skip), so a viewer never starts behind the target
// latency. It lists nothing while that segment is not Ready, and returns it.
func (w *window) join(segs []SegmentInfo, playhead time.Time) *SegmentInfo {
	lo := w.next(segs)
	hi := lo
	for hi < len(segs) && !segs[hi].End().After(playhead) {
		hi++
	}
	for hi > lo && segs[hi-1].passed() {
		hi--
	}
	if hi == lo {
		return nil
	}
	if !segs[hi-1].Ready {
		return &segs[hi-1]
	}
	start := hi - 1
	for start > lo && segs[start-1].Ready {
		start--
	}
	for _, s := range segs[start:hi] {
		w.push(s)
	}
	return nil
}

// extend appends, in order, the segments the playhead has passed, and stops
// at the first one that is not Ready, which it returns: a playlist never
// lists a segment a player cannot fetch now. It passes over the segments
// the engine skipped (push marks the gap as a discontinuity): waiting for
// one held the playlist back until it left the engine's window, about 20 s.
func (w *window) extend(segs []SegmentInfo, playhead time.Time) *SegmentInfo {
	for i := w.next(segs); i < len(segs); i++ {
		if segs[i].End().After(playhead) {
			return nil
		}
		if segs[i].passed() {
			continue
		}
		if !segs[i].Ready {
			return &segs[i]
		}
		w.push(segs[i])
	}
	return nil
}

// next returns the index of the first segment newer than any listed.
func (w *window) next(segs []SegmentInfo) int {
	return sort.Search(len(segs), func(i int) bool { return !w.listed || segs[i].Sequence > w.last })
}

// push appends a segment. A gap in the sequence numbers (a segment that was
// lost or skipped) is marked as a discontinuity (section 4.3.2.3), and the
// segment's media sequence number is still the previous one's plus one: a
// player numbers segments by position (section 4.3.3.2), so numbering by
// sequence across a gap would give a segment a number another had in an
// earlier reload. Without gaps the two numbers are equal.
func (w *window) push(s SegmentInfo) {
	disc := s.Discontinuity || (w.listed && s.Sequence != w.last+1)
	num := s.Sequence
	if w.listed {
		num = w.lastNum + 1
	}
	w.entries = append(w.entries, entry{seq: s.Sequence, num: num, dur: s.Duration, start: s.Time, disc: disc})
	w.last, w.lastNum, w.listed, w.lastEnd = s.Sequence, num, true, s.End()
}

// trim slides the window to at most playlistLength segments, keeping at
// least three target durations listed (section 6.2.2).
func (w *window) trim() {
	keep := time.Duration(joinDurations*w.target) * time.Second
	n := 0
	for len(w.entries)-n > playlistLength && w.duration(n+1) >= keep {
		n++
	}
	w.drop(n)
}

// duration returns the total duration of entries[from:].
func (w *window) duration(from int) time.Duration {
	var d time.Duration
	for _, e := range w.entries[from:] {
		d += e.dur
	}
	return d
}

// drop removes the n oldest entries; each discontinuity among them raises
// the discontinuity sequence (section 6.2.2).
func (w *window) drop(n int) {
	for _, e := range w.entries[:n] {
		if e.disc {
			w.discSeq++
		}
	}
	w.entries = slices.Delete(w.entries, 0, n)
}

// track updates the stall state. A stall begins when a listed playlist
// cannot grow because a segment the playhead has passed is not Ready; it is
// dated from the moment the playhead passed that segment's end. It ends when
// the playlist is no longer held back: the segment became Ready, or it was
// evicted and skipped.
func (w *window) track(pending *SegmentInfo, delay time.Duration, now time.Time) change {
	blocked := pending != nil && (len(w.entries) > 0 || w.stall.active)
	switch {
	case w.stall.active && !blocked:
		d := now.Sub(w.stall.since)
		w.stall = stall{}
		return change{ended: true, stalled: d}
	case !w.stall.active && blocked:
		since := pending.End().Add(delay)
		if since.Before(w.polled) {
			since = w.polled // it was not blocking at the previous update
		}
		w.stall = stall{active: true, seq: pending.Sequence, since: since}
		return change{started: true}
	case blocked:
		w.stall.seq = pending.Sequence
	}
	return change{}
}

// abandon ends a stall of a rendition no player has polled since ttl before
// now, at the last poll, and returns its length.
func (w *window) abandon(now time.Time, ttl time.Duration) (time.Duration, bool) {
	if !w.stall.active || now.Sub(w.polled) <= ttl {
		return 0, false
	}
	d := max(w.polled.Sub(w.stall.since), 0)
	w.stall = stall{}
	return d, true
}

// find returns the segment with sequence seq from segs, sorted by sequence.
func find(segs []SegmentInfo, seq uint64) (SegmentInfo, bool) {
	i := sort.Search(len(segs), func(i int) bool { return segs[i].Sequence >= seq })
	if i < len(segs) && segs[i].Sequence == seq {
		return segs[i], true
	}
	return SegmentInfo{}, false
}

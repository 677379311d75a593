package swarm

import "time"

// liveStartSlack is how much less than a segment's duration before its
// deadline a joining viewer may learn of a segment and still start with
// it: about the time to connect to peers and hear the window.
const liveStartSlack = 500 * time.Millisecond

// A viewer that joins learns of the whole window at once. Fetching every
// segment still playable — the one at the playhead, due already, and the
// next, due within a segment — made each joiner ask for two extra segments
// at once, at the moment its neighbours had least to spare; under a flash
// crowd the origin served most of them. Until its first segment is ready a
// viewer therefore starts at the oldest segment it can play from its start
// on time: one whose deadline is at least a segment's duration away, less
// liveStartSlack for the time it took to connect and learn of it. Older
// segments are not fetched (they are neither due nor missed). Once it has
// started, every later segment is wanted as before, however late it is
// learnt of.

// trimStart, before the first wanted segment of rendition window w is
// ready, stops fetching the segments older than the oldest one that could
// be started on time when it was learnt of (startable).
func (e *Engine) trimStart(w *liveWindow, now time.Time) {
	if e.live.started {
		return
	}
	first := -1
	for i, s := range w.segs {
		if s.wanted && s.startable {
			first = i
			break
		}
	}
	for _, s := range w.segs[:max(first, 0)] {
		if s.fetching() {
			e.unwant(s, now)
		}
	}
}

// unwant stops fetching s: its requests are withdrawn; an origin fetch
// already out is left to finish.
func (e *Engine) unwant(s *liveSeg, now time.Time) {
	s.wanted = false
	e.live.fetchStale = true
	e.cancelAll(s, now)
}

package swarm

import (
	"cmp"
	"slices"
	"time"

	"github.com/shoal-p2p/shoal/internal/live"
	"github.com/shoal-p2p/shoal/internal/wire"
)

// segKey names a live segment.
type segKey struct {
	rend uint8
	seq  uint64
}

// liveSeg is one announced segment in the window. What most inputs and
// every schedule read comes first, so that it shares a few cache lines: a
// segment is usually cold when an input finds it, and find reads its key.
type liveSeg struct {
	key    segKey
	n      int // chunks
	nhave  int
	wanted bool // this node fetches it
	ready  bool
	gaveUp bool     // the playhead passed it before it was ready
	origin bool     // FetchSegment outstanding
	held   []uint64 // by peer slot: the chunks it holds, whether it knows s (live_held.go)
	avail  []int32  // per chunk: connected peers known to hold it
	req    []int32  // per chunk: slot+1 of the peer our request is out to, 0 none (asker)
	haveW  []int32  // the chunks we hold, a bit each (has, setHave)
	rank   []uint32 // per chunk: random tie-break
	reqAt  []int64  // per chunk: when our request went out, a table time (live_clock.go)

	srcs     []source // its sources in schedule srcSched (liveSchedule)
	srcSched uint64
	lastAt   int64 // end + TargetLatency, a table time: it cannot be played after (giveUp)
	dueMs    int64 // deadline, Unix ms (serveReq.due)

	ann       live.Announcement
	raw       []byte       // canonical announcement encoding, forwarded as wire.Announce
	annMsg    wire.Message // that Announce, boxed once for every peer sent it (sendAnnounce)
	chunks    [][]byte     // verified chunks as received (never copied); nil until held
	newChunks []int        // stored since the last LiveHave flush
	readyAt   time.Time
	// startable: learnt of at least its duration (less liveStartSlack)
	// before its deadline, so playback can start with it (live_start.go)
	startable bool

	originSent  time.Time
	originFirst int // chunks [originFirst, originEnd) asked of the origin
	originEnd   int
	originFails int
	originRetry time.Time     // no FetchSegment before this
	jitter      time.Duration // per-node offset of the sourceless origin fetch
	originAim   time.Time     // aim of the origin stages: see originAimOf

	fromPeers, fromOrigin int64
}

// asker returns the slot of the peer our request for chunk c of s is out
// to, or -1. This is the only record of our requests (liveState.fill
// counts them by peer). A request names a connected peer: one that leaves
// has its requests withdrawn (liveRemovePeer), so a slot is never reused
// under one.
func (s *liveSeg) asker(c int) int { return int(s.req[c]) - 1 }

// askedOf reports whether our request for chunk c of s is out to p.
func (s *liveSeg) askedOf(c int, p *peer) bool { return int(s.req[c]) == p.lp.slot+1 }

// has reports whether we hold chunk c of s.
func (s *liveSeg) has(c int) bool { return s.haveW[c>>5]>>(c&31)&1 != 0 }

// setHave notes that we hold chunk c of s.
func (s *liveSeg) setHave(c int) { s.haveW[c>>5] |= 1 << (c & 31) }

// haveMap returns the chunks we hold of s as a new chunk map in the wire
// layout (piece.Bitfield's).
func (s *liveSeg) haveMap() []byte {
	b := make([]byte, (s.n+7)/8)
	for c := range s.n {
		if s.has(c) {
			b[c>>3] |= 0x80 >> (c & 7)
		}
	}
	return b
}

// deadline returns the playback deadline: Time + TargetLatency.
func (s *liveSeg) deadline(l *liveState) time.Time { return s.ann.Time.Add(l.cfg.TargetLatency) }

// end returns the broadcaster clock at the segment's end.
func (s *liveSeg) end() time.Time { return s.ann.Time.Add(s.ann.Duration) }

// liveWindow is one rendition's segments, oldest first. The windows are
// values in liveState.win and find reads no segment but the one it
// returns: finding a segment is the first thing most inputs do, on an
// engine that is usually cold, and each pointer followed was a miss.
type liveWindow struct {
	segs        []*liveSeg
	first, last uint64 // sequences of the oldest and newest segment, if any
	floor       uint64 // highest evicted sequence
	hasFloor    bool
	known       bool // the rendition has been announced (liveState.rends)
}

// find returns the segment with sequence seq, or nil. Sequences in a
// window are usually consecutive, so the segment is first looked for at
// its offset from the oldest; a gapped window falls back to a search.
func (w *liveWindow) find(seq uint64) *liveSeg {
	segs := w.segs
	if len(segs) == 0 || seq < w.first || seq > w.last {
		return nil
	}
	if d := seq - w.first; d < uint64(len(segs)) && segs[d].key.seq == seq {
		return segs[d]
	}
	if i, ok := slices.BinarySearchFunc(segs, seq, cmpSeq); ok {
		return segs[i]
	}
	return nil
}

// cmpSeq orders a segment against a sequence.
func cmpSeq(s *liveSeg, seq uint64) int { return cmp.Compare(s.key.seq, seq) }

// bounds refreshes first and last after segs changed.
func (w *liveWindow) bounds() {
	if n := len(w.segs); n > 0 {
		w.first, w.last = w.segs[0].key.seq, w.segs[n-1].key.seq
	}
}

// liveState is the engine's live-mode state. What every input reads comes
// first (see Engine.live).
type liveState struct {
	slots []*peer      // by livePeer.slot; nil when free
	win   []liveWindow // by rendition (known: announced); winMem while one
	dirty bool         // something changed that may allow new requests of anyone
	nowOK bool         // nowT is now's table time (live_clock.go)
	// winMem holds the first rendition's window, beside the fields every
	// input reads, so finding a segment of a single-rendition stream
	// reads no other line before the window's segment list.
	winMem   [1]liveWindow
	nowT     int64     // now as a table time, if nowOK
	now      time.Time // latest input time, for Ready-time scheduling (setNow)
	epoch    time.Time // table times count from this (live_clock.go)
	hasEpoch bool
	touched  []*peer     // peers whose own change may allow requests of them (live_pull.go)
	fresh    []fresh     // chunks newly shown by peers' maps (live_pull.go)
	adverts  []*liveSeg  // segments with chunks not yet advertised
	onlyBuf  []*peer     // touchedPeers' and freshChunks' result, reused
	freshBuf []candidate // freshChunks' result, reused
	candBuf  []candidate // candidates' result, reused
	rends    []uint8     // sorted renditions with a window
	cfg      LiveConfig
	// fetch caches the segments being fetched, in each's order, for the
	// paths that only care about those (most of a window is held or
	// past); fetchStale says it must be rebuilt (see eachFetching).
	fetch      []*liveSeg
	fetchStale bool

	originInflight int
	originTime     time.Duration // EWMA of origin fetch durations
	chunkSize      int           // of the newest announcement, for pipeline sizing

	ids []PeerID // by slot: its peer's ID, so that adverts need not read the peers
	// What a schedule reads of each peer, by slot, kept as it changes, so
	// that a schedule over all peers reads these and the segments, not
	// the peers (live_slots.go).
	busy       []int64   // no requests to it before this table time (after TooMany or a timeout)
	depth      []int     // its pipeline depth (depthOf), refreshed when its rate changes (noteRate)
	fill       []int     // our requests outstanding to it: the chunks whose req names it
	rate       []float64 // its download rate estimate (noteRate), a tie-break among sources
	rank       []uint32  // its random tie-break among equally loaded, equally fast sources
	tag        []float64 // fair-queuing tag of our upload to it (drainUpload)
	rollAt     []int64   // its meters close no sample before this table time (rollPeers)
	srcBuf     []source  // backing of the segments' sources during a schedule
	sched      uint64    // schedules so far; liveSeg.srcSched names the one srcs is of
	advertTurn int       // slot where the next advert round starts
	fwdTurn    int       // slot where the next announcement forward starts
	lacking    []int     // sendAdvert's scratch
	up         uploadState
	push       pushState
	arrival    uint64 // serve-queue arrival counter

	ready, late, missed int
	started             bool // a wanted segment is ready (live_start.go)
}

// livePeer is the live-mode part of a peer.
type livePeer struct {
	slot   int      // index of its state in liveSeg.held and liveState's slot tables
	queued chunkSet // their requests waiting in our upload queue (uploadState)
}

// chunkSet is a small set of chunk addresses, as a slice: a peer has at
// most maxLiveQueue requests queued, usually a few, and a scan of those is
// cheaper than a map's hashing, in time and far more in memory.
type chunkSet []wire.ChunkAddr

// remove deletes a, reporting whether it was there. Order is not kept.
func (cs *chunkSet) remove(a wire.ChunkAddr) bool {
	i := slices.Index(*cs, a)
	if i < 0 {
		return false
	}
	last := len(*cs) - 1
	(*cs)[i] = (*cs)[last]
	*cs = (*cs)[:last]
	return true
}

// init sets up an engine's live state for cfg.
func (l *liveState) init(cfg LiveConfig) {
	l.cfg = cfg
	l.win = l.winMem[:0]
}

// windowOf returns rendition r's window, or nil.
func (l *liveState) windowOf(r uint8) *liveWindow {
	if int(r) < len(l.win) && l.win[r].known {
		return &l.win[r]
	}
	return nil
}

// window returns rendition r's window, creating it. The pointer is valid
// until the next window call (l.win may grow).
func (l *liveState) window(r uint8) *liveWindow {
	if int(r) >= len(l.win) {
		l.win = append(l.win, make([]liveWindow, int(r)+1-len(l.win))...)
	}
	w := &l.win[r]
	if !w.known {
		w.known = true
		i, _ := slices.BinarySearch(l.rends, r)
		l.rends = slices.Insert(l.rends, i, r)
	}
	return w
}

// seg returns the segment k, or nil.
func (l *liveState) seg(k segKey) *liveSeg {
	if w := l.windowOf(k.rend); w != nil {
		return w.find(k.seq)
	}
	return nil
}

// each calls f for every segment, renditions in order, oldest first.
func (l *liveState) each(f func(*liveSeg)) {
	for _, r := range l.rends {
		for _, s := range l.win[r].segs {
			f(s)
		}
	}
}

// eachFetching calls f for every segment still being fetched, in each's
// order. Every change of a segment's fetching() (adding, evicting,
// completing, unwanting, giving up) marks the cache stale; it is rebuilt
// into a new slice, so a caller ranging over the old one is unaffected.
func (l *liveState) eachFetching(f func(*liveSeg)) {
	if l.fetchStale {
		fetch := make([]*liveSeg, 0, cap(l.fetch))
		l.each(func(s *liveSeg) {
			if s.fetching() {
				fetch = append(fetch, s)
			}
		})
		l.fetch, l.fetchStale = fetch, false
	}
	for _, s := range l.fetch {
		f(s)
	}
}

// wants reports whether this node downloads rendition r.
func (l *liveState) wants(r uint8) bool {
	return !l.cfg.Broadcaster && (len(l.cfg.Renditions) == 0 || slices.Contains(l.cfg.Renditions, r))
}

// addSegment stores a verified announcement whose sequence is above the
// window's floor and not yet known, evicting the oldest segments beyond
// WindowSegments. It returns the new segment.
func (e *Engine) addSegment(a live.Announcement, raw []byte, now time.Time) *liveSeg {
	l := e.live
	n := len(a.Chunks)
	s := &liveSeg{
		key: segKey{a.Rendition, a.Sequence}, ann: a, raw: raw, n: n,
		chunks: make([][]byte, n), rank: make([]uint32, n),
		reqAt: make([]int64, n),
	}
	// What inputs and schedules read of each chunk, in one allocation.
	per := make([]int32, 2*n+(n+31)/32)
	s.avail, s.req, s.haveW = per[:n:n], per[n:2*n:2*n], per[2*n:]
	s.newHolders(len(l.slots))
	for i := range s.rank {
		s.rank[i] = e.rng.Uint32()
	}
	s.jitter = time.Duration(e.rng.Int64N(int64(liveOriginLead)))
	s.originAim = originAimOf(s, l, now)
	s.lastAt = l.at(s.end().Add(l.cfg.TargetLatency))
	s.dueMs = s.deadline(l).UnixMilli()
	s.wanted = l.wants(a.Rendition) && now.Before(s.end().Add(l.cfg.TargetLatency))
	s.startable = s.deadline(l).Sub(now) >= a.Duration-liveStartSlack
	if int(a.ChunkSize) != l.chunkSize {
		l.chunkSize = int(a.ChunkSize)
		for i, p := range l.slots {
			if p != nil {
				l.depth[i] = l.depthOf(p)
			}
		}
	}
	w := l.window(a.Rendition)
	i, _ := slices.BinarySearchFunc(w.segs, s.key.seq, cmpSeq)
	w.segs = slices.Insert(w.segs, i, s)
	w.bounds()
	for len(w.segs) > l.cfg.WindowSegments {
		e.evict(w, now)
	}
	l.fetchStale = true
	e.trimStart(w, now)
	return s
}

// evict drops the oldest segment of w and every reference to it.
func (e *Engine) evict(w *liveWindow, now time.Time) {
	s := w.segs[0]
	w.segs = slices.Delete(w.segs, 0, 1)
	w.bounds()
	w.floor, w.hasFloor = s.key.seq, true
	l := e.live
	if s.wanted && !s.ready && !s.gaveUp {
		l.missed++
	}
	if s.origin {
		l.originInflight--
	}
	e.cancelAll(s, now)
	e.live.up.dropSegment(e, s.key)
	e.emit(Evicted{Rendition: s.key.rend, Sequence: s.key.seq})
}

// LiveSegments returns the segments of rendition r in the window, oldest
// first. It is empty in static mode and for unknown renditions.
func (e *Engine) LiveSegments(r uint8) []SegmentState {
	if e.live == nil || e.live.windowOf(r) == nil {
		return nil
	}
	segs := e.live.win[r].segs
	out := make([]SegmentState, len(segs))
	for i, s := range segs {
		out[i] = SegmentState{
			Sequence: s.key.seq, Duration: s.ann.Duration, Time: s.ann.Time,
			Discontinuity: s.ann.Discontinuity, Size: int64(s.ann.Size),
			Ready: s.ready, ReadyAt: s.readyAt, Deadline: s.deadline(e.live),
			Skipped:   !s.ready && !s.fetching(),
			FromPeers: s.fromPeers, FromOrigin: s.fromOrigin,
		}
	}
	return out
}

// LiveRenditions returns the renditions announced so far, in order.
func (e *Engine) LiveRenditions() []uint8 {
	if e.live == nil {
		return nil
	}
	return slices.Clone(e.live.rends)
}

// LiveSegment returns the bytes of a Ready segment in the window, in a new
// slice the caller owns.
func (e *Engine) LiveSegment(r uint8, seq uint64) ([]byte, bool) {
	if e.live == nil {
		return nil, false
	}
	s := e.live.seg(segKey{r, seq})
	if s == nil || !s.ready {
		return nil, false
	}
	b := make([]byte, 0, s.ann.Size)
	for _, c := range s.chunks {
		b = append(b, c...)
	}
	return b, true
}

// LiveNewest returns the sequence of the newest segment of rendition r this
// engine knows of, and false before the first. A poller asks the origin
// only for announcements after it.
func (e *Engine) LiveNewest(r uint8) (uint64, bool) {
	if e.live == nil {
		return 0, false
	}
	w := e.live.windowOf(r)
	if w == nil || len(w.segs) == 0 {
		return 0, false
	}
	return w.segs[len(w.segs)-1].key.seq, true
}

// LiveEdge returns the broadcaster-clock end of the newest segment this
// engine knows of, over every rendition; zero before the first. A viewer
// whose edge is within a segment of now learns announcements from its
// peers and need not poll the origin for them.
func (e *Engine) LiveEdge() time.Time {
	var edge time.Time
	if e.live == nil {
		return edge
	}
	for _, r := range e.live.rends {
		if segs := e.live.win[r].segs; len(segs) > 0 {
			if end := segs[len(segs)-1].end(); end.After(edge) {
				edge = end
			}
		}
	}
	return edge
}

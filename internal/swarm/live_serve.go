package swarm

import (
	"slices"
	"time"

	"github.com/shoal-p2p/shoal/internal/wire"
)

// Live upload limits.
const (
	// maxLiveQueue bounds one peer's requests waiting for our upload;
	// further ones are rejected with RejectTooMany.
	maxLiveQueue = 32
	// liveServeWait is how long a request may wait for upload before it is
	// rejected with RejectTooMany, so the requester asks elsewhere in time.
	// A chunk that has just entered the swarm has few holders, all asked
	// at once; the requests a holder cannot start soon must move on to the
	// peers it has served meanwhile. A whole second held them back long
	// enough to send whole segments to the origin; at 500 ms, 1,000
	// viewers still found most missing chunks at the origin stage waiting
	// in a slow peer's queue (600 viewers, 1 min: 14.6 origin copies at
	// 500 ms, 4.1 at 250 ms, 2.9 at 150 ms, 2.8 at 100 ms).
	liveServeWait = 150 * time.Millisecond
	// liveBurst is how much unused upload credit accumulates, in time at
	// UploadRate.
	liveBurst = 200 * time.Millisecond
)

// serveReq is a peer's request waiting for upload.
type serveReq struct {
	p       *peer    // connected: dropPeer removes a departing peer's requests
	s       *liveSeg // in the window: dropSegment removes an evicted one's requests
	slot    int      // p's slot: nextServe reads its tag without reading p
	addr    wire.ChunkAddr
	at      int64 // arrival, a table time (live_clock.go)
	arrival uint64
	due     int64 // the segment's playback deadline, Unix ms
}

// liveDataShare is the share of LiveConfig.UploadRate that chunk data is
// paced to; the rest is left for announcements, chunk maps, requests and
// the transport's framing, which the cap covers too. Pacing data at the
// full rate let a viewer's uplink queue grow without bound in the
// simulator: after two minutes its chunks arrived too late and the
// origin served most of the stream.
const liveDataShare = 0.9

// dataRate returns the rate chunk data is paced to, 0 for no cap.
func (l *liveState) dataRate() int64 {
	if l.cfg.UploadRate <= 0 {
		return 0
	}
	return max(int64(float64(l.cfg.UploadRate)*liveDataShare), 1)
}

// uploadState paces what the engine serves to LiveConfig.UploadRate. Credit
// is a deficit counter: a chunk may be sent while it is positive, so the
// long-run rate holds whatever the chunk size.
//
// Each peer's requests in the queue are also a set on the peer
// (livePeer.queued), which says whether a request repeats one still
// queued: a map of the whole queue's requests, looked up and updated on
// every request, was among a large simulation's costliest operations.
type uploadState struct {
	queue    []serveReq
	credit   float64
	creditAt time.Time

	// Weighted fair queuing over peers (drainUpload): a peer's tag
	// (liveState.tag) is the virtual time at which its service so far ends;
	// vtime is the start tag of the latest chunk served.
	vtime float64
}

// onLiveRequest answers a chunk request: queued for upload when we hold the
// chunk, otherwise a LiveReject saying why. Every peer is served; order
// under scarcity is decided in drainUpload. A request that repeats one
// still queued is ignored: the queued one gets the answer.
func (e *Engine) onLiveRequest(p *peer, a wire.ChunkAddr, now time.Time) {
	s := e.live.seg(segKey{a.Rendition, a.Sequence})
	u := &e.live.up
	reject := func(reason uint8) { e.send(p, wire.LiveReject{ChunkAddr: a, Reason: reason}) }
	switch {
	case s == nil:
		reject(wire.RejectNotHave)
	case int(a.Chunk) >= s.n:
		reject(wire.RejectBadRange)
	case !s.has(int(a.Chunk)):
		reject(wire.RejectNotHave)
	case slices.Contains(p.lp.queued, a):
		// A repeat: the request already waiting gets the answer.
	case len(p.lp.queued) >= maxLiveQueue:
		reject(wire.RejectTooMany)
	default:
		e.live.arrival++
		u.queue = append(u.queue, serveReq{p: p, s: s, slot: p.lp.slot, addr: a,
			at: e.live.nowAt(), arrival: e.live.arrival, due: s.dueMs})
		p.lp.queued = append(p.lp.queued, a)
		e.drainUpload(now)
	}
}

// refill adds the credit earned since the last call, up to liveBurst's
// worth (and at least one chunk's).
func (u *uploadState) refill(rate int64, chunk int, now time.Time) {
	if !u.creditAt.IsZero() {
		u.credit += float64(rate) * now.Sub(u.creditAt).Seconds()
	}
	u.creditAt = now
	u.credit = min(u.credit, max(float64(rate)*liveBurst.Seconds(), float64(chunk)))
}

// maxServeWeight caps a peer's fair-queuing weight: one that uploads to
// us at least maxServeWeight−1 times our own upload rate gets at most
// maxServeWeight shares.
const maxServeWeight = 4

// drainUpload sends queued chunks while upload credit lasts, by weighted
// fair queuing over the requesting peers: the next chunk goes to the peer
// with the least service so far (its start tag), so peers that keep
// requests queued share the upload, each in proportion to its weight, and
// a peer with a few requests is served almost at once whoever else keeps
// its queue full (a flooder gets its share, no more). A peer's weight is 1
// plus what it uploads to us relative to our upload rate (reciprocity).
// Each peer's own requests go earliest deadline first; ties between peers
// go to the earliest deadline, then first come. Requests that waited
// liveServeWait are rejected.
func (e *Engine) drainUpload(now time.Time) {
	u := &e.live.up
	rate := e.live.dataRate()
	if rate > 0 {
		u.refill(rate, e.live.chunkSize, now)
	}
	e.expireServes()
	for len(u.queue) > 0 && (rate == 0 || u.credit > 0) {
		i := 0
		if rate > 0 {
			i = e.nextServe()
		}
		r := u.queue[i]
		u.queue = slices.Delete(u.queue, i, i+1)
		r.p.lp.queued.remove(r.addr)
		e.charge(r.p, r.s, r.addr)
		e.serveChunk(r.p, r.s, r.addr, now)
	}
}

// nextServe returns the index in the queue of the request to serve next:
// the least start tag, then the earliest deadline, then first come.
func (e *Engine) nextServe() int {
	u := &e.live.up
	tag := e.live.tag
	best, bestStart := -1, 0.0
	for i, r := range u.queue {
		start := max(tag[r.slot], u.vtime)
		if best < 0 || start < bestStart || (start == bestStart && r.due < u.queue[best].due) {
			best, bestStart = i, start
		}
	}
	return best
}

// charge advances p's fair-queuing tag by the chunk a of s it is about to
// be served, divided by its weight.
func (e *Engine) charge(p *peer, s *liveSeg, a wire.ChunkAddr) {
	u := &e.live.up
	rate := e.live.dataRate()
	if rate <= 0 {
		return
	}
	w := min(1+p.down.bytesPerSec()/float64(rate), maxServeWeight)
	i := p.lp.slot
	start := max(e.live.tag[i], u.vtime)
	u.vtime = start
	e.live.tag[i] = start + float64(len(s.chunks[a.Chunk]))/w
}

// expireServes rejects queued requests that waited too long. The queue is
// in arrival order, so they are a prefix of it. (Requests of a segment
// that leaves the window are rejected as it leaves: dropSegment.)
func (e *Engine) expireServes() {
	u := &e.live.up
	t := e.live.nowAt() // drainUpload runs at the latest input time
	k := 0
	for ; k < len(u.queue) && t-u.queue[k].at >= int64(liveServeWait); k++ {
		r := u.queue[k]
		r.p.lp.queued.remove(r.addr)
		e.send(r.p, wire.LiveReject{ChunkAddr: r.addr, Reason: wire.RejectTooMany})
	}
	u.queue = slices.Delete(u.queue, 0, k)
}

// serveChunk sends chunk a of s, which we hold, to p and charges the
// upload.
func (e *Engine) serveChunk(p *peer, s *liveSeg, a wire.ChunkAddr, now time.Time) {
	c := int(a.Chunk)
	b := s.chunks[c]
	n := len(b)
	p.up.add(n, now)
	e.up.add(n, now)
	e.stats.BytesUploaded += int64(n)
	if e.live.cfg.UploadRate > 0 {
		e.live.up.credit -= float64(n)
	}
	e.send(p, wire.LiveData{ChunkAddr: a, Payload: b})
}

// cancel drops p's queued request for a.
func (u *uploadState) cancel(p *peer, a wire.ChunkAddr) {
	if !p.lp.queued.remove(a) {
		return
	}
	if i := slices.IndexFunc(u.queue, func(r serveReq) bool { return r.p == p && r.addr == a }); i >= 0 {
		u.queue = slices.Delete(u.queue, i, i+1)
	}
}

// dropPeer forgets a departed peer's queued requests.
func (u *uploadState) dropPeer(p *peer) {
	u.queue = slices.DeleteFunc(u.queue, func(r serveReq) bool { return r.p == p })
}

// dropSegment rejects queued requests for an evicted segment.
func (u *uploadState) dropSegment(e *Engine, k segKey) {
	u.queue = slices.DeleteFunc(u.queue, func(r serveReq) bool {
		if r.addr.Rendition != k.rend || r.addr.Sequence != k.seq {
			return false
		}
		r.p.lp.queued.remove(r.addr)
		e.send(r.p, wire.LiveReject{ChunkAddr: r.addr, Reason: wire.RejectNotHave})
		return true
	})
}

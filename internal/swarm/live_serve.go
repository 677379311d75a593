package swarm

import (
	"cmp"
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
	liveServeWait = time.Second
	// liveBurst is how much unused upload credit accumulates, in time at
	// UploadRate.
	liveBurst = 200 * time.Millisecond
)

// serveReq is a peer's request waiting for upload.
type serveReq struct {
	peer    PeerID
	addr    wire.ChunkAddr
	at      time.Time
	arrival uint64
}

// uploadState paces what the engine serves to LiveConfig.UploadRate. Credit
// is a deficit counter: a chunk may be sent while it is positive, so the
// long-run rate holds whatever the chunk size.
type uploadState struct {
	queue    []serveReq
	credit   float64
	creditAt time.Time
}

// onLiveRequest answers a chunk request: queued for upload when we hold the
// chunk, otherwise a LiveReject saying why. Every peer is served; order
// under scarcity is decided in drainUpload.
func (e *Engine) onLiveRequest(p *peer, a wire.ChunkAddr, now time.Time) {
	s := e.live.seg(segKey{a.Rendition, a.Sequence})
	reject := func(reason uint8) { e.send(p, wire.LiveReject{ChunkAddr: a, Reason: reason}) }
	switch {
	case s == nil:
		reject(wire.RejectNotHave)
	case int(a.Chunk) >= s.n:
		reject(wire.RejectBadRange)
	case !s.have.Has(int(a.Chunk)):
		reject(wire.RejectNotHave)
	case p.lp.queued >= maxLiveQueue:
		reject(wire.RejectTooMany)
	default:
		e.live.arrival++
		e.live.up.queue = append(e.live.up.queue, serveReq{peer: p.id, addr: a, at: now, arrival: e.live.arrival})
		p.lp.queued++
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

// drainUpload sends queued chunks while upload credit lasts: the earliest
// deadline first, then the peers that upload most to us (reciprocity),
// then first come. Requests that waited liveServeWait are rejected.
func (e *Engine) drainUpload(now time.Time) {
	u := &e.live.up
	rate := e.live.cfg.UploadRate
	if rate > 0 {
		u.refill(rate, e.live.chunkSize, now)
	}
	e.expireServes(now)
	if len(u.queue) == 0 {
		return
	}
	score := func(r serveReq) float64 { return e.peers[r.peer].down.bytesPerSec() }
	slices.SortFunc(u.queue, func(a, b serveReq) int {
		return cmp.Or(
			cmp.Compare(e.live.dueOf(a.addr), e.live.dueOf(b.addr)),
			cmp.Compare(score(b), score(a)),
			cmp.Compare(a.arrival, b.arrival))
	})
	k := 0
	for ; k < len(u.queue) && (rate == 0 || u.credit > 0); k++ {
		r := u.queue[k]
		e.peers[r.peer].lp.queued--
		e.serveChunk(e.peers[r.peer], r.addr, now)
	}
	u.queue = slices.Delete(u.queue, 0, k)
}

// dueOf returns the playback deadline of a's segment in Unix milliseconds,
// or the largest value when it left the window.
func (l *liveState) dueOf(a wire.ChunkAddr) int64 {
	if s := l.seg(segKey{a.Rendition, a.Sequence}); s != nil {
		return s.deadline(l).UnixMilli()
	}
	return 1<<63 - 1
}

// expireServes rejects queued requests that waited too long or whose
// segment left the window.
func (e *Engine) expireServes(now time.Time) {
	e.live.up.queue = slices.DeleteFunc(e.live.up.queue, func(r serveReq) bool {
		gone := e.live.seg(segKey{r.addr.Rendition, r.addr.Sequence}) == nil
		if !gone && now.Sub(r.at) < liveServeWait {
			return false
		}
		p := e.peers[r.peer]
		p.lp.queued--
		reason := wire.RejectTooMany
		if gone {
			reason = wire.RejectNotHave
		}
		e.send(p, wire.LiveReject{ChunkAddr: r.addr, Reason: reason})
		return true
	})
}

// serveChunk sends chunk a, which we hold, to p and charges the upload.
func (e *Engine) serveChunk(p *peer, a wire.ChunkAddr, now time.Time) {
	s := e.live.seg(segKey{a.Rendition, a.Sequence})
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
	if i := slices.IndexFunc(u.queue, func(r serveReq) bool { return r.peer == p.id && r.addr == a }); i >= 0 {
		u.queue = slices.Delete(u.queue, i, i+1)
		p.lp.queued--
	}
}

// dropPeer forgets a departed peer's queued requests.
func (u *uploadState) dropPeer(id PeerID) {
	u.queue = slices.DeleteFunc(u.queue, func(r serveReq) bool { return r.peer == id })
}

// dropSegment rejects queued requests for an evicted segment.
func (u *uploadState) dropSegment(e *Engine, k segKey) {
	u.queue = slices.DeleteFunc(u.queue, func(r serveReq) bool {
		if r.addr.Rendition != k.rend || r.addr.Sequence != k.seq {
			return false
		}
		p := e.peers[r.peer]
		p.lp.queued--
		e.send(p, wire.LiveReject{ChunkAddr: r.addr, Reason: wire.RejectNotHave})
		return true
	})
}

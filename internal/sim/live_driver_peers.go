package sim

import (
	"bytes"
	"fmt"

	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/swarm"
	"github.com/shoal-p2p/shoal/internal/wire"
)

// Sizes of the origin's announcement answer around the announcements
// (node.announceResponse as JSON): the fixed part, and per announcement
// its base64 quotes and comma.
const (
	pollRespFixed = 40
	pollRespEach  = 3
)

// handle performs one action of a live engine.
func (lv *liveRun) handle(n *simNode, a swarm.Action) {
	d := lv.d
	switch a := a.(type) {
	case swarm.Send:
		lv.send(n, nodeOf(a.Peer), a.Msg)
	case swarm.FetchSegment:
		d.postEnv(envelope{kind: kindSegReq, from: n.id, to: d.origin, index: int(a.Rendition), seq: int64(a.Sequence), off: a.Offset, n: a.Length}, originReqSize)
	case swarm.SegmentReady:
		lv.onReady(n, a)
	case swarm.Disconnect:
		d.onDisconnect(n, a)
	case swarm.Evicted:
		// The driver keeps segments by its own window.
	}
}

// send puts a live engine message on the network, as the node's role
// makes it: a free rider advertises nothing and serves nothing, a liar
// advertises every chunk of every segment it learns of and serves
// nothing, a corrupt node serves wrong bytes.
//
// A message passes on as the interface value it came in, not re-boxed
// from its concrete type, which would allocate it again.
func (lv *liveRun) send(n *simNode, to NodeID, msg wire.Message) {
	d := lv.d
	switch m := msg.(type) {
	case wire.LiveData:
		switch {
		case n.free || n.role == roleLiar:
			return
		case n.role == roleCorrupt:
			m.Payload = d.bad[:len(m.Payload)]
			msg = m
		}
		n.dataq = append(n.dataq, liveData{to: to, m: msg})
		lv.pump(n)
		return
	case wire.LiveHave:
		if n.free {
			return
		}
		if n.role == roleLiar {
			m.Chunks = lv.fullMap(m.Rendition, m.Sequence, m.Chunks)
			msg = m
		}
		d.send(n.id, to, msg)
		return
	case wire.LiveIntro:
		if n.free { // a free rider relays announcements, never a map
			d.send(n.id, to, wire.Announce{Data: m.Announce})
			return
		}
		if r, seq, ok := announceAddr(m.Announce); ok && n.role == roleLiar {
			m.Chunks = lv.fullMap(r, seq, m.Chunks)
			msg = m
		}
		d.send(n.id, to, msg)
		return
	case wire.Announce:
		d.send(n.id, to, msg)
		if r, seq, ok := announceAddr(m.Data); ok && n.role == roleLiar {
			if full := lv.fullMap(r, seq, nil); full != nil {
				d.send(n.id, to, wire.LiveHave{Rendition: r, Sequence: seq, Chunks: full})
			}
		}
		return
	}
	d.send(n.id, to, msg)
}

// liveData is a chunk waiting for its sender's uplink.
type liveData struct {
	to NodeID
	m  wire.Message // a wire.LiveData
}

// pump hands queued chunks to the uplink one at a time, each when the
// previous one has left, as a runtime with a small socket buffer does: the
// control messages the node sends meanwhile wait for one chunk at most,
// not for every chunk the engine has released. Chunks to a peer that is
// no longer connected are dropped.
func (lv *liveRun) pump(n *simNode) {
	d := lv.d
	k := 0
	for ; k < len(n.dataq) && d.net.Backlog(n.id) == 0; k++ {
		j := n.dataq[k]
		if d.open(n, j.to) {
			d.send(n.id, j.to, j.m)
		}
	}
	if k > 0 {
		rest := copy(n.dataq, n.dataq[k:])
		clear(n.dataq[rest:])
		n.dataq = n.dataq[:rest]
	}
	if len(n.dataq) > 0 && !n.pumping {
		n.pumping = true
		d.s.AfterHandler(d.net.Backlog(n.id), (*pumpEvents)(d), uint64(n.id))
	}
}

// fullMap returns a LiveHave map claiming every chunk of segment (r, seq),
// or def when the segment is no longer kept.
func (lv *liveRun) fullMap(r uint8, seq uint64, def []byte) []byte {
	sg := lv.get(r, seq)
	if sg == nil {
		return def
	}
	n := len(sg.ann.Chunks)
	b, ok := lv.full[n]
	if !ok {
		b = piece.FullBitfield(n).Bytes()
		lv.full[n] = b
	}
	return b
}

// onReady records a segment that became Ready at node n.
func (lv *liveRun) onReady(n *simNode, a swarm.SegmentReady) {
	v := n.view
	if v == nil {
		return // the broadcaster or a hostile node
	}
	lv.meas.fromPeers += a.FromPeers
	lv.meas.fromOrigin += a.FromOrigin
	lv.meas.unique += a.FromPeers + a.FromOrigin
	v.ready(lv, a.Rendition, int64(a.Sequence), lv.d.now())
	if lv.checkReady {
		b, ok := n.eng.LiveSegment(a.Rendition, a.Sequence)
		sg := lv.get(a.Rendition, a.Sequence)
		if !ok || sg == nil || !bytes.Equal(b, sg.buf) {
			lv.badReady++
		}
	}
}

// pollOrigin asks the origin for new announcements as the runtime's poller
// does: everything recent while the viewer knows nothing, then one request
// per rendition for what follows its cursor. As the runtime's catchUp, the
// cursor first moves up to the newest segment the engine knows (the oldest
// of the renditions' newest: the simulator keeps one cursor for all).
func (lv *liveRun) pollOrigin(n *simNode) {
	v := n.view
	known := int64(-1)
	for r := range lv.ring {
		if seq, ok := n.eng.LiveNewest(uint8(r)); ok && (known < 0 || int64(seq) < known) {
			known = int64(seq)
		}
	}
	v.cursor = max(v.cursor, known)
	if v.cursor < 0 {
		lv.d.postEnv(envelope{kind: kindPollReq, from: n.id, to: lv.d.origin, index: -1, seq: -1}, originReqSize)
		return
	}
	for r := range lv.ring {
		lv.d.postEnv(envelope{kind: kindPollReq, from: n.id, to: lv.d.origin, index: r, seq: v.cursor}, originReqSize)
	}
}

// deliver handles a live envelope arriving at its destination.
func (lv *liveRun) deliver(env envelope) {
	d := lv.d
	switch env.kind {
	case kindSegReq:
		sg := lv.get(uint8(env.index), uint64(env.seq))
		size := originRespHead
		if sg != nil && env.off+env.n > int64(len(sg.buf)) {
			sg = nil // a span the segment does not have: 416
		}
		if sg != nil {
			size += int(env.n)
			lv.meas.originMedia += env.n
		}
		d.postEnv(envelope{kind: kindSegData, from: d.origin, to: env.from, index: env.index, seq: env.seq, off: env.off, n: env.n, seg: sg}, size)
	case kindSegData:
		n := d.nodes[env.to]
		if env.seg != nil {
			n.eng.LiveOriginData(uint8(env.index), uint64(env.seq), env.seg.buf[env.off:env.off+env.n], d.s.Now())
		} else {
			n.eng.LiveOriginFailed(uint8(env.index), uint64(env.seq), d.s.Now())
		}
		d.drain(n)
	case kindPollReq:
		lv.answerPoll(env)
	case kindPollResp:
		lv.onPollResp(env)
	}
}

// answerPoll answers a viewer's announcement request with what the origin
// holds now: announcements after the viewer's cursor (the newest
// originAnnounceLatest without one), of one rendition or all.
func (lv *liveRun) answerPoll(env envelope) {
	hi := lv.newest
	lo := env.seq
	if lo < 0 {
		lo = hi - originAnnounceLatest
	}
	lo = max(lo, hi-int64(lv.keep))
	size := originRespHead + pollRespFixed
	lv.eachPolled(env.index, lo, hi, func(sg *segment) { size += base64Len(len(sg.raw)) + pollRespEach })
	lv.meas.originPoll += int64(size)
	lv.d.postEnv(envelope{kind: kindPollResp, from: lv.d.origin, to: env.from, index: env.index, seq: lo, hi: hi}, size)
}

// onPollResp feeds the polled announcements to the viewer's engine.
func (lv *liveRun) onPollResp(env envelope) {
	d := lv.d
	n := d.nodes[env.to]
	lv.eachPolled(env.index, env.seq, env.hi, func(sg *segment) {
		if err := n.eng.LiveAnnounce(sg.raw, d.s.Now()); err != nil {
			d.fail(fmt.Errorf("sim: %s: origin announcement: %w", n.pid, err))
		}
	})
	d.drain(n) // the cursor follows what the engine kept (pollOrigin), as the runtime's
}

// eachPolled calls f for every kept segment of rendition r (every
// rendition when r < 0) with a sequence in (lo, hi], oldest first.
func (lv *liveRun) eachPolled(r int, lo, hi int64, f func(*segment)) {
	for rr := range lv.ring {
		if r >= 0 && rr != r {
			continue
		}
		for seq := max(lo+1, 0); seq <= hi; seq++ {
			if sg := lv.get(uint8(rr), uint64(seq)); sg != nil {
				f(sg)
			}
		}
	}
}

// base64Len returns the length of the standard base64 encoding of n bytes.
func base64Len(n int) int { return (n + 2) / 3 * 4 }

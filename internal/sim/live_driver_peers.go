package sim

import (
	"bytes"
	"fmt"

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

// handleLive performs one action of a live engine.
func (sh *shard) handleLive(n *simNode, a swarm.Action) {
	d := sh.d
	switch a := a.(type) {
	case swarm.Send:
		sh.sendLive(n, nodeOf(a.Peer), a.Msg)
	case swarm.FetchSegment:
		sh.post(n.id, d.origin, originReqSize, envelope{kind: kindSegReq, index: int(a.Rendition), seq: int64(a.Sequence), off: a.Offset, n: a.Length})
	case swarm.SegmentReady:
		sh.onReady(n, a)
	case swarm.Disconnect:
		sh.onDisconnect(n, a)
	case swarm.Evicted:
		// The driver keeps segments by its own window.
	}
}

// sendLive puts a live engine message on the network, as the node's role
// makes it: a free rider advertises nothing and serves nothing, a liar
// advertises every chunk of every segment it learns of and serves
// nothing, a corrupt node serves wrong bytes.
//
// A message passes on as the interface value it came in, not re-boxed
// from its concrete type, which would allocate it again.
func (sh *shard) sendLive(n *simNode, to NodeID, msg wire.Message) {
	lv := sh.d.lv
	switch m := msg.(type) {
	case wire.LiveData:
		switch {
		case n.free || n.role == roleLiar:
			return
		case n.role == roleCorrupt:
			m.Payload = sh.d.bad[:len(m.Payload)]
			msg = m
		}
		n.dataq = append(n.dataq, liveData{to: to, m: msg})
		sh.pumpLive(n)
		return
	case wire.LiveHave:
		if n.free {
			return
		}
		if n.role == roleLiar {
			m.Chunks = lv.fullMap(m.Rendition, m.Sequence, m.Chunks)
			msg = m
		}
	case wire.LiveIntro:
		if n.free { // a free rider relays announcements, never a map
			sh.send(n, to, wire.Announce{Data: m.Announce})
			return
		}
		if r, seq, ok := announceAddr(m.Announce); ok && n.role == roleLiar {
			m.Chunks = lv.fullMap(r, seq, m.Chunks)
			msg = m
		}
	case wire.Announce:
		sh.send(n, to, msg)
		if r, seq, ok := announceAddr(m.Data); ok && n.role == roleLiar {
			if full := lv.fullMap(r, seq, nil); full != nil {
				sh.send(n, to, wire.LiveHave{Rendition: r, Sequence: seq, Chunks: full})
			}
		}
		return
	}
	sh.send(n, to, msg)
}

// liveData is a chunk waiting for its sender's uplink.
type liveData struct {
	to NodeID
	m  wire.Message // a wire.LiveData
}

// pumpLive hands queued chunks to the uplink one at a time, each when the
// previous one has left, as a runtime with a small socket buffer does: the
// control messages the node sends meanwhile wait for one chunk at most,
// not for every chunk the engine has released. Chunks to a peer that is
// no longer connected are dropped.
func (sh *shard) pumpLive(n *simNode) {
	d := sh.d
	k := 0
	for ; k < len(n.dataq) && sh.part.Backlog(n.id) == 0; k++ {
		j := n.dataq[k]
		if d.open(n, j.to) {
			sh.send(n, j.to, j.m)
		}
	}
	if k > 0 {
		rest := copy(n.dataq, n.dataq[k:])
		clear(n.dataq[rest:])
		n.dataq = n.dataq[:rest]
	}
	if len(n.dataq) > 0 && !n.pumping {
		n.pumping = true
		sh.part.s.AfterHandler(sh.part.Backlog(n.id), (*pumpEvents)(sh), uint64(n.id))
	}
}

// fullMap returns a LiveHave map claiming every chunk of segment (r, seq),
// or def when the segment is no longer kept.
func (lv *liveRun) fullMap(r uint8, seq uint64, def []byte) []byte {
	sg := lv.get(r, seq)
	if sg == nil {
		return def
	}
	return lv.full[len(sg.ann.Chunks)]
}

// onReady records a segment that became Ready at node n.
func (sh *shard) onReady(n *simNode, a swarm.SegmentReady) {
	lv := sh.d.lv
	v := n.view
	if v == nil {
		return // the broadcaster or a hostile node
	}
	c := &sh.live
	c.fromPeers += a.FromPeers
	c.fromOrigin += a.FromOrigin
	c.unique += a.FromPeers + a.FromOrigin
	v.ready(lv, a.Rendition, int64(a.Sequence), sh.now())
	if lv.checkReady {
		b, ok := n.eng.LiveSegment(a.Rendition, a.Sequence)
		sg := lv.get(a.Rendition, a.Sequence)
		if !ok || sg == nil || !bytes.Equal(b, sg.buf) {
			c.badReady++
		}
	}
}

// pollOrigin asks the origin for new announcements as the runtime's poller
// does: everything recent while the viewer knows nothing, then one request
// per rendition for what follows its cursor. As the runtime's catchUp, the
// cursor first moves up to the newest segment the engine knows (the oldest
// of the renditions' newest: the simulator keeps one cursor for all).
func (sh *shard) pollOrigin(n *simNode) {
	lv := sh.d.lv
	v := n.view
	known := int64(-1)
	for r := range lv.ring {
		if seq, ok := n.eng.LiveNewest(uint8(r)); ok && (known < 0 || int64(seq) < known) {
			known = int64(seq)
		}
	}
	v.cursor = max(v.cursor, known)
	if v.cursor < 0 {
		sh.post(n.id, sh.d.origin, originReqSize, envelope{kind: kindPollReq, index: -1, seq: -1})
		return
	}
	for r := range lv.ring {
		sh.post(n.id, sh.d.origin, originReqSize, envelope{kind: kindPollReq, index: r, seq: v.cursor})
	}
}

// deliverLive handles a live envelope arriving at its destination.
func (sh *shard) deliverLive(from, to NodeID, env *envelope) {
	d, lv := sh.d, sh.d.lv
	switch env.kind {
	case kindSegReq:
		sg := lv.get(uint8(env.index), uint64(env.seq))
		size := originRespHead
		if sg != nil && env.off+env.n > int64(len(sg.buf)) {
			sg = nil // a span the segment does not have: 416
		}
		if sg != nil {
			size += int(env.n)
			sh.live.originMedia += env.n
		}
		sh.post(d.origin, from, size, envelope{kind: kindSegData, index: env.index, seq: env.seq, off: env.off, n: env.n, seg: sg})
	case kindSegData:
		n := d.nodes[to]
		if env.seg != nil {
			n.eng.LiveOriginData(uint8(env.index), uint64(env.seq), env.seg.buf[env.off:env.off+env.n], sh.at())
		} else {
			n.eng.LiveOriginFailed(uint8(env.index), uint64(env.seq), sh.at())
		}
		sh.drain(n)
	case kindPollReq:
		sh.answerPoll(from, env)
	case kindPollResp:
		sh.onPollResp(to, env)
	}
}

// answerPoll answers a viewer's announcement request with what the origin
// holds now: announcements after the viewer's cursor (the newest
// originAnnounceLatest without one), of one rendition or all.
func (sh *shard) answerPoll(viewer NodeID, env *envelope) {
	lv := sh.d.lv
	hi := lv.newest
	lo := env.seq
	if lo < 0 {
		lo = hi - originAnnounceLatest
	}
	lo = max(lo, hi-int64(lv.keep))
	size := originRespHead + pollRespFixed
	lv.eachPolled(env.index, lo, hi, func(sg *segment) { size += base64Len(len(sg.raw)) + pollRespEach })
	sh.live.originPoll += int64(size)
	sh.post(sh.d.origin, viewer, size, envelope{kind: kindPollResp, index: env.index, seq: lo, hi: hi})
}

// onPollResp feeds the polled announcements to the viewer's engine.
func (sh *shard) onPollResp(to NodeID, env *envelope) {
	n := sh.d.nodes[to]
	sh.d.lv.eachPolled(env.index, env.seq, env.hi, func(sg *segment) {
		if err := n.eng.LiveAnnounce(sg.raw, sh.at()); err != nil {
			sh.fail(fmt.Errorf("sim: %s: origin announcement: %sh", n.pid, err))
		}
	})
	sh.drain(n) // the cursor follows what the engine kept (pollOrigin), as the runtime's
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

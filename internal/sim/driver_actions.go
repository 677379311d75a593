package sim

import (
	"fmt"

	"github.com/shoal-p2p/shoal/internal/swarm"
	"github.com/shoal-p2p/shoal/internal/wire"
)

// Sizes of the messages the runtime adds around the engine's: a handshake
// frame each way per connection, and an HTTP request and response header
// per origin fetch.
const (
	helloSize      = 4 + 1 + 2 + 32 + 1
	originReqSize  = 300
	originRespHead = 300
)

// envelope kinds.
const (
	kindMsg        uint8 = iota // an engine message
	kindHello                   // handshake from the dialler
	kindHelloAck                // handshake answer
	kindOriginReq               // HTTP GET of a piece
	kindOriginData              // HTTP response with the piece
	kindSegReq                  // live: HTTP GET of a segment
	kindSegData                 // live: HTTP response with the segment (or 404)
	kindPollReq                 // live: HTTP GET of the origin's announcements
	kindPollResp                // live: HTTP response with announcements
)

// envelope is a message in flight; envelopes are reused through a free list
// so delivering a message allocates nothing in the driver. Live kinds use
// index for the rendition, seq and hi for sequence numbers and seg for the
// segment an origin answer carries.
type envelope struct {
	kind     uint8
	from, to NodeID
	index    int
	seq, hi  int64
	off, n   int64 // byte span of a live origin fetch
	seg      *segment
	msg      wire.Message
	pc       *pairConn // kindMsg: the pair's connection
}

// drain performs n's pending actions until the engine has none left.
// Handling an action can drain another node, so each drain takes its own
// action list from d.acts and gives it back.
func (d *driver) drain(n *simNode) {
	var acts []swarm.Action
	if k := len(d.acts); k > 0 {
		acts, d.acts = d.acts[k-1], d.acts[:k-1]
	}
	for {
		acts = n.eng.AppendReady(acts[:0])
		if len(acts) == 0 {
			break
		}
		for _, a := range acts {
			d.handle(n, a)
		}
	}
	d.acts = append(d.acts, acts)
}

// handle performs one action of node n.
func (d *driver) handle(n *simNode, a swarm.Action) {
	if d.opt.Trace != nil {
		fmt.Fprintf(d.opt.Trace, "%v %s %v\n", d.now(), n.pid, a)
	}
	if d.lv != nil {
		d.lv.handle(n, a)
		return
	}
	switch a := a.(type) {
	case swarm.Send:
		if n.free {
			if _, ok := a.Msg.(wire.Unchoke); ok {
				return // a free rider never unchokes anyone
			}
		}
		d.send(n.id, nodeOf(a.Peer), a.Msg)
	case swarm.Serve:
		d.onServe(n, a)
	case swarm.Verify:
		ok := d.genuine(a.Index, a.Blocks)
		if ok {
			d.meas.unique += d.m.PieceLen(a.Index)
		}
		n.eng.PieceVerified(a.Index, ok, d.s.Now())
	case swarm.FetchOrigin:
		d.post(kindOriginReq, n.id, d.origin, a.Index, nil, originReqSize)
	case swarm.Disconnect:
		d.onDisconnect(n, a)
	case swarm.Completed:
		d.onCompleted(n)
	}
}

// genuine reports whether blocks are piece i of the content. Payloads are
// never copied, so a genuine block is the sub-slice of d.truth at its
// offset: comparing addresses replaces hashing.
func (d *driver) genuine(i int, blocks [][]byte) bool {
	off := d.m.PieceOffset(i)
	end := off + d.m.PieceLen(i)
	for _, b := range blocks {
		if len(b) == 0 || off+int64(len(b)) > end || &b[0] != &d.truth[off] {
			return false
		}
		off += int64(len(b))
	}
	return off == end
}

// send puts an engine message on the network.
func (d *driver) send(from, to NodeID, m wire.Message) {
	d.sentByType[m.Type()]++
	pc := d.pairOf(d.nodes[from], to)
	d.postEnv(envelope{kind: kindMsg, from: from, to: to, msg: m, pc: pc}, d.frameSize(m))
}

// messagesSent returns the engine messages sent so far by type name.
func (d *driver) messagesSent() map[string]int64 {
	out := make(map[string]int64)
	for t, n := range d.sentByType {
		if n > 0 {
			out[wire.Type(t).String()] = n
		}
	}
	return out
}

// frameSize returns the encoded length of m: wire.AppendFrame's, computed
// without copying a payload.
func (d *driver) frameSize(m wire.Message) int {
	const head = 4 + 1 // length prefix, type
	switch m := m.(type) {
	case wire.Data:
		return head + 8 + len(m.Payload)
	case wire.LiveData:
		return head + 13 + len(m.Payload)
	case wire.LiveHave:
		return head + 9 + len(m.Chunks)
	case wire.Announce:
		return head + len(m.Data)
	case wire.LiveIntro:
		return head + 4 + len(m.Announce) + len(m.Chunks)
	case wire.LiveRequest, wire.LiveCancel:
		return head + 13
	case wire.LiveReject:
		return head + 14
	}
	d.scratch = wire.AppendFrame(d.scratch[:0], m)
	return len(d.scratch)
}

// post sends an envelope of size bytes.
func (d *driver) post(kind uint8, from, to NodeID, index int, m wire.Message, size int) {
	d.postEnv(envelope{kind: kind, from: from, to: to, index: index, msg: m}, size)
}

// postEnv sends a copy of env of size bytes.
func (d *driver) postEnv(env envelope, size int) {
	var e *envelope
	if k := len(d.envs); k > 0 {
		e = d.envs[k-1]
		d.envs = d.envs[:k-1]
	} else {
		e = new(envelope)
	}
	*e = env
	d.net.Send(env.from, env.to, size, e, d.deliverFunc())
}

// deliverFunc returns the network's delivery callback, created once.
func (d *driver) deliverFunc() func(any) {
	if d.deliverFn == nil {
		d.deliverFn = d.deliver
	}
	return d.deliverFn
}

// deliver handles an envelope arriving at its destination. The network only
// delivers between live nodes.
func (d *driver) deliver(payload any) {
	e := payload.(*envelope)
	env := *e
	*e = envelope{}
	d.envs = append(d.envs, e)
	switch env.kind {
	case kindMsg:
		d.deliverMsg(env)
	case kindHello:
		d.onHello(env)
	case kindHelloAck:
		d.onHelloAck(env)
	case kindOriginReq:
		size := originRespHead + int(d.m.PieceLen(env.index))
		d.post(kindOriginData, d.origin, env.from, env.index, nil, size)
	case kindOriginData:
		d.onOriginData(env)
	default:
		d.lv.deliver(env)
	}
}

// deliverMsg hands an engine message to its receiver if the connection is
// still open.
func (d *driver) deliverMsg(env envelope) {
	if env.pc == nil || env.pc.state != connOpen {
		return
	}
	to := d.nodes[env.to]
	switch m := env.msg.(type) {
	case wire.Cancel:
		to.cancelServe(env.from, m)
	case wire.Data:
		if to.role == roleLeecher {
			d.meas.downBytes += int64(len(m.Payload))
		}
	}
	to.eng.ReceiveConn(env.pc.conn[side(env.to, env.from)], env.msg, d.s.Now())
	d.drain(to)
}

// onOriginData hands a piece fetched from the origin to its engine.
func (d *driver) onOriginData(env envelope) {
	n := d.nodes[env.to]
	off := d.m.PieceOffset(env.index)
	size := d.m.PieceLen(env.index)
	d.meas.downBytes += size
	n.eng.OriginData(env.index, d.truth[off:off+size], d.s.Now())
	d.drain(n)
}

// onServe queues a block for n's uplink; a liar or free rider never serves.
func (d *driver) onServe(n *simNode, a swarm.Serve) {
	if n.role == roleLiar || n.free {
		return
	}
	to := nodeOf(a.Peer)
	n.upq = append(n.upq, serveJob{to: to, index: a.Req.Index, begin: a.Req.Begin, length: a.Req.Length})
	d.pump(n)
}

// pumpEvents resumes a node's uploads when its uplink is idle; the argument
// is the NodeID.
type pumpEvents driver

// Fire pumps the node's upload queue.
func (p *pumpEvents) Fire(arg uint64) {
	d := (*driver)(p)
	n := d.nodes[arg]
	n.pumping = false
	switch {
	case !n.alive:
	case d.lv != nil:
		d.lv.pump(n)
	default:
		d.pump(n)
	}
}

// pump hands queued blocks to the uplink one at a time, each when the
// previous one has left, as a runtime with a small socket buffer does: a
// Cancel can still withdraw a block that has not started.
func (d *driver) pump(n *simNode) {
	for n.qhead < len(n.upq) && d.net.Backlog(n.id) == 0 {
		j := n.upq[n.qhead]
		n.qhead++
		if j.dead || !d.open(n, j.to) {
			continue
		}
		var payload []byte
		if n.role == roleCorrupt {
			payload = d.bad[:j.length]
		} else {
			off := d.m.PieceOffset(int(j.index)) + int64(j.begin)
			payload = d.truth[off : off+int64(j.length)]
		}
		d.send(n.id, j.to, wire.Data{Index: j.index, Begin: j.begin, Payload: payload})
	}
	switch {
	case n.qhead == len(n.upq):
		n.upq, n.qhead = n.upq[:0], 0
	case n.qhead > 64 && 2*n.qhead > len(n.upq):
		n.upq = append(n.upq[:0], n.upq[n.qhead:]...)
		n.qhead = 0
	}
	if n.qhead < len(n.upq) && !n.pumping {
		n.pumping = true
		d.s.AfterHandler(d.net.Backlog(n.id), (*pumpEvents)(d), uint64(n.id))
	}
}

// cancelServe withdraws a queued block that peer no longer wants.
func (n *simNode) cancelServe(peer NodeID, c wire.Cancel) {
	for i := n.qhead; i < len(n.upq); i++ {
		j := &n.upq[i]
		if j.to == peer && j.index == c.Index && j.begin == c.Begin && !j.dead {
			j.dead = true
			return
		}
	}
}

// onCompleted records that leecher n has every piece.
func (d *driver) onCompleted(n *simNode) {
	if n.role != roleLeecher || n.done >= 0 {
		return
	}
	n.done = d.now()
	d.meas.completed++
	d.incomplete--
	d.checkStop()
}

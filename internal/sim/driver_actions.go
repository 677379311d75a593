package sim

import (
	"github.com/shoal-p2p/shoal/internal/swarm"
	"github.com/shoal-p2p/shoal/internal/wire"
)

// Sizes of the messages the runtime adds around the engine's: a handshake
// frame each way per connection and a notice when one end closes it, and
// an HTTP request and response header per origin fetch.
const (
	helloSize      = 4 + 1 + 2 + 32 + 1
	closeSize      = 4 + 1 // the notice of a closed connection
	originReqSize  = 300
	originRespHead = 300
)

// envelope kinds.
const (
	kindMsg        uint8 = iota // an engine message
	kindHello                   // handshake from the dialler
	kindHelloAck                // handshake answer
	kindClose                   // the sender closed the connection
	kindOriginReq               // HTTP GET of a piece
	kindOriginData              // HTTP response with the piece
	kindSegReq                  // live: HTTP GET of a segment
	kindSegData                 // live: HTTP response with the segment (or 404)
	kindPollReq                 // live: HTTP GET of the origin's announcements
	kindPollResp                // live: HTTP response with announcements
)

// envelope is what a message carries across the network, by value. Live
// kinds use index for the rendition, seq and hi for sequence numbers and
// seg for the segment an origin answer carries.
type envelope struct {
	kind  uint8
	index int
	seq   int64
	hi    int64
	off   int64 // byte span of a live origin fetch
	n     int64
	seg   *segment
	msg   wire.Message
	pc    *pairConn // kindMsg: the pair's connection
}

// drain performs n's pending actions until the engine has none left.
// Handling an action can drain the node again, so each drain takes its
// own action list from sh.acts and gives it back.
func (sh *shard) drain(n *simNode) {
	var acts []swarm.Action
	if k := len(sh.acts); k > 0 {
		acts, sh.acts = sh.acts[k-1], sh.acts[:k-1]
	}
	for {
		acts = n.eng.AppendReady(acts[:0])
		if len(acts) == 0 {
			break
		}
		for _, a := range acts {
			sh.handle(n, a)
		}
	}
	clear(acts) // no stale messages kept alive
	sh.acts = append(sh.acts, acts)
}

// handle performs one action of node n.
func (sh *shard) handle(n *simNode, a swarm.Action) {
	d := sh.d
	if d.opt.Trace != nil {
		sh.tracef(n, "%s %v", n.pid, a)
	}
	if d.lv != nil {
		sh.handleLive(n, a)
		return
	}
	switch a := a.(type) {
	case swarm.Send:
		if n.free {
			if _, ok := a.Msg.(wire.Unchoke); ok {
				return // a free rider never unchokes anyone
			}
		}
		sh.send(n, nodeOf(a.Peer), a.Msg)
	case swarm.Serve:
		sh.onServe(n, a)
	case swarm.Verify:
		ok := d.genuine(a.Index, a.Blocks)
		if ok {
			sh.unique += d.m.PieceLen(a.Index)
		}
		n.eng.PieceVerified(a.Index, ok, sh.at())
	case swarm.FetchOrigin:
		sh.post(n.id, d.origin, originReqSize, envelope{kind: kindOriginReq, index: a.Index})
	case swarm.Disconnect:
		sh.onDisconnect(n, a)
	case swarm.Completed:
		sh.onCompleted(n)
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

// send puts an engine message from n on the network.
func (sh *shard) send(n *simNode, to NodeID, m wire.Message) {
	sh.sentByType[m.Type()]++
	pc := sh.d.pairOf(n, to)
	sh.part.Send(n.id, to, sh.frameSize(m), envelope{kind: kindMsg, msg: m, pc: pc})
}

// frameSize returns the encoded length of m: wire.AppendFrame's, computed
// without copying a payload.
func (sh *shard) frameSize(m wire.Message) int {
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
	sh.scratch = wire.AppendFrame(sh.scratch[:0], m)
	return len(sh.scratch)
}

// post sends env of size bytes from one node, of sh's part, to another.
func (sh *shard) post(from, to NodeID, size int, env envelope) {
	sh.part.Send(from, to, size, env)
}

// deliver handles a message arriving at its destination, on the part of
// the receiver. The network only delivers between live nodes.
func (d *driver) deliver(p *Part[envelope], from, to NodeID, env *envelope) {
	sh := d.shards[p.Index()]
	switch env.kind {
	case kindMsg:
		sh.deliverMsg(from, to, env)
	case kindHello:
		sh.onHello(from, to)
	case kindHelloAck:
		sh.onHelloAck(from, to)
	case kindClose:
		sh.onClose(from, to)
	case kindOriginReq:
		size := originRespHead + int(d.m.PieceLen(env.index))
		sh.post(d.origin, from, size, envelope{kind: kindOriginData, index: env.index})
	case kindOriginData:
		sh.onOriginData(to, env.index)
	default:
		sh.deliverLive(from, to, env)
	}
}

// deliverMsg hands an engine message to its receiver if the receiver's
// side of the connection is still open.
func (sh *shard) deliverMsg(from, to NodeID, env *envelope) {
	pc := env.pc
	s := side(to, from)
	if pc == nil || pc.state[s] != connOpen {
		return
	}
	n := sh.d.nodes[to]
	switch m := env.msg.(type) {
	case wire.Cancel:
		n.cancelServe(from, m)
	case wire.Data:
		if n.role == roleLeecher {
			sh.downBytes += int64(len(m.Payload))
		}
	}
	n.eng.ReceiveConn(pc.conn[s], env.msg, sh.at())
	sh.drain(n)
}

// onOriginData hands a piece fetched from the origin to its engine.
func (sh *shard) onOriginData(to NodeID, index int) {
	d := sh.d
	n := d.nodes[to]
	off := d.m.PieceOffset(index)
	size := d.m.PieceLen(index)
	sh.downBytes += size
	n.eng.OriginData(index, d.truth[off:off+size], sh.at())
	sh.drain(n)
}

// onServe queues a block for n's uplink; a liar or free rider never serves.
func (sh *shard) onServe(n *simNode, a swarm.Serve) {
	if n.role == roleLiar || n.free {
		return
	}
	to := nodeOf(a.Peer)
	n.upq = append(n.upq, serveJob{to: to, index: a.Req.Index, begin: a.Req.Begin, length: a.Req.Length})
	sh.pump(n)
}

// pumpEvents resumes the uploads of a node of a shard's part when its
// uplink is idle; the argument is the NodeID.
type pumpEvents shard

// Fire pumps the node's upload queue.
func (p *pumpEvents) Fire(arg uint64) {
	sh := (*shard)(p)
	n := sh.d.nodes[arg]
	n.pumping = false
	switch {
	case !n.alive:
	case sh.d.lv != nil:
		sh.pumpLive(n)
	default:
		sh.pump(n)
	}
}

// pump hands queued blocks to the uplink one at a time, each when the
// previous one has left, as a runtime with a small socket buffer does: a
// Cancel can still withdraw a block that has not started.
func (sh *shard) pump(n *simNode) {
	d := sh.d
	for n.qhead < len(n.upq) && sh.part.Backlog(n.id) == 0 {
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
		sh.send(n, j.to, wire.Data{Index: j.index, Begin: j.begin, Payload: payload})
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
		sh.part.s.AfterHandler(sh.part.Backlog(n.id), (*pumpEvents)(sh), uint64(n.id))
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

// onCompleted records that leecher n has every piece; the run stops
// between windows once no honest leecher is left to wait for.
func (sh *shard) onCompleted(n *simNode) {
	if n.role != roleLeecher || n.done >= 0 {
		return
	}
	n.done = sh.now()
	sh.completed++
}

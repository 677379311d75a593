package swarm

import (
	"time"

	"github.com/shoal-p2p/shoal/internal/wire"
)

// originSource marks a block that came from the origin in partialPiece.from.
const originSource PeerID = "\x00origin"

// partialPiece is a piece being assembled in memory.
type partialPiece struct {
	index     int
	blocks    [][]byte   // received payloads, nil while missing
	from      []PeerID   // source of each received block
	reqs      [][]PeerID // peers with an outstanding request per block (≤ maxCopies)
	got       int        // blocks received
	unreq     int        // blocks neither received nor requested
	verifying bool       // Verify emitted, PieceVerified pending
	origin    bool       // fetched whole from the origin
}

// maxCopies bounds concurrent requests for one block (endgame duplicates).
const maxCopies = 2

func (e *Engine) newPartial(i int) *partialPiece {
	n := e.numBlocks(i)
	pp := &partialPiece{
		index:  i,
		blocks: make([][]byte, n),
		from:   make([]PeerID, n),
		reqs:   make([][]PeerID, n),
		unreq:  n,
	}
	e.partial[i] = pp
	e.partOrder = append(e.partOrder, i)
	return pp
}

// dropPartial forgets piece i's partial state.
func (e *Engine) dropPartial(i int) {
	delete(e.partial, i)
	for k, idx := range e.partOrder {
		if idx == i {
			e.partOrder = append(e.partOrder[:k], e.partOrder[k+1:]...)
			break
		}
	}
}

// request sends p a request for block j of piece pp.
func (e *Engine) request(p *peer, pp *partialPiece, j int, now time.Time) {
	begin := uint32(j) * e.blockSize
	n := e.runLength(p, pp, j, now)
	var total uint32
	for b := j; b < j+n; b++ {
		length := e.blockLen(pp.index, b)
		if len(pp.reqs[b]) == 0 {
			pp.unreq--
		}
		pp.reqs[b] = append(pp.reqs[b], p.id)
		p.out[blockKey{uint32(pp.index), uint32(b) * e.blockSize}] = outReq{length: length, sent: now}
		total += length
	}
	first := blockKey{uint32(pp.index), begin}
	r := p.out[first]
	r.run = total
	p.out[first] = r
	e.send(p, wire.Request{Index: uint32(pp.index), Begin: begin, Length: total})
}

// Request coalescing: a peer delivering at least coalesceRate bytes/s is
// asked for up to maxRun consecutive blocks of a piece in one Request (one
// Data reply), which cuts per-message work on fast links. Blocks are still
// tracked one by one, so slow peers, endgame and bans see no difference.
const (
	coalesceRate = 16 << 20
	maxRun       = 4
)

// runLength returns how many blocks from j to ask p for at once.
func (e *Engine) runLength(p *peer, pp *partialPiece, j int, now time.Time) int {
	if len(pp.reqs[j]) > 0 || p.down.quickRate(now) < coalesceRate {
		return 1 // an endgame duplicate, or a peer too slow to gain
	}
	n := 1
	// A run may overshoot p's pipeline depth by up to maxRun-1 blocks;
	// capping it by the room left would shrink runs to the one or two
	// blocks each arriving reply frees.
	for b := j + 1; b < len(pp.blocks) && n < maxRun; b++ {
		if len(pp.reqs[b]) > 0 || pp.blocks[b] != nil {
			break
		}
		n++
	}
	return n
}

// release forgets p's outstanding request k, making the block requestable
// again. A partial piece left with nothing received or requested is dropped
// so it does not hold a MaxInflightPieces slot.
func (e *Engine) release(p *peer, k blockKey) {
	delete(p.out, k)
	pp := e.partial[int(k.index)]
	if pp == nil || pp.origin {
		return
	}
	j := int(k.begin / e.blockSize)
	if j >= len(pp.reqs) || !removeID(&pp.reqs[j], p.id) {
		return
	}
	if len(pp.reqs[j]) == 0 && pp.blocks[j] == nil {
		pp.unreq++
		if pp.got == 0 && pp.unreq == len(pp.blocks) {
			e.dropPartial(pp.index)
		}
	}
}

// removeID deletes id from *s, reporting whether it was there.
func removeID(s *[]PeerID, id PeerID) bool {
	for k, x := range *s {
		if x == id {
			*s = append((*s)[:k], (*s)[k+1:]...)
			return true
		}
	}
	return false
}

// onData stores a requested block. Unrequested or duplicate data is counted
// as waste; it is not a reason to ban.
func (e *Engine) onData(p *peer, m wire.Data, now time.Time) {
	n := len(m.Payload)
	p.down.add(n, now)
	e.down.add(n, now)
	k := blockKey{m.Index, m.Begin}
	req, ok := p.out[k]
	if ok && req.run > req.length && int(req.run) == n {
		e.onRun(p, m, now)
		return
	}
	if e.onBlock(p, m, now) {
		e.fillPeer(p, now)
	}
}

// onRun splits the answer to a coalesced Request into its blocks.
func (e *Engine) onRun(p *peer, m wire.Data, now time.Time) {
	for off := 0; off < len(m.Payload); {
		begin := m.Begin + uint32(off)
		req, ok := p.out[blockKey{m.Index, begin}]
		if !ok || off+int(req.length) > len(m.Payload) {
			e.stats.BytesWasted += int64(len(m.Payload) - off)
			break
		}
		e.onBlock(p, wire.Data{Index: m.Index, Begin: begin, Payload: m.Payload[off : off+int(req.length)]}, now)
		off += int(req.length)
	}
	e.fillPeer(p, now)
}

// onBlock stores one requested block. It reports whether the block
// answered a request of ours, after which p's pipeline has room again.
func (e *Engine) onBlock(p *peer, m wire.Data, now time.Time) bool {
	n := len(m.Payload)
	k := blockKey{m.Index, m.Begin}
	req, ok := p.out[k]
	if !ok || int(req.length) != n {
		e.stats.BytesWasted += int64(n)
		return false
	}
	delete(p.out, k)
	pp := e.partial[int(m.Index)]
	j := int(m.Begin / e.blockSize)
	if pp == nil || pp.origin || j >= len(pp.reqs) || !removeID(&pp.reqs[j], p.id) || pp.blocks[j] != nil {
		e.stats.BytesWasted += int64(n)
		return true
	}
	pp.blocks[j] = m.Payload
	pp.from[j] = p.id
	pp.got++
	e.stats.BytesFromPeers += int64(n)
	e.cancelCopies(pp, j)
	if pp.got == len(pp.blocks) {
		pp.verifying = true
		e.emit(Verify{Index: pp.index, Blocks: pp.blocks})
	}
	return true
}

// cancelCopies withdraws the endgame duplicates of block j, which has just
// arrived from another peer.
func (e *Engine) cancelCopies(pp *partialPiece, j int) {
	begin := uint32(j) * e.blockSize
	k := blockKey{uint32(pp.index), begin}
	for _, id := range append([]PeerID(nil), pp.reqs[j]...) {
		q := e.peers[id]
		if q == nil {
			continue
		}
		req := q.out[k]
		delete(q.out, k)
		e.send(q, wire.Cancel{Index: k.index, Begin: begin, Length: req.length})
	}
	pp.reqs[j] = nil
}

// expireRequests cancels requests older than RequestTimeout. The peer's rate
// estimate is halved and it is not asked again for RequestTimeout, so the
// blocks go to other peers.
func (e *Engine) expireRequests(now time.Time) {
	for _, id := range e.order {
		p := e.peers[id]
		expired := false
		for _, k := range p.outKeys() {
			req := p.out[k]
			if now.Sub(req.sent) < e.cfg.RequestTimeout {
				continue
			}
			e.release(p, k)
			e.send(p, wire.Cancel{Index: k.index, Begin: k.begin, Length: req.length})
			expired = true
		}
		if expired {
			p.down.penalize()
			p.snubbedUntil = now.Add(e.cfg.RequestTimeout)
		}
	}
}

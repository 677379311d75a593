package sim

import (
	"fmt"
	"math"
	"time"
)

// Part is one part of a Network: a share of its nodes, the Scheduler of
// their events and the messages on their way to them. While the network
// runs, the parts' windows run on several goroutines at once; an event of
// one of a part's nodes may touch that node's state, send from it (Send)
// and schedule its events (Sched), and nothing of another node's.
type Part[M any] struct {
	net *Network[M]
	idx int
	s   *Scheduler

	// out holds the messages sent during a window, by the parity of the
	// window and by the part of their receiver; outMin is the earliest
	// arrival among those of a parity. The receiving part takes them at
	// the start of the next window (collect).
	out    [2][][]flight[M]
	outMin [2]int64

	arrivals calendar    // collected messages not yet at their receiver's downlink
	flights  []flight[M] // by slot: collected messages, until delivered
	free     []int32     // free slots of flights
	panicked any         // a panic of this part's goroutine, re-raised by Run
}

// flight is a message between its sender's uplink and its delivery.
type flight[M any] struct {
	at       int64 // when its last byte reaches the receiver's downlink
	from, to NodeID
	seq      uint64 // the sender's send count: orders arrivals at one instant
	size     int64
	m        M
}

func newPart[M any](n *Network[M], idx int) *Part[M] {
	p := &Part[M]{net: n, idx: idx, s: NewScheduler(n.global.start)}
	for q := range p.out {
		p.out[q] = make([][]flight[M], max(n.cfg.Parts, 1))
		p.outMin[q] = math.MaxInt64
	}
	return p
}

// Index returns the part's position, 0 to Parts()−1.
func (p *Part[M]) Index() int { return p.idx }

// Sched returns the scheduler of the part's nodes' events.
func (p *Part[M]) Sched() *Scheduler { return p.s }

// Backlog returns how long a message sent now by id, a node of p, would
// wait before its uplink starts serialising it.
func (p *Part[M]) Backlog(id NodeID) time.Duration {
	return time.Duration(max(p.net.node(id).upFree-p.s.now, 0))
}

// Send queues a message of size bytes from node from, which must belong
// to p, to node to; the network's deliver function gets m when it
// arrives. A Send from a removed node is ignored. Send panics if a node is
// unknown or not from p, or if size is negative.
func (p *Part[M]) Send(from, to NodeID, size int, m M) {
	n := p.net
	src, dst := n.node(from), n.node(to)
	if int(from)%len(n.parts) != p.idx {
		panic(fmt.Sprintf("sim: node %d sends from part %d", from, p.idx))
	}
	if size < 0 {
		panic(fmt.Sprintf("sim: negative message size %d", size))
	}
	if !src.alive {
		return
	}
	sz := int64(size)
	left := satAdd(max(p.s.now, src.upFree), serialise(sz, src.up))
	src.upFree = left
	src.stats.BytesSent += sz
	if src.rng != nil && src.rng.Float64() < n.cfg.Loss {
		src.stats.BytesDropped += sz
		return
	}
	src.sent++
	f := flight[M]{at: satAdd(left, satAdd(src.access, dst.access)), from: from, to: to, seq: src.sent, size: sz, m: m}
	q := n.parity
	box := &p.out[q][int(to)%len(n.parts)]
	*box = append(*box, f)
	p.outMin[q] = min(p.outMin[q], f.at)
}

// collect takes the messages every part sent to p during the window of
// parity q.
func (p *Part[M]) collect(q int) {
	for _, from := range p.net.parts {
		box := from.out[q][p.idx]
		for i := range box {
			id := p.store(box[i])
			p.arrivals.push(flightKey{at: box[i].at, from: box[i].from, seq: box[i].seq, slot: id})
		}
		clear(box) // the contents may hold pointers
		from.out[q][p.idx] = box[:0]
	}
}

// arrive moves every collected message that reaches its receiver's
// downlink before end through that downlink, in order of arrival, and
// schedules its delivery when its last byte is received. A message with
// a removed end is dropped.
func (p *Part[M]) arrive(end int64) {
	n := p.net
	p.arrivals.popBefore(end, func(k flightKey) {
		f := &p.flights[k.slot]
		dst := &n.nodes[f.to]
		if !n.nodes[f.from].alive || !dst.alive {
			dst.stats.BytesDropped += f.size
			p.release(k.slot)
			return
		}
		done := satAdd(max(f.at, dst.downFree), serialise(f.size, dst.down))
		dst.downFree = done
		dst.stats.BytesReceived += f.size // until dropped on the downlink (Fire)
		p.s.schedule(done, nil, (*deliveries[M])(p), uint64(k.slot)|uint64(uint32(n.removed))<<32)
	})
}

// deliveries is the Handler of message deliveries on a part, kept apart
// from Part so that Fire does not appear in its API.
type deliveries[M any] Part[M]

// Fire delivers the message in the slot in the low half of arg, unless an
// end has been removed since it arrived. The high half is the count of
// removals when it arrived: while no node has been removed since, both
// ends are known to be alive, and the nodes' state, far away in memory,
// is not read.
func (e *deliveries[M]) Fire(arg uint64) {
	p := (*Part[M])(e)
	n := p.net
	slot := int32(uint32(arg))
	f := &p.flights[slot]
	if uint32(arg>>32) != uint32(n.removed) {
		if dst := &n.nodes[f.to]; !n.nodes[f.from].alive || !dst.alive {
			dst.stats.BytesReceived -= f.size
			dst.stats.BytesDropped += f.size
			p.release(slot)
			return
		}
	}
	n.deliver(p, f.from, f.to, &f.m) // the slot stays put: only collect stores
	p.release(slot)
}

// store keeps f in a free slot and returns the slot.
func (p *Part[M]) store(f flight[M]) int32 {
	if k := len(p.free); k > 0 {
		id := p.free[k-1]
		p.free = p.free[:k-1]
		p.flights[id] = f
		return id
	}
	if len(p.flights) == math.MaxInt32 {
		panic("sim: too many messages in flight")
	}
	p.flights = append(p.flights, f)
	return int32(len(p.flights) - 1)
}

// release clears a slot, letting its contents go, and frees it.
func (p *Part[M]) release(id int32) {
	p.flights[id] = flight[M]{}
	p.free = append(p.free, id)
}

// next returns the time of the part's earliest event or collected
// arrival, math.MaxInt64 if it has neither.
func (p *Part[M]) next() int64 {
	at := int64(math.MaxInt64)
	if t, ok := p.s.nextAt(); ok {
		at = t
	}
	return min(at, p.arrivals.next())
}

// runWindow runs the part over [now, end): it collects what was sent to
// it during the previous window (parity q), moves arrivals before end
// through the downlinks and runs the events due before end.
func (p *Part[M]) runWindow(q int, end int64) {
	p.collect(q)
	p.arrive(end)
	p.s.runBefore(end)
}

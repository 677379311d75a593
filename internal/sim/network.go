package sim

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"time"
)

// NodeID identifies a node of a Network. IDs are dense, start at 0 and are
// never reused, even after RemoveNode.
type NodeID int32

// NetConfig configures a Network. Its zero value is a lossless network with
// zero latency whose loss generator is seeded with 0.
type NetConfig struct {
	// Seed seeds the generator that decides which messages are lost.
	Seed uint64
	// Loss is the probability, in [0, 1], that a message is lost on a pair
	// without a SetLink override.
	Loss float64
	// AccessLatency is the one-way latency between a new node and the core;
	// see SetAccessLatency. It must not be negative.
	AccessLatency time.Duration
	// Latency, when set, gives the one-way latency of pairs without a SetLink
	// override instead of the core model. It must be deterministic and must
	// not return a negative duration.
	Latency func(from, to NodeID) time.Duration
}

// Validate reports whether c is usable.
func (c NetConfig) Validate() error {
	if err := checkLoss(c.Loss); err != nil {
		return err
	}
	if c.AccessLatency < 0 {
		return fmt.Errorf("sim: negative access latency %v", c.AccessLatency)
	}
	return nil
}

// NodeStats holds a node's byte counters; see the package documentation.
type NodeStats struct {
	BytesSent     int64 // bytes handed to Send, lost or not
	BytesReceived int64 // bytes delivered to the node
	BytesDropped  int64 // bytes the node sent that were lost or dropped
}

// link is a per-pair override set with SetLink.
type link struct {
	peer    NodeID
	latency int64 // nanoseconds
	loss    float64
}

// node is the state of one node, held in Network.nodes at its NodeID.
type node struct {
	up, down int64 // bytes per second, 0 = unlimited
	upFree   int64 // virtual ns at which the uplink is idle
	downFree int64 // virtual ns at which the downlink is idle
	access   int64 // one-way latency to the core, ns
	alive    bool
	links    []link // sorted by peer
	stats    NodeStats
}

// message is a message in flight, held in Network.msgs and reused through a
// free list.
type message struct {
	from, to NodeID
	size     int64
	payload  any
	deliver  func(payload any)
}

// Network emulates links between nodes over a Scheduler's virtual time;
// the package documentation describes its timing model. Like the Scheduler,
// it is not safe for concurrent use.
type Network struct {
	s        *Scheduler
	cfg      NetConfig
	rng      *rand.Rand
	nodes    []node
	msgs     []message
	freeMsgs []int32
}

// NewNetwork returns an empty network driven by s. It panics if cfg is
// invalid; call cfg.Validate first to get an error instead.
func NewNetwork(s *Scheduler, cfg NetConfig) *Network {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	return &Network{
		s:   s,
		cfg: cfg,
		rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
	}
}

// AddNode adds a node with an uplink of up and a downlink of down bytes per
// second (0 means unlimited) and returns its ID. It panics if a rate is
// negative.
func (n *Network) AddNode(up, down int64) NodeID {
	if up < 0 || down < 0 {
		panic(fmt.Sprintf("sim: negative link rate up=%d down=%d", up, down))
	}
	if len(n.nodes) == math.MaxInt32 {
		panic("sim: too many nodes")
	}
	n.nodes = append(n.nodes, node{
		up:     up,
		down:   down,
		access: int64(n.cfg.AccessLatency),
		alive:  true,
	})
	return NodeID(len(n.nodes) - 1)
}

// RemoveNode takes a node off the network: messages to or from it that are
// not yet delivered are dropped without a callback, later Sends from it are
// ignored, and later Sends to it spend the sender's uplink and are dropped,
// as the sender cannot know yet. Its counters stay readable. Removing a node
// twice is a no-op.
func (n *Network) RemoveNode(id NodeID) {
	nd := n.node(id)
	nd.alive = false
	nd.links = nil
}

// Len returns the number of nodes ever added, removed or not.
func (n *Network) Len() int {
	return len(n.nodes)
}

// Alive reports whether id has been added and not removed.
func (n *Network) Alive(id NodeID) bool {
	return id >= 0 && int(id) < len(n.nodes) && n.nodes[id].alive
}

// Stats returns the byte counters of id.
func (n *Network) Stats(id NodeID) NodeStats {
	return n.node(id).stats
}

// Backlog returns how long a message sent by id now would wait before its
// uplink starts serialising it.
func (n *Network) Backlog(id NodeID) time.Duration {
	return time.Duration(max(n.node(id).upFree-n.s.now, 0))
}

// SetAccessLatency sets the one-way latency between id and the core, used by
// the core latency model.
func (n *Network) SetAccessLatency(id NodeID, d time.Duration) error {
	if !n.valid(id) {
		return fmt.Errorf("sim: unknown node %d", id)
	}
	if d < 0 {
		return fmt.Errorf("sim: negative latency %v", d)
	}
	n.nodes[id].access = int64(d)
	return nil
}

// SetLink overrides the one-way latency and loss probability between a and b,
// in both directions. Messages already sent keep their timing.
func (n *Network) SetLink(a, b NodeID, latency time.Duration, loss float64) error {
	if !n.valid(a) || !n.valid(b) {
		return fmt.Errorf("sim: unknown node in link %d-%d", a, b)
	}
	if latency < 0 {
		return fmt.Errorf("sim: negative latency %v", latency)
	}
	if err := checkLoss(loss); err != nil {
		return err
	}
	n.nodes[a].setLink(link{peer: b, latency: int64(latency), loss: loss})
	if a != b {
		n.nodes[b].setLink(link{peer: a, latency: int64(latency), loss: loss})
	}
	return nil
}

// Send queues a message of size bytes from one node to another; deliver, if
// not nil, is called with payload when the message arrives. Send never calls
// deliver itself, even with zero delays. A Send from a removed node is
// ignored. Send panics if a node is unknown or size is negative.
func (n *Network) Send(from, to NodeID, size int, payload any, deliver func(payload any)) {
	src := n.node(from)
	dst := n.node(to)
	if size < 0 {
		panic(fmt.Sprintf("sim: negative message size %d", size))
	}
	if !src.alive {
		return
	}
	sz := int64(size)
	left := satAdd(max(n.s.now, src.upFree), serialise(sz, src.up))
	src.upFree = left
	src.stats.BytesSent += sz
	latency, loss := n.path(src, from, to)
	if loss > 0 && n.rng.Float64() < loss {
		src.stats.BytesDropped += sz
		return
	}
	id := n.newMessage(message{from: from, to: to, size: sz, payload: payload, deliver: deliver})
	kind := evArrive
	if dst.down == 0 {
		kind = evDeliver // no downlink queue: arrival is delivery
	}
	n.s.schedule(satAdd(left, latency), nil, (*netEvents)(n), uint64(id)<<1|kind)
}

// Event kinds, in the low bit of the argument of a netEvents event.
const (
	evArrive  uint64 = 0 // the message reaches the receiver's downlink
	evDeliver uint64 = 1 // the message's last byte has been received
)

// netEvents is the Handler for message events, kept apart from Network so
// that Fire does not appear in Network's API.
type netEvents Network

// Fire handles an arrival or delivery event for message arg>>1.
func (e *netEvents) Fire(arg uint64) {
	n := (*Network)(e)
	id := int32(arg >> 1)
	m := &n.msgs[id]
	if !n.nodes[m.from].alive || !n.nodes[m.to].alive {
		n.nodes[m.from].stats.BytesDropped += m.size
		n.freeMessage(id)
		return
	}
	dst := &n.nodes[m.to]
	if arg&1 == evArrive {
		done := satAdd(max(n.s.now, dst.downFree), serialise(m.size, dst.down))
		dst.downFree = done
		n.s.schedule(done, nil, e, uint64(id)<<1|evDeliver)
		return
	}
	dst.stats.BytesReceived += m.size
	payload, deliver := m.payload, m.deliver
	n.freeMessage(id)
	if deliver != nil {
		deliver(payload)
	}
}

// path returns the one-way latency (ns) and loss probability from one node
// to another.
func (n *Network) path(src *node, from, to NodeID) (int64, float64) {
	if l, ok := src.link(to); ok {
		return l.latency, l.loss
	}
	if n.cfg.Latency != nil {
		return max(int64(n.cfg.Latency(from, to)), 0), n.cfg.Loss
	}
	return satAdd(src.access, n.nodes[to].access), n.cfg.Loss
}

// node returns the state of id, panicking if id is unknown.
func (n *Network) node(id NodeID) *node {
	if !n.valid(id) {
		panic(fmt.Sprintf("sim: unknown node %d", id))
	}
	return &n.nodes[id]
}

// valid reports whether id was returned by AddNode.
func (n *Network) valid(id NodeID) bool {
	return id >= 0 && int(id) < len(n.nodes)
}

// newMessage stores m in a free message slot and returns the slot's index.
func (n *Network) newMessage(m message) int32 {
	if k := len(n.freeMsgs); k > 0 {
		id := n.freeMsgs[k-1]
		n.freeMsgs = n.freeMsgs[:k-1]
		n.msgs[id] = m
		return id
	}
	if len(n.msgs) == math.MaxInt32 {
		panic("sim: too many messages in flight")
	}
	n.msgs = append(n.msgs, m)
	return int32(len(n.msgs) - 1)
}

// freeMessage clears a message slot, releasing its payload, and frees it.
func (n *Network) freeMessage(id int32) {
	n.msgs[id] = message{}
	n.freeMsgs = append(n.freeMsgs, id)
}

// link returns the override for the pair (nd, peer), if one is set.
func (nd *node) link(peer NodeID) (link, bool) {
	ls := nd.links
	lo, hi := 0, len(ls)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if ls[mid].peer < peer {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(ls) && ls[lo].peer == peer {
		return ls[lo], true
	}
	return link{}, false
}

// setLink inserts or replaces the override for l.peer, keeping links sorted.
func (nd *node) setLink(l link) {
	i := 0
	for i < len(nd.links) && nd.links[i].peer < l.peer {
		i++
	}
	if i < len(nd.links) && nd.links[i].peer == l.peer {
		nd.links[i] = l
		return
	}
	nd.links = append(nd.links, link{})
	copy(nd.links[i+1:], nd.links[i:])
	nd.links[i] = l
}

// serialise returns the nanoseconds needed to push size bytes through a link
// of rate bytes per second (0 = unlimited), rounded up and saturated.
func serialise(size, rate int64) int64 {
	if rate == 0 || size == 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(size), uint64(time.Second))
	lo, carry := bits.Add64(lo, uint64(rate-1), 0)
	hi += carry
	if hi >= uint64(rate) {
		return math.MaxInt64
	}
	q, _ := bits.Div64(hi, lo, uint64(rate))
	return int64(min(q, math.MaxInt64))
}

// satAdd returns a+b for non-negative a and b, saturating at MaxInt64.
func satAdd(a, b int64) int64 {
	if b > math.MaxInt64-a {
		return math.MaxInt64
	}
	return a + b
}

// checkLoss reports whether p is a valid loss probability.
func checkLoss(p float64) error {
	if !(p >= 0 && p <= 1) {
		return fmt.Errorf("sim: loss probability %v not in [0, 1]", p)
	}
	return nil
}

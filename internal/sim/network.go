package sim

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// NodeID identifies a node of a Network. IDs are dense, start at 0 and are
// never reused, even after RemoveNode.
type NodeID int32

// NetConfig configures a Network. Its zero value is a lossless network
// of one part whose loss generators are seeded with 0; a node's access
// latency must be set (SetAccessLatency or AccessLatency) before the
// network runs, since no two nodes may be closer than the lookahead.
type NetConfig struct {
	// Seed seeds the generators that decide which messages are lost.
	Seed uint64
	// Loss is the probability, in [0, 1], that a message is lost.
	Loss float64
	// AccessLatency is the one-way latency between a new node and the core;
	// see SetAccessLatency. It must not be negative.
	AccessLatency time.Duration
	// Parts is how many parts the nodes are divided into, node i in part
	// i mod Parts (0 means 1). Results do not depend on it.
	Parts int
	// Workers is how many goroutines run the parts' windows, each taking
	// the next part not yet run until none is left (0 or more than Parts
	// means one per part). Results do not depend on it.
	Workers int
}

// Validate reports whether c is usable.
func (c NetConfig) Validate() error {
	if err := checkLoss(c.Loss); err != nil {
		return err
	}
	if c.AccessLatency < 0 {
		return fmt.Errorf("sim: negative access latency %v", c.AccessLatency)
	}
	if c.Parts < 0 || c.Workers < 0 {
		return fmt.Errorf("sim: negative part or worker count %d, %d", c.Parts, c.Workers)
	}
	return nil
}

// NodeStats holds a node's byte counters; see the package documentation.
type NodeStats struct {
	BytesSent     int64 // bytes handed to Send, lost or not
	BytesReceived int64 // bytes that reached the node's downlink and were not dropped
	BytesDropped  int64 // bytes lost on the node's uplink, or dropped on the way to it
}

// node is the state of one node, held in Network.nodes at its NodeID.
// Only the node's own part writes it while the network runs (Send writes
// the uplink side, arrivals and deliveries the downlink side); AddNode,
// RemoveNode and SetAccessLatency are for between windows.
type node struct {
	up, down int64 // bytes per second, 0 = unlimited
	upFree   int64 // virtual ns at which the uplink is idle
	downFree int64 // virtual ns at which the downlink is idle
	access   int64 // one-way latency to the core, ns
	sent     uint64
	alive    bool
	rng      *rand.Rand // loss decisions of its sends; nil without loss
	stats    NodeStats
}

// Network emulates links between nodes over virtual time and runs the
// events of its nodes and of the run as a whole; the package
// documentation describes its timing model and how it runs in parallel.
// M is the type of a message's contents, delivered by value.
//
// Nodes belong to parts; each part has a Scheduler for its nodes' events
// (Part.Sched). The Global scheduler holds the events that belong to no
// node; they run between windows, when no part is running, and may touch
// any node.
type Network[M any] struct {
	cfg       NetConfig
	global    *Scheduler
	nodes     []node
	parts     []*Part[M]
	deliver   func(p *Part[M], from, to NodeID, m *M)
	minAccess int64        // smallest access latency of any node, ns
	parity    int          // outboxes the current window's sends go to
	removed   int          // RemoveNode calls so far (deliveries.Fire)
	next      atomic.Int32 // during a window: the next part to run (runSome)
}

// NewNetwork returns an empty network whose clocks read start and which
// hands every delivered message to deliver, on the part of its receiver.
// It panics if cfg is invalid; call cfg.Validate first to get an error
// instead.
func NewNetwork[M any](start time.Time, cfg NetConfig, deliver func(p *Part[M], from, to NodeID, m *M)) *Network[M] {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	n := &Network[M]{cfg: cfg, global: NewScheduler(start), deliver: deliver, minAccess: math.MaxInt64}
	for i := range max(cfg.Parts, 1) {
		n.parts = append(n.parts, newPart(n, i))
	}
	return n
}

// Global returns the scheduler of the events that belong to no node.
func (n *Network[M]) Global() *Scheduler { return n.global }

// Parts returns the number of parts.
func (n *Network[M]) Parts() int { return len(n.parts) }

// Part returns the part that node id belongs to.
func (n *Network[M]) Part(id NodeID) *Part[M] { return n.parts[int(id)%len(n.parts)] }

// Events returns the number of events run so far, by every scheduler.
func (n *Network[M]) Events() uint64 {
	steps := n.global.Steps()
	for _, p := range n.parts {
		steps += p.s.Steps()
	}
	return steps
}

// AddNode adds a node with an uplink of up and a downlink of down bytes per
// second (0 means unlimited) and returns its ID. It panics if a rate is
// negative.
func (n *Network[M]) AddNode(up, down int64) NodeID {
	if up < 0 || down < 0 {
		panic(fmt.Sprintf("sim: negative link rate up=%d down=%d", up, down))
	}
	if len(n.nodes) == math.MaxInt32 {
		panic("sim: too many nodes")
	}
	id := NodeID(len(n.nodes))
	nd := node{up: up, down: down, access: int64(n.cfg.AccessLatency), alive: true}
	if n.cfg.Loss > 0 {
		nd.rng = rand.New(rand.NewPCG(n.cfg.Seed, uint64(id)))
	}
	n.nodes = append(n.nodes, nd)
	n.minAccess = min(n.minAccess, nd.access)
	return id
}

// RemoveNode takes a node off the network: messages to or from it that are
// not yet delivered are dropped without a callback, later Sends from it are
// ignored, and later Sends to it spend the sender's uplink and are dropped,
// as the sender cannot know yet. Its counters stay readable. Removing a node
// twice is a no-op.
func (n *Network[M]) RemoveNode(id NodeID) {
	n.node(id).alive = false
	n.removed++
}

// Len returns the number of nodes ever added, removed or not.
func (n *Network[M]) Len() int {
	return len(n.nodes)
}

// Alive reports whether id has been added and not removed.
func (n *Network[M]) Alive(id NodeID) bool {
	return id >= 0 && int(id) < len(n.nodes) && n.nodes[id].alive
}

// Stats returns the byte counters of id.
func (n *Network[M]) Stats(id NodeID) NodeStats {
	return n.node(id).stats
}

// SetAccessLatency sets the one-way latency between id and the core: a
// message between two nodes travels the sum of their access latencies.
func (n *Network[M]) SetAccessLatency(id NodeID, d time.Duration) error {
	if !n.valid(id) {
		return fmt.Errorf("sim: unknown node %d", id)
	}
	if d < 0 {
		return fmt.Errorf("sim: negative latency %v", d)
	}
	n.nodes[id].access = int64(d)
	n.minAccess = math.MaxInt64
	for i := range n.nodes {
		n.minAccess = min(n.minAccess, n.nodes[i].access)
	}
	return nil
}

// Lookahead returns the shortest time a message can take between two
// nodes: the length of the windows the parts run in.
func (n *Network[M]) Lookahead() time.Duration {
	if len(n.nodes) == 0 {
		return math.MaxInt64
	}
	return time.Duration(satAdd(n.minAccess, n.minAccess))
}

// node returns the state of id, panicking if id is unknown.
func (n *Network[M]) node(id NodeID) *node {
	if !n.valid(id) {
		panic(fmt.Sprintf("sim: unknown node %d", id))
	}
	return &n.nodes[id]
}

// valid reports whether id was returned by AddNode.
func (n *Network[M]) valid(id NodeID) bool {
	return id >= 0 && int(id) < len(n.nodes)
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

// Package sim is the foundation of Shoal's simulator: a discrete-event
// Scheduler over virtual time and an emulated Network of nodes joined by
// capacity-limited links. It owns no goroutines and never reads the wall
// clock, so a run is fully determined by its inputs and its seed.
//
// # Virtual time
//
// A Scheduler holds events ordered by (time, insertion order): two events due
// at the same instant run in the order they were scheduled, including events
// scheduled by a running event for the current instant, which run after every
// event already due then. Time only moves forward, and only when an event runs
// or RunUntil reaches its target; an event scheduled in the past runs at the
// current time. Resolution is one nanosecond.
//
// # Timing model
//
// Every node has an uplink of up bytes/s and a downlink of down bytes/s
// (0 means unlimited, i.e. zero serialisation time). A message of size bytes
// sent from a to b at time T:
//
//  1. waits in a's uplink FIFO until every message a sent before it has left
//     (Backlog reports that wait), then is serialised for size/up seconds;
//  2. travels the one-way latency of the pair (a, b);
//  3. waits in b's downlink FIFO until every message that reached the
//     downlink before it has been received, then is serialised for
//     size/down seconds;
//  4. is delivered when its last byte arrives.
//
// An isolated message is therefore delivered at T + size/up + latency +
// size/down. Links are store-and-forward: the downlink starts a message only
// once all of it has crossed the core. Serialisation times are rounded up to
// the next nanosecond, so a link never runs faster than its rate.
//
// The latency of a pair is, in order of precedence: the value set with
// SetLink; NetConfig.Latency(a, b) when that function is set; otherwise the
// core model access[a] + access[b], where each node's access latency (its
// one-way latency to the core) defaults to NetConfig.AccessLatency and can be
// changed with SetAccessLatency. The loss probability of a pair is the value
// set with SetLink, otherwise NetConfig.Loss.
//
// A lost message is decided when it is sent, from a PCG generator seeded with
// NetConfig.Seed; it still occupies the sender's uplink but never reaches the
// receiver's downlink. A message to or from a node removed with RemoveNode
// before delivery is dropped without a callback; downlink time it had already
// reserved stays spent.
//
// # Counters
//
// For each node, BytesSent counts every byte handed to Send (lost or not),
// BytesReceived every byte delivered to it, and BytesDropped every byte it sent
// that was lost or dropped because an end was removed. Summed over all nodes,
// sent = received + dropped + bytes still in flight.
//
// # File swarms
//
// Run drives one real swarm.Engine per node over a Scheduler and a Network,
// as described by a Scenario (JSON, see testdata/scenarios), and returns a
// Result with the figures of DESIGN.md (Measures): completion times against
// the fluid bound FileBound, origin egress, overhead, waste and bans. The
// driver stands in for the runtime: a tracker that introduces joining nodes
// to random peers (NAT'd nodes only dial out), handshakes, per-node upload
// queues that honour Cancel, an HTTP origin node, churn, and hostile
// behaviour (liars, corrupt peers, free riders). Payloads are sub-slices of
// one shared content buffer, so memory does not grow with nodes × size, and
// pieces are verified by address instead of by hashing.
package sim

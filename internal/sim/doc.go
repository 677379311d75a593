// Package sim is the foundation of Shoal's simulator: a discrete-event
// Scheduler over virtual time and an emulated Network of nodes joined by
// capacity-limited links, whose nodes' events run in parallel on a fixed
// number of goroutines. It never reads the wall clock, and a run is fully
// determined by its inputs and its seed, whatever the number of
// goroutines.
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
//  2. travels the one-way latency of the pair, access[a] + access[b], where
//     each node's access latency (its one-way latency to the core) defaults
//     to NetConfig.AccessLatency and can be changed with SetAccessLatency;
//  3. waits in b's downlink FIFO until every message that reached the
//     downlink before it has been received, then is serialised for
//     size/down seconds (messages that reach it at the same instant go in
//     the order of their senders' IDs, then of sending);
//  4. is delivered when its last byte arrives.
//
// An isolated message is therefore delivered at T + size/up + latency +
// size/down. Links are store-and-forward: the downlink starts a message only
// once all of it has crossed the core. Serialisation times are rounded up to
// the next nanosecond, so a link never runs faster than its rate.
//
// A lost message (probability NetConfig.Loss) is decided when it is sent,
// from a PCG generator of the sender's, seeded with NetConfig.Seed and its
// NodeID; it still occupies the sender's uplink but never reaches the
// receiver's downlink. A message to or from a node removed with RemoveNode
// before delivery is dropped without a callback; downlink time it had already
// reserved stays spent.
//
// # Parallel windows
//
// Nodes are divided into NetConfig.Parts parts (node i in part i mod
// Parts), each with its own Scheduler and goroutine. No message takes less
// than the lookahead, twice the smallest access latency, to reach another
// node, so the network runs in windows no longer than that: during a
// window each part runs its nodes' events up to the window's end without
// looking at the others, since whatever is sent during the window arrives
// after it, and at its end the parts exchange what they sent. An event of
// a node may only touch that node's state, send from it and schedule its
// events. Events that belong to no node (joins, departures, publishing,
// samples) go to the Global scheduler and run alone between windows: a
// window ends at the next of them, and they may touch anything. A zero
// access latency leaves no window to run and is refused.
//
// Events of different nodes in one window do not affect each other, and
// each node's events run in an order that does not depend on the parts
// (its own scheduling order; arrivals at its downlink by time, sender and
// sending order), so the number of parts changes nothing but the speed.
//
// # Counters
//
// For each node, BytesSent counts every byte handed to Send (lost or not),
// BytesReceived every byte that reached its downlink and was not dropped
// (delivered, or on the downlink), and BytesDropped every byte lost on its
// uplink or dropped on its way to it because an end was removed. Summed
// over all nodes, sent = received + dropped + bytes not yet at their
// receiver's downlink.
//
// # File swarms
//
// Run drives one real swarm.Engine per node over a Network, as described
// by a Scenario (JSON, see testdata/scenarios), and returns a Result with
// the figures of DESIGN.md (Measures): completion times against the fluid
// bound FileBound, origin egress, overhead, waste and bans. Options.Workers
// sets the number of parts (one per CPU by default). The driver stands in
// for the runtime: a tracker that introduces joining nodes to random peers
// (NAT'd nodes only dial out), handshakes, the runtime's peer cap
// (Audience.MaxPeers: a node at the cap replaces the peer its engine names
// as trading least, swarm.Engine.Replaceable), per-node upload queues that
// honour Cancel, an HTTP origin node, churn, and hostile behaviour (liars,
// corrupt peers, free riders). An end that closes a connection (a ban, a
// replacement, no room) tells the other with a notice over the network, so
// what each sent before still arrives; a node that leaves is forgotten by
// its peers at once. The run stops at the end of the window in which the
// last honest leecher finished. Payloads are sub-slices of one shared
// content buffer, so memory does not grow with nodes × size, and pieces are
// verified by address instead of by hashing.
//
// # Live streams
//
// RunLive drives a live scenario (Scenario.Live): one broadcaster engine
// (swarm.LiveConfig.Broadcaster) and one live engine per viewer, with the
// same tracker, handshakes, NAT rule, churn, origin node and network as
// Run. The broadcaster publishes segment k of every rendition at
// (k+1)·D, D the segment duration, stamped with broadcaster time k·D; its
// bytes are one deterministic buffer, signed once with a real Ed25519 key
// (live.NewAnnouncement, Sign). The driver keeps a segment for WindowSegments
// + TargetLatency/D + 4 segments; engines hold sub-slices of the same
// buffer, never copies, and the engines' swarm.LiveVerifier compares chunk
// addresses and announcement bytes with the genuine ones instead of hashing
// and verifying signatures (segments the driver no longer keeps get the
// real checks). Engine messages cross the network with their encoded frame
// size; a LiveData leaves through the sender's uplink FIFO at once, the
// engine pacing its uploads at its UploadRate, which is the node's
// upload capacity.
//
// The origin (Scenario.Origin) stands for a CDN holding each segment from
// its publication: the ingest from the broadcaster is outside the swarm
// and costs the broadcaster nothing. A FetchSegment is an HTTP request
// (300 B) answered with a 300 B header and the byte span it asks for
// (from the first to the last chunk the viewer lacks), or a 404
// for a segment the driver no longer keeps (LiveOriginFailed). As the
// runtime does (internal/node/live_watch.go), each viewer polls the
// origin's announcements every half segment (live.origin_poll): a poll
// by a viewer whose engine knows no segment asks for the newest 10 of every
// rendition, later ones one request per rendition for what follows its
// cursor, which first moves up to the newest segment the engine knows
// (Engine.LiveNewest; the oldest of the renditions' newest, as the
// simulator keeps one cursor for all); answers are sized as the
// runtime's JSON with base64 announcements and fed to LiveAnnounce. A
// viewer skips a poll while its engine's newest segment (LiveEdge) ended
// less than three poll intervals ago: peers are relaying announcements.
//
// Hostile viewers run engines too: corrupt nodes send wrong bytes in
// every LiveData; liars follow every announcement they send with a
// LiveHave claiming all its chunks, claim all chunks in every LiveHave and
// send no LiveData. Free riders upload nothing: they send no LiveHave and
// no LiveData. Neither kind uses the origin or is measured.
//
// # Live measures
//
// Measured over honest viewers (free riders included); rates and
// durations are virtual.
//
//   - Peer offload: Σ SegmentReady.FromPeers ÷ Σ (FromPeers + FromOrigin)
//     over every SegmentReady at an honest viewer (the broadcaster counts
//     as a peer).
//   - Origin egress multiple: every byte the origin node sent (segment
//     bodies, HTTP headers, announcement answers) ÷ the bytes of the
//     stream published (every rendition). The segment bodies alone and the
//     poll answers are reported too.
//   - Continuity index: segments Ready by their deadline ÷ segments due.
//     Segment k of a rendition is due at deadline(k) = k·D +
//     TargetLatency. A viewer that joined at J is due the segments from the
//     first with deadline(k) ≥ J + D (the join segment is startup,
//     measured apart) to the last with deadline(k) at or before its
//     departure or the end of the run. Each rendition counts apart.
//   - Rebuffer ratio: stall ÷ (stall + play). A segment Ready by its
//     deadline plays D without stalling; one Ready later, but within D of
//     its deadline, stalls from its deadline until Ready and plays D; one
//     Ready later still (the engine has given up on it then) or never is
//     missing and stalls D (until the departure, for a viewer that left
//     first).
//   - Startup: from max(join, first publication) to the viewer's first
//     SegmentReady; p50 and p95 over viewers.
//   - Lag behind the broadcaster: per played segment, its play time
//     max(deadline, Ready) − its broadcaster time k·D; p50 and p95 over
//     every (viewer, segment). Added lag = lag − TargetLatency: the extra
//     delay over a player that reads the origin directly and plays at the
//     deadline.
//   - Spread: per segment, the latest minus the earliest play time over
//     the viewers that played it; p95 over segments.
//   - Overhead: (every byte every node sent, the origin's included −
//     unique media bytes) ÷ unique media bytes, where unique media bytes
//     sum the size of each Ready segment at each honest viewer.
//
// What the run cost the simulator is reported beside the measures: the
// engine messages put on the network, by wire type (messages_sent), and
// the events the schedulers ran (events: one per delivered message, tick,
// poll, upload pump and global event).
//
// The bound (LiveFluidBound) is the fluid model of DESIGN.md with the
// broadcaster, not the origin, as the source: the sustainable rate
// min(u_s, (u_s + Σu_i)/n) against the stream's rate r, and the origin
// floor max(0, n − (u_s + Σu_i)/r, 1 − u_s/r) copies, u_s the
// broadcaster's upload, u_i the honest viewers' (0 for free riders) and
// n their number in the initial audience. Continuity's bound is 1, the
// lag's the target latency. The time series samples peer offload and
// origin egress over each interval, the continuity index so far and the
// viewers present.
package sim

// Package swarm is Shoal's download and upload engine for static content: a
// pure, deterministic state machine in the style of etcd-io/raft's RawNode.
//
// The runtime feeds it events — AddPeer, RemovePeer, Receive, Tick,
// PieceVerified, OriginData, OriginFailed — each stamped with the time `now`,
// and drains the resulting actions with Ready: messages to send, blocks to
// serve from storage, pieces to verify and store, origin fetches, and
// disconnects. The engine owns no goroutines, sockets or clock, and its
// randomness comes from Config.Seed, so the same inputs always yield the same
// actions.
//
// Scheduling follows DESIGN.md: rarest-first piece selection with a seeded
// random tie-break, a strict priority range for streaming readers, partial
// pieces finished before new ones start, block-granular pipelined requests
// sized from each peer's measured rate, endgame duplicates, a tit-for-tat
// choker with an optimistic unchoke, and an HTTP origin used only when no
// peer can serve a piece for Config.OriginDelay.
//
// With Config.Live set the same engine runs a live channel (docs/live.md): a
// bounded window of signed segment announcements per rendition, chunks
// verified inline and relayed at once, the broadcaster pushing new chunks,
// viewers pulling rarest first, the origin used only when a deadline
// (announced time + target latency) would otherwise be missed, and upload
// paced and ordered by deadline and reciprocity.
package swarm

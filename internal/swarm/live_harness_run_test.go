package swarm

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/wire"
)

// handle performs one action of node n.
func (h *lharness) handle(n *lnode, a Action) {
	if h.traceOn {
		h.trace = append(h.trace, fmt.Sprintf("%v %s %v", h.now.Sub(epoch), n.id, a))
	}
	switch a := a.(type) {
	case Send:
		if a.Msg = n.hostileMsg(a.Msg, h.chunks()); a.Msg == nil {
			return
		}
		if d, ok := a.Msg.(wire.LiveData); ok {
			if n.corrupt {
				d.Payload = flip(d.Payload)
			}
			n.upq = append(n.upq, delivery{n.id, a.Peer, d})
			return
		}
		h.inbox = append(h.inbox, delivery{n.id, a.Peer, a.Msg})
	case FetchSegment:
		h.fetches = append(h.fetches, fetch{n, segKey{a.Rendition, a.Sequence}, a.Offset, a.Length, h.now})
	case Disconnect:
		h.unlink(n.id, a.Peer)
	case SegmentReady:
		k := segKey{a.Rendition, a.Sequence}
		n.ready[k] = h.now
		if b, ok := n.eng.LiveSegment(a.Rendition, a.Sequence); !ok || !bytes.Equal(b, h.segment(a.Sequence)) {
			n.badReady++
		}
		n.maxWin = max(n.maxWin, len(n.eng.LiveSegments(a.Rendition)))
	case Evicted:
		n.evicted++
	default:
		h.t.Fatalf("%s: unexpected live action %v", n.id, a)
	}
}

// step advances the clock one tick: the broadcaster publishes when a
// segment is complete, links carry data within budget, the origin answers,
// every engine ticks.
func (h *lharness) step() {
	h.now = h.now.Add(tickStep)
	if !h.now.Before(h.nextPub) {
		h.publish()
	}
	for _, id := range h.order {
		h.upload(h.nodes[id])
	}
	h.serveOrigin()
	for _, id := range h.order {
		if n := h.nodes[id]; !n.gone {
			n.eng.Tick(h.now)
		}
	}
	h.misbehave()
	h.flush()
	if h.afterStep != nil {
		h.afterStep()
	}
}

// publish hands the next segment to the broadcaster.
func (h *lharness) publish() {
	a := h.announcement(h.nextSeq)
	b := h.nodes["bcast"]
	if err := b.eng.Publish(a, h.segment(h.nextSeq), h.now); err != nil {
		h.t.Fatalf("Publish %d: %v", h.nextSeq, err)
	}
	if h.originAnnounce > 0 {
		h.pubs = append(h.pubs, struct {
			raw []byte
			at  time.Time
		}{a.Append(nil), h.now.Add(h.originAnnounce)})
	}
	h.nextSeq++
	h.nextPub = h.nextPub.Add(lhSegDur)
	h.flush()
}

// serveOrigin completes due origin fetches and hands due announcements to
// the viewers.
func (h *lharness) serveOrigin() {
	var keep []fetch
	for _, f := range h.fetches {
		if f.n.gone {
			continue
		}
		if h.now.Sub(f.at) < h.originDelay {
			keep = append(keep, f)
			continue
		}
		data := h.segment(f.key.seq)[f.off : f.off+f.len]
		h.originBytes += int64(len(data))
		f.n.eng.LiveOriginData(f.key.rend, f.key.seq, data, h.now)
	}
	h.fetches = keep
	for len(h.pubs) > 0 && !h.now.Before(h.pubs[0].at) {
		for _, id := range h.order {
			if n := h.nodes[id]; !n.gone && id != "bcast" {
				if err := n.eng.LiveAnnounce(h.pubs[0].raw, h.now); err != nil {
					h.t.Fatalf("%s: LiveAnnounce: %v", id, err)
				}
			}
		}
		h.pubs = h.pubs[1:]
	}
}

// upload moves queued chunks within n's per-tick budget onto the links; the
// budget is a deficit counter, as the engine's pacing is.
func (h *lharness) upload(n *lnode) {
	if n.budget > 0 {
		n.credit = min(n.credit+n.budget, n.budget)
	}
	for len(n.upq) > 0 && (n.budget == 0 || n.credit > 0) {
		d := n.upq[0]
		n.credit -= len(d.msg.(wire.LiveData).Payload)
		n.upq = n.upq[1:]
		h.inbox = append(h.inbox, d)
	}
}

// runUntil steps until the broadcaster has published seq segments and
// their deadlines have passed.
func (h *lharness) runSegments(count int) {
	for h.nextSeq < uint64(count) {
		h.step()
	}
	end := h.now.Add(h.latency)
	for h.now.Before(end) {
		h.step()
	}
}

// continuity returns the share of segments [from, to) that became Ready at
// node id by their playback deadline, and the sequences that did not.
func (h *lharness) continuity(id PeerID, from, to uint64) (float64, []uint64) {
	n := h.nodes[id]
	var late []uint64
	for seq := from; seq < to; seq++ {
		due := epoch.Add(time.Duration(seq)*lhSegDur + h.latency)
		at, ok := n.ready[segKey{0, seq}]
		if !ok || at.After(due) {
			late = append(late, seq)
		}
	}
	return 1 - float64(len(late))/float64(to-from), late
}

// originMultiple returns origin bytes ÷ (stream bytes of count segments).
func (h *lharness) originMultiple(count int) float64 {
	return float64(h.originBytes) / float64(count*h.segSize)
}

// checkContinuity fails unless every listed node got every segment of
// [from, to) by its deadline, and none was handed corrupt bytes.
func (h *lharness) checkContinuity(t *testing.T, from, to uint64, ids ...PeerID) {
	t.Helper()
	for _, id := range ids {
		if c, late := h.continuity(id, from, to); c != 1 {
			t.Errorf("%s: continuity %.3f, want 1 (late or missing: %v)", id, c, late)
		}
		if n := h.nodes[id]; n.badReady > 0 {
			t.Errorf("%s: %d SegmentReady with wrong bytes, want 0", id, n.badReady)
		}
	}
}

// viewerIDs returns n viewer names.
func viewerIDs(n int) []PeerID {
	ids := make([]PeerID, n)
	for i := range ids {
		ids[i] = PeerID(fmt.Sprintf("view%d", i))
	}
	return ids
}

// liveSwarm builds a broadcaster with upload bcastRate and n viewers with
// upload viewRate, all meshed.
func liveSwarm(t testing.TB, n, segSize int, bcastRate, viewRate int, seed uint64) (*lharness, []PeerID) {
	h := newLiveHarness(t, segSize)
	h.add("bcast", h.liveCfg(true, int64(bcastRate), seed), bcastRate)
	ids := viewerIDs(n)
	for i, id := range ids {
		h.add(id, h.liveCfg(false, int64(viewRate), seed+uint64(i)+1), viewRate)
	}
	h.mesh(append([]PeerID{"bcast"}, ids...)...)
	return h, ids
}

// worstSlack returns the least time between a segment of [from, to)
// becoming Ready at any of ids and its playback deadline.
func (h *lharness) worstSlack(from, to uint64, ids ...PeerID) time.Duration {
	worst := time.Duration(1 << 62)
	for _, id := range ids {
		for seq := from; seq < to; seq++ {
			due := epoch.Add(time.Duration(seq)*lhSegDur + h.latency)
			if at, ok := h.nodes[id].ready[segKey{0, seq}]; ok {
				worst = min(worst, due.Sub(at))
			}
		}
	}
	return worst
}

// chunks returns how many chunks each harness segment has.
func (h *lharness) chunks() int { return (h.segSize + h.chunk - 1) / h.chunk }

// hostileMsg returns what n, given its behaviour, sends in place of the
// engine's message m, or nil for nothing.
func (n *lnode) hostileMsg(m wire.Message, chunks int) wire.Message {
	switch n.behave {
	case liar:
		switch m := m.(type) {
		case wire.LiveData, wire.LiveReject:
			return nil
		case wire.LiveHave:
			m.Chunks = piece.FullBitfield(chunks).Bytes()
			return m
		}
	case silent:
		switch m.(type) {
		case wire.LiveData, wire.LiveReject:
			return nil
		}
	}
	return m
}

// inspect counts a chunk delivered to its receiver in received and, if it
// is corrupt, in badChecked when the receiver has to verify it: it comes
// from a connected peer and fills a chunk the receiver knows and lacks.
func (h *lharness) inspect(d delivery) {
	m, ok := d.msg.(wire.LiveData)
	if !ok {
		return
	}
	h.received[d.to] += int64(len(m.Payload))
	if !h.nodes[d.from].corrupt {
		return
	}
	e := h.nodes[d.to].eng
	if e.peers[d.from] == nil || e.live.cfg.Broadcaster {
		return
	}
	if s := e.live.seg(segKey{m.Rendition, m.Sequence}); s != nil && int(m.Chunk) < s.n && !s.has(int(m.Chunk)) {
		h.badChecked[[2]PeerID{d.from, d.to}]++
	}
}

// misbehave sends what liars and flooders send of their own accord.
func (h *lharness) misbehave() {
	for _, id := range h.order {
		switch n := h.nodes[id]; {
		case n.gone:
		case n.behave == liar:
			h.lie(n)
		case n.behave == flooder:
			h.flood(n)
		}
	}
}

// lie claims every segment in n's window in full, once, to each linked
// peer that knows the segment.
func (h *lharness) lie(n *lnode) {
	if n.lied == nil {
		n.lied = make(map[lie]bool)
	}
	full := piece.FullBitfield(h.chunks()).Bytes()
	for _, s := range n.eng.LiveSegments(0) {
		for _, id := range h.order {
			k := lie{id, s.Sequence}
			if n.lied[k] || !h.links[linkKey(n.id, id)] || h.nodes[id].eng.live.seg(segKey{0, s.Sequence}) == nil {
				continue
			}
			n.lied[k] = true
			h.inbox = append(h.inbox, delivery{n.id, id, wire.LiveHave{Sequence: s.Sequence, Chunks: full}})
		}
	}
}

// Flooder pattern per peer and tick, besides one request for every chunk
// of every segment in its window.
const (
	floodDup         = 2 // chunks of each segment asked for a second time
	floodUnannounced = 1 // segments past the newest whose chunks are asked for
)

// flood sends n's requests for this tick to every linked peer.
func (h *lharness) flood(n *lnode) {
	segs := n.eng.LiveSegments(0)
	if len(segs) == 0 {
		return
	}
	nc := h.chunks()
	at := func(seq uint64, c int) wire.ChunkAddr { return wire.ChunkAddr{Sequence: seq, Chunk: uint32(c)} }
	var reqs []wire.ChunkAddr
	for _, s := range segs {
		for c := range nc {
			reqs = append(reqs, at(s.Sequence, c))
		}
		for c := range min(floodDup, nc) {
			reqs = append(reqs, at(s.Sequence, c))
		}
	}
	newest := segs[len(segs)-1].Sequence
	for seq := newest + 1; seq <= newest+floodUnannounced; seq++ {
		for c := range nc {
			reqs = append(reqs, at(seq, c))
		}
	}
	reqs = append(reqs, at(newest, nc)) // out of range
	for _, id := range h.order {
		if !h.links[linkKey(n.id, id)] {
			continue
		}
		for _, a := range reqs {
			h.inbox = append(h.inbox, delivery{n.id, id, wire.LiveRequest{ChunkAddr: a}})
		}
		h.flooded += len(reqs)
	}
}

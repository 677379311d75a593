package swarm

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/wire"
)

// checkSlotTables fails t unless e's dense tables agree with its peers:
// each slot names the peer that has it; the per-slot tables hold what the
// peer's state says; each segment's chunk availability counts the slots
// holding each chunk, and free slots hold nothing and know nothing.
func checkSlotTables(t testing.TB, id PeerID, e *Engine) {
	t.Helper()
	l := e.live
	used := 0
	for i, p := range l.slots {
		if p == nil {
			if l.ids[i] != "" {
				t.Fatalf("%s: free slot %d names %s", id, i, l.ids[i])
			}
			continue
		}
		used++
		if p.removed || e.peers[p.id] != p || p.lp.slot != i || l.ids[i] != p.id {
			t.Fatalf("%s: slot %d names %s, which is not the connected peer of that slot", id, i, p.id)
		}
		if l.depth[i] != l.depthOf(p) || l.fill[i] != asked(l, i) || l.rate[i] != p.down.bytesPerSec() {
			t.Fatalf("%s: slot %d (%s): depth %d, fill %d, rate %v; want %d, %d, %v",
				id, i, p.id, l.depth[i], l.fill[i], l.rate[i], l.depthOf(p), asked(l, i), p.down.bytesPerSec())
		}
	}
	if used != len(e.peers) {
		t.Fatalf("%s: %d slots in use, want one per peer (%d)", id, used, len(e.peers))
	}
	l.each(func(s *liveSeg) {
		for c := range s.n {
			n := 0
			for i, p := range l.slots {
				if s.holds(i, c) {
					if p == nil {
						t.Fatalf("%s: segment %d: free slot %d holds chunk %d", id, s.key.seq, i, c)
					}
					n++
				}
			}
			if int(s.avail[c]) != n {
				t.Fatalf("%s: segment %d chunk %d: avail %d, want the %d slots holding it", id, s.key.seq, c, s.avail[c], n)
			}
		}
		for i, p := range l.slots {
			if p == nil && s.seenBy(i) {
				t.Fatalf("%s: segment %d: free slot %d knows it", id, s.key.seq, i)
			}
		}
		for c := range s.n {
			if i := s.asker(c); i >= 0 && l.slots[i] == nil {
				t.Fatalf("%s: segment %d chunk %d: asked of free slot %d", id, s.key.seq, c, i)
			}
		}
	})
	checkServeQueue(t, id, e)
}

// asked counts the chunks of the window whose request is out to slot i.
func asked(l *liveState, i int) int {
	n := 0
	l.each(func(s *liveSeg) {
		for c := range s.n {
			if s.asker(c) == i {
				n++
			}
		}
	})
	return n
}

// checkServeQueue fails t unless each peer's set of queued requests is
// exactly its requests in the upload queue, and every request in the
// queue names a connected peer, its slot and a segment in the window, in
// arrival order (expireServes relies on it).
func checkServeQueue(t testing.TB, id PeerID, e *Engine) {
	t.Helper()
	queued := map[*peer][]wire.ChunkAddr{}
	for i, r := range e.live.up.queue {
		if i > 0 && r.at < e.live.up.queue[i-1].at {
			t.Fatalf("%s: queued request %d arrived before the one ahead of it", id, i)
		}
		if r.p.removed || r.slot != r.p.lp.slot || e.live.seg(r.s.key) != r.s || r.s.key != (segKey{r.addr.Rendition, r.addr.Sequence}) {
			t.Fatalf("%s: queued request %v from %s names a stale peer, slot or segment", id, r.addr, r.p.id)
		}
		queued[r.p] = append(queued[r.p], r.addr)
	}
	for _, p := range e.list {
		got, want := slices.Clone(p.lp.queued), queued[p]
		cmpAddr := func(a, b wire.ChunkAddr) int {
			return cmp.Or(cmp.Compare(a.Rendition, b.Rendition), cmp.Compare(a.Sequence, b.Sequence), cmp.Compare(a.Chunk, b.Chunk))
		}
		slices.SortFunc(got, cmpAddr)
		slices.SortFunc(want, cmpAddr)
		if !slices.Equal(got, want) {
			t.Fatalf("%s: %s's queued set %v, want its requests in the queue %v", id, p.id, got, want)
		}
	}
}

// checkTables checks every running engine's dense tables (checkSlotTables).
func (h *lharness) checkTables() {
	for _, id := range h.order {
		if n := h.nodes[id]; !n.gone {
			checkSlotTables(h.t, id, n.eng)
		}
	}
}

// TestLiveSlotTablesInStep runs a swarm whose peers leave and join, so
// slots are freed and reused, and checks every engine's dense tables after
// every step.
func TestLiveSlotTablesInStep(t *testing.T) {
	h, ids := liveSwarm(t, 6, lhSegSize, 2*lhRate, 2*lhRate, 11)
	h.afterStep = h.checkTables
	h.runSegments(6)
	h.leave(ids[1])
	h.leave(ids[3])
	h.runSegments(9)
	late := h.add("late", h.liveCfg(false, 2*lhRate, 99), 2*lhRate)
	for _, id := range append([]PeerID{"bcast"}, ids...) {
		if !h.nodes[id].gone {
			h.connect(id, late.id)
		}
	}
	h.runSegments(16)
	if late.eng.live.ready == 0 {
		t.Fatal("the late joiner completed no segment; the test proves little")
	}
}

// TestChunkMapWords checks that mapWord puts each chunk of a map
// piece.ParseBitfield accepts where the bitfield has it.
func TestChunkMapWords(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 7, 8, 9, 12, 63, 64, 65, 130, 200} {
		for range 50 {
			size := (n+7)/8 + r.IntN(2) - r.IntN(2)
			if size < 0 {
				continue
			}
			raw := make([]byte, size)
			for i := range raw {
				raw[i] = byte(r.Uint32())
			}
			if r.IntN(2) == 0 && n%8 != 0 && len(raw) > 0 {
				raw[len(raw)-1] &^= 0xff >> (n % 8) // usually valid
			}
			bf, err := piece.ParseBitfield(raw, n)
			if err != nil {
				continue
			}
			for c := range n {
				if got := mapWord(raw, c>>6)&(1<<(c&63)) != 0; got != bf.Has(c) {
					t.Fatalf("n=%d raw=%x chunk %d: mapWord says %v, bitfield %v", n, raw, c, got, bf.Has(c))
				}
			}
		}
	}
}

// TestLiveHaveRows sends chunk maps of segments of 0 to 130 chunks (rows
// of one to three words, the seen bit in the first, middle or last word)
// from two peers, and checks that the segment's table holds exactly what
// the maps said, that availability counts both, and that a peer's leaving
// takes back what it held.
func TestLiveHaveRows(t *testing.T) {
	for _, n := range []int{1, 12, 63, 64, 65, 130} {
		h := newLiveHarness(t, n*lhChunk)
		e := newTestEngine(t, h.liveCfg(false, 0, 1))
		e.AddPeer("a", epoch)
		e.AddPeer("b", epoch)
		a := h.announcement(0)
		e.Receive("a", wire.Announce{Data: a.Append(nil)}, epoch)
		s := e.live.seg(segKey{0, 0})
		if s == nil || s.n != n {
			t.Fatalf("n=%d: segment not kept", n)
		}
		r := rand.New(rand.NewPCG(uint64(n), 3))
		maps := map[PeerID]piece.Bitfield{}
		for round := range 6 {
			for _, id := range []PeerID{"a", "b"} {
				bf := piece.NewBitfield(n)
				for c := range n {
					if r.IntN(3) == 0 {
						bf.Set(c)
					}
				}
				maps[id] = bf
				e.Receive(id, wire.LiveHave{Chunks: bf.Bytes()}, epoch)
				e.Ready()
			}
			for id, bf := range maps {
				i := e.peers[id].lp.slot
				if !s.seenBy(i) || s.holdsAny(i) != (bf.Count() > 0) {
					t.Fatalf("n=%d round %d: %s seen %t, holds any %t; want seen, holding %d", n, round, id, s.seenBy(i), s.holdsAny(i), bf.Count())
				}
				for c := range n {
					if s.holds(i, c) != bf.Has(c) {
						t.Fatalf("n=%d round %d: %s holds chunk %d: %t, its map says %t", n, round, id, c, s.holds(i, c), bf.Has(c))
					}
				}
			}
			checkSlotTables(t, "viewer", e)
		}
		e.RemovePeer("a", epoch)
		e.RemovePeer("b", epoch)
		for c := range n {
			if s.avail[c] != 0 {
				t.Fatalf("n=%d: chunk %d still available from %d peers after both left", n, c, s.avail[c])
			}
		}
	}
}

// TestHaveMap checks a segment's own chunk bits against piece.Bitfield:
// has, setHave and haveMap agree with Has, Set and Bytes, bits 31 and 32
// included.
func TestHaveMap(t *testing.T) {
	h := newLiveHarness(t, 40<<10)
	e := newTestEngine(t, h.liveCfg(false, 0, 1))
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 12, 31, 32, 33, 64, 100} {
		a := h.announcement(0)
		a.Chunks = make([]piece.Hash, n)
		s := e.addSegment(a, nil, epoch)
		bf := piece.NewBitfield(n)
		for _, c := range append([]int{0, n - 1, min(31, n-1), min(32, n-1)}, r.Perm(n)[:n/2]...) {
			s.setHave(c)
			bf.Set(c)
			if got, want := s.haveMap(), bf.Bytes(); !slices.Equal(got, want) {
				t.Fatalf("n=%d after setting %d: haveMap %x, want %x", n, c, got, want)
			}
		}
		for c := range n {
			if s.has(c) != bf.Has(c) {
				t.Fatalf("n=%d: has(%d) = %t, want %t", n, c, s.has(c), bf.Has(c))
			}
		}
		e.evict(e.live.window(0), epoch)
	}
}

package swarm

import (
	"testing"
	"time"

	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/wire"
)

// The engine's defences against hostile peers, one at a time; the swarm
// scenarios are in live_hostile_test.go.

func TestLiveUploadSharedWithFlooder(t *testing.T) {
	h := newLiveHarness(t, 40<<10) // 3 chunks per segment
	const segs = 4
	e := newTestEngine(t, h.liveCfg(true, lhChunk, 1)) // one chunk a second
	for seq := range uint64(segs) {
		if err := e.Publish(h.announcement(seq), h.segment(seq), epoch); err != nil {
			t.Fatal(err)
		}
	}
	e.AddPeer("flood", epoch)
	e.AddPeer("honest", epoch)
	e.Tick(epoch) // starts the upload credit: one chunk's worth a second later
	e.Ready()
	now := epoch.Add(time.Second)
	// The flooder asks for every chunk of the window, oldest first (the
	// earliest deadlines), each twice, before the honest peer asks for one
	// chunk of the newest segment.
	distinct := 0
	for seq := range uint64(segs) {
		for c := range uint32(3) {
			a := wire.ChunkAddr{Sequence: seq, Chunk: c}
			e.Receive("flood", wire.LiveRequest{ChunkAddr: a}, now)
			e.Receive("flood", wire.LiveRequest{ChunkAddr: a}, now)
			distinct++
		}
	}
	want := wire.ChunkAddr{Sequence: segs - 1}
	e.Receive("honest", wire.LiveRequest{ChunkAddr: want}, now)
	acts := e.Ready()
	if got := len(sentTo[wire.LiveData](acts, "flood")); got != 1 {
		t.Fatalf("flooder served %d chunks with one chunk of credit, want 1", got)
	}
	waiting := make(map[wire.ChunkAddr]int)
	for _, r := range e.live.up.queue {
		if r.p.id == "flood" {
			waiting[r.addr]++
		}
	}
	for a, k := range waiting {
		if k > 1 {
			t.Errorf("flooder's request for %v waiting %d times, want once: a repeat is ignored", a, k)
		}
	}
	if len(waiting) < distinct-1 {
		t.Errorf("%d of the flooder's requests waiting, want the %d not yet served", len(waiting), distinct-1)
	}
	// The next chunk of credit goes to the honest peer, though every
	// request the flooder has waiting is due earlier. Steps finer than a
	// tick: the credit for it comes back about 110 ms later, and a request
	// waits only liveServeWait.
	acts = nil
	for now.Before(epoch.Add(1900 * time.Millisecond)) {
		now = now.Add(10 * time.Millisecond)
		e.Tick(now)
		acts = append(acts, e.Ready()...)
	}
	if got := sentTo[wire.LiveData](acts, "honest"); len(got) != 1 || got[0].ChunkAddr != want {
		t.Errorf("honest peer sent %v in the next second, want its chunk %v", got, want)
	}
	if got := len(sentTo[wire.LiveData](acts, "flood")); got != 0 {
		t.Errorf("flooder sent %d chunks in the next second, want 0", got)
	}
}

func TestLiveUnansweredRequestMutesPeer(t *testing.T) {
	h, e := liveViewer(t, "liar", "honest")
	a := h.announcement(0)
	e.Receive("liar", wire.Announce{Data: a.Append(nil)}, epoch)
	n := len(a.Chunks)
	full := piece.FullBitfield(n).Bytes()
	e.Receive("liar", wire.LiveHave{Chunks: full}, epoch)
	asked := sentTo[wire.LiveRequest](e.Ready(), "liar")
	if len(asked) == 0 {
		t.Fatal("nothing asked of the liar; the test proves nothing")
	}
	now := epoch
	for now.Before(epoch.Add(liveRequestTimeout)) {
		now = now.Add(tickStep)
		e.Tick(now)
		e.Ready()
	}
	s := e.live.seg(segKey{0, 0})
	for _, r := range asked {
		if c := int(r.Chunk); s.holds(e.peers["liar"].lp.slot, c) || s.avail[c] != 0 {
			t.Errorf("chunk %d: the liar still counts as its holder after the request timed out", c)
		}
	}
	// The honest peer holds everything now; the liar, though it claims
	// the chunks never asked of it, is left alone for liveMuteBackoff.
	e.Receive("honest", wire.LiveHave{Chunks: full}, now)
	var acts []Action
	for end := now.Add(liveMuteBackoff - tickStep); now.Before(end); {
		acts = append(acts, e.Ready()...)
		now = now.Add(tickStep)
		e.Tick(now)
	}
	acts = append(acts, e.Ready()...)
	if got := sentTo[wire.LiveRequest](acts, "liar"); len(got) != 0 {
		t.Errorf("asked the liar %d more times within %s of its timeout, want 0", len(got), liveMuteBackoff)
	}
	if got := sentTo[wire.LiveRequest](acts, "honest"); len(got) == 0 {
		t.Errorf("asked the honest peer nothing, want the chunks the liar left unanswered")
	}
}

// TestLiveBroadcasterFirstCopies: whatever its upload credit, the
// broadcaster sends each new chunk to two distinct peers, and the pairs
// move on chunk by chunk, so every peer receives first copies and a peer
// that relays nothing (a free rider) never holds a chunk's only copy.
func TestLiveBroadcasterFirstCopies(t *testing.T) {
	h := newLiveHarness(t, 40<<10)               // 3 chunks per segment
	e := newTestEngine(t, h.liveCfg(true, 1, 1)) // 1 B/s: no credit for the push set
	peers := []PeerID{"a", "b", "c", "d", "e", "f"}
	for _, p := range peers {
		e.AddPeer(p, epoch)
	}
	e.Ready()
	got := make(map[PeerID]int)
	for seq := range uint64(4) {
		if err := e.Publish(h.announcement(seq), h.segment(seq), epoch); err != nil {
			t.Fatal(err)
		}
		copies := make(map[wire.ChunkAddr][]PeerID)
		for _, a := range e.Ready() {
			if s, ok := a.(Send); ok {
				if d, ok := s.Msg.(wire.LiveData); ok {
					copies[d.ChunkAddr] = append(copies[d.ChunkAddr], s.Peer)
					got[s.Peer]++
				}
			}
		}
		for c := range uint32(3) {
			to := copies[wire.ChunkAddr{Sequence: seq, Chunk: c}]
			if len(to) != 2 || to[0] == to[1] {
				t.Errorf("segment %d chunk %d sent to %v, want two distinct peers", seq, c, to)
			}
		}
	}
	for _, p := range peers {
		if got[p] == 0 {
			t.Errorf("peer %s got no first copy of 12 chunks (%v), want every peer in turn", p, got)
		}
	}
}

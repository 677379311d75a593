package swarm

import (
	"fmt"
	"testing"
	"time"

	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/wire"
)

// testManifest returns a manifest of n pieces of size bytes whose hashes
// are arbitrary (scripted tests decide verification results themselves).
func testManifest(n int, size int64) *piece.Manifest {
	m := &piece.Manifest{Name: "t", PieceSize: size, Files: []piece.File{{Path: "t", Size: int64(n) * size}}}
	m.Pieces = make([]piece.Hash, n)
	return m
}

func newTestEngine(t *testing.T, cfg Config) *Engine {
	t.Helper()
	e, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return e
}

// sentTo returns the messages of type T sent to p in acts.
func sentTo[T wire.Message](acts []Action, p PeerID) []T {
	var out []T
	for _, a := range acts {
		if s, ok := a.(Send); ok && s.Peer == p {
			if m, ok := s.Msg.(T); ok {
				out = append(out, m)
			}
		}
	}
	return out
}

// fullBits returns the wire bitfield of n pieces minus the listed ones.
func fullBits(n int, except ...int) wire.Bitfield {
	b := piece.FullBitfield(n)
	for _, i := range except {
		b.Clear(i)
	}
	return wire.Bitfield{Bits: b.Bytes()}
}

func TestPickerRarestFirst(t *testing.T) {
	e := newTestEngine(t, Config{Manifest: testManifest(8, 16<<10), BlockSize: 16 << 10, Seed: 1})
	for _, p := range []PeerID{"a", "b", "c"} {
		e.AddPeer(p, epoch)
	}
	e.Receive("a", fullBits(8), epoch)
	e.Receive("b", fullBits(8, 5), epoch)
	e.Receive("c", fullBits(8, 5, 2), epoch)
	e.Ready()
	e.Receive("a", wire.Unchoke{}, epoch)
	reqs := sentTo[wire.Request](e.Ready(), "a")
	if len(reqs) != minPipeline {
		t.Fatalf("got %d requests, want pipeline of %d", len(reqs), minPipeline)
	}
	for k, want := range []uint32{5, 2} {
		if reqs[k].Index != want {
			t.Errorf("request %d: got piece %d, want %d (rarest first)", k, reqs[k].Index, want)
		}
	}
}

func TestPickerTieBreakVariesWithSeed(t *testing.T) {
	firsts := make(map[uint32]bool)
	for seed := uint64(0); seed < 16; seed++ {
		e := newTestEngine(t, Config{Manifest: testManifest(32, 16<<10), Seed: seed})
		e.AddPeer("a", epoch)
		e.Receive("a", fullBits(32), epoch)
		e.Receive("a", wire.Unchoke{}, epoch)
		firsts[sentTo[wire.Request](e.Ready(), "a")[0].Index] = true
	}
	if len(firsts) < 4 {
		t.Errorf("got %d distinct first pieces over 16 seeds, want random tie-breaks", len(firsts))
	}
}

func TestPickerPriority(t *testing.T) {
	e := newTestEngine(t, Config{Manifest: testManifest(8, 16<<10), Seed: 1})
	e.SetPriority(6, 7)
	e.AddPeer("a", epoch)
	e.Receive("a", fullBits(8), epoch)
	e.Receive("a", wire.Unchoke{}, epoch)
	reqs := sentTo[wire.Request](e.Ready(), "a")
	if len(reqs) < 2 || reqs[0].Index != 6 || reqs[1].Index != 7 {
		t.Errorf("got requests %v, want pieces 6 and 7 first", reqs)
	}
}

func TestPickerFinishesPartialPieces(t *testing.T) {
	// 4 pieces of 8 blocks: a pipeline of 4 stays inside one piece.
	e := newTestEngine(t, Config{Manifest: testManifest(4, 128<<10), BlockSize: 16 << 10, Seed: 3})
	e.AddPeer("a", epoch)
	e.Receive("a", fullBits(4), epoch)
	e.Receive("a", wire.Unchoke{}, epoch)
	reqs := sentTo[wire.Request](e.Ready(), "a")
	for _, r := range reqs {
		if r.Index != reqs[0].Index {
			t.Errorf("got requests across pieces %v, want one piece finished first", reqs)
			break
		}
	}
}

func TestEndgameDuplicatesAndCancels(t *testing.T) {
	e := newTestEngine(t, Config{Manifest: testManifest(1, 32<<10), BlockSize: 16 << 10, Seed: 1})
	for _, p := range []PeerID{"a", "b"} {
		e.AddPeer(p, epoch)
		e.Receive(p, fullBits(1), epoch)
	}
	e.Receive("a", wire.Unchoke{}, epoch)
	if got := len(sentTo[wire.Request](e.Ready(), "a")); got != 2 {
		t.Fatalf("got %d requests to a, want 2 (every block)", got)
	}
	e.Receive("b", wire.Unchoke{}, epoch)
	dups := sentTo[wire.Request](e.Ready(), "b")
	if len(dups) != 2 {
		t.Fatalf("got %d endgame requests to b, want 2 duplicates", len(dups))
	}
	e.Receive("a", wire.Data{Index: 0, Begin: 0, Payload: make([]byte, 16<<10)}, epoch)
	acts := e.Ready()
	cancels := sentTo[wire.Cancel](acts, "b")
	if want := (wire.Cancel{Index: 0, Begin: 0, Length: 16 << 10}); len(cancels) != 1 || cancels[0] != want {
		t.Errorf("got cancels %v to b, want [%v]", cancels, want)
	}
	// The cancelled copy arriving anyway is waste, not an error.
	e.Receive("b", wire.Data{Index: 0, Begin: 0, Payload: make([]byte, 16<<10)}, epoch)
	if got := e.Stats().BytesWasted; got != 16<<10 {
		t.Errorf("got %d wasted bytes, want %d", got, 16<<10)
	}
	e.Receive("b", wire.Data{Index: 0, Begin: 16 << 10, Payload: make([]byte, 16<<10)}, epoch)
	acts = e.Ready()
	if got := sentTo[wire.Cancel](acts, "a"); len(got) != 1 {
		t.Errorf("got cancels %v to a, want one", got)
	}
	var verify *Verify
	for _, a := range acts {
		if v, ok := a.(Verify); ok {
			verify = &v
		}
	}
	if verify == nil || len(verify.Blocks) != 2 {
		t.Fatalf("got %v, want a Verify of 2 blocks", acts)
	}
}

func TestRequestTimeoutRerequestsElsewhere(t *testing.T) {
	e := newTestEngine(t, Config{Manifest: testManifest(2, 16<<10), Seed: 1})
	for _, p := range []PeerID{"a", "b"} {
		e.AddPeer(p, epoch)
		e.Receive(p, fullBits(2), epoch)
	}
	e.Receive("a", wire.Unchoke{}, epoch)
	first := sentTo[wire.Request](e.Ready(), "a")
	if len(first) != 2 {
		t.Fatalf("got %d requests to a, want 2", len(first))
	}
	e.Tick(epoch.Add(DefaultRequestTimeout - time.Millisecond))
	if got := sentTo[wire.Cancel](e.Ready(), "a"); len(got) != 0 {
		t.Fatalf("got %d cancels before the timeout, want 0", len(got))
	}
	now := epoch.Add(DefaultRequestTimeout)
	e.Tick(now)
	if got := sentTo[wire.Cancel](e.Ready(), "a"); len(got) != 2 {
		t.Fatalf("got %d cancels at the timeout, want 2", len(got))
	}
	e.Receive("b", wire.Unchoke{}, now)
	acts := e.Ready()
	if got := sentTo[wire.Request](acts, "b"); len(got) != 2 {
		t.Errorf("got %d requests to b, want the 2 timed-out blocks", len(got))
	}
	if got := sentTo[wire.Request](acts, "a"); len(got) != 0 {
		t.Errorf("got %d requests to the slow peer a, want 0", len(got))
	}
}

func TestChokerSlots(t *testing.T) {
	e := newTestEngine(t, Config{Manifest: testManifest(4, 16<<10), Have: piece.FullBitfield(4), Seed: 9})
	const n = 10
	unchoked := make(map[PeerID]bool)
	apply := func(acts []Action) {
		for _, a := range acts {
			s, ok := a.(Send)
			if !ok {
				continue
			}
			switch s.Msg.(type) {
			case wire.Unchoke:
				if unchoked[s.Peer] {
					t.Errorf("duplicate Unchoke to %s", s.Peer)
				}
				unchoked[s.Peer] = true
			case wire.Choke:
				if !unchoked[s.Peer] {
					t.Errorf("Choke to already choked %s", s.Peer)
				}
				delete(unchoked, s.Peer)
			}
		}
		if len(unchoked) > DefaultUploadSlots+1 {
			t.Fatalf("got %d unchoked, want ≤ %d", len(unchoked), DefaultUploadSlots+1)
		}
	}
	for i := 0; i < n; i++ {
		id := PeerID(fmt.Sprintf("p%d", i))
		e.AddPeer(id, epoch)
		e.Receive(id, wire.Interested{}, epoch)
		apply(e.Ready())
	}
	if len(unchoked) != DefaultUploadSlots {
		t.Errorf("got %d unchoked at once, want %d", len(unchoked), DefaultUploadSlots)
	}
	rotated := make(map[PeerID]bool)
	for now := epoch; now.Before(epoch.Add(5 * time.Minute)); now = now.Add(tickStep) {
		e.Tick(now)
		apply(e.Ready())
		for id := range unchoked {
			rotated[id] = true
		}
	}
	if len(unchoked) != DefaultUploadSlots+1 {
		t.Errorf("got %d unchoked, want %d (slots plus optimistic)", len(unchoked), DefaultUploadSlots+1)
	}
	if len(rotated) <= DefaultUploadSlots+1 {
		t.Errorf("got %d peers ever unchoked, want optimistic rotation", len(rotated))
	}
}

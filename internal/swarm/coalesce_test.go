package swarm

import (
	"testing"
	"time"

	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/wire"
)

// fastPeer returns an engine downloading one 4-block piece from peer "a",
// which is unchoked, has everything and delivers at rate bytes per second.
func fastPeer(t *testing.T, content []byte, rate float64) *Engine {
	t.Helper()
	m := newManifest(content, 256<<10)
	e := newTestEngine(t, Config{Manifest: m, BlockSize: 64 << 10, Seed: 1})
	e.AddPeer("a", epoch)
	e.peers["a"].down.rate = rate
	e.Receive("a", wire.Bitfield{Bits: piece.FullBitfield(m.NumPieces()).Bytes()}, epoch)
	e.Receive("a", wire.Unchoke{}, epoch)
	return e
}

func TestCoalescedRequestForFastPeer(t *testing.T) {
	content := newContent(256<<10, 3)
	e := fastPeer(t, content, 64<<20)
	reqs := sentTo[wire.Request](e.Ready(), "a")
	if len(reqs) != 1 || reqs[0].Length != 256<<10 || reqs[0].Begin != 0 {
		t.Fatalf("got requests %v, want one of 256 KiB from offset 0", reqs)
	}
	e.Receive("a", wire.Data{Index: 0, Begin: 0, Payload: content}, epoch.Add(time.Millisecond))
	var v *Verify
	for _, a := range e.Ready() {
		if a, ok := a.(Verify); ok {
			v = &a
		}
	}
	if v == nil || len(v.Blocks) != 4 || !piece.VerifyPiece(e.Manifest().Pieces[0], v.Blocks...) {
		t.Fatalf("got verify %v, want the piece's 4 blocks, verifying", v)
	}
	if got := e.Stats().BytesFromPeers; got != 256<<10 {
		t.Errorf("got %d bytes from peers, want %d", got, 256<<10)
	}
}

func TestSlowPeerGetsOneBlockPerRequest(t *testing.T) {
	e := fastPeer(t, newContent(256<<10, 3), 1<<20)
	for _, r := range sentTo[wire.Request](e.Ready(), "a") {
		if r.Length != 64<<10 {
			t.Errorf("got a request of %d bytes, want 64 KiB blocks for a slow peer", r.Length)
		}
	}
}

func TestRejectedCoalescedRequestReleasesEveryBlock(t *testing.T) {
	e := fastPeer(t, newContent(256<<10, 3), 64<<20)
	e.Ready()
	e.Receive("a", wire.Reject{Index: 0, Begin: 0, Length: 256 << 10, Reason: wire.RejectTooMany}, epoch)
	e.Ready()
	if n := len(e.peers["a"].out); n != 0 {
		t.Fatalf("got %d blocks still outstanding at a, want 0", n)
	}
	e.Tick(epoch.Add(time.Second))
	reqs := sentTo[wire.Request](e.Ready(), "a")
	var total uint32
	for _, r := range reqs {
		total += r.Length
	}
	if total != 256<<10 {
		t.Errorf("re-requested %d bytes (%v), want the whole piece again", total, reqs)
	}
}

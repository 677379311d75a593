package swarm

import (
	"testing"
	"time"

	"github.com/shoal-p2p/shoal/internal/wire"
)

// These tests depend on piece.Manifest.Encode and piece.ParseManifest.

func TestManifestFetchedFromPeers(t *testing.T) {
	h := newHarness(t, newContent(scenarioSize, 3), scenarioPiece)
	id := h.m.ID()
	// "a-bogus" sorts first, so it is asked first; it serves garbage.
	h.add("a-bogus", Config{BlockSize: scenarioBlock, Seed: 1}, true, scenarioRate).bogus = true
	h.add("seed", Config{BlockSize: scenarioBlock, Seed: 2}, true, scenarioRate)
	h.add("new", Config{Swarm: id, BlockSize: scenarioBlock, Seed: 3}, false, scenarioRate)
	h.connect("a-bogus", "seed")
	h.connect("new", "a-bogus")
	h.connect("new", "seed")
	if !h.run(2*time.Minute, "new") {
		t.Fatalf("not complete after fetching the manifest")
	}
	h.checkContent("new")
	e := h.nodes["new"].eng
	if !e.Banned("a-bogus") || e.Banned("seed") {
		t.Errorf("got banned bogus=%t seed=%t, want true false", e.Banned("a-bogus"), e.Banned("seed"))
	}
	if got := e.Manifest(); got == nil || got.ID() != id {
		t.Errorf("got manifest %v, want one hashing to the swarm id", got)
	}
}

func TestManifestFetchMultiPart(t *testing.T) {
	// The seed's parts are cut to 100 bytes on the wire, as a peer with a
	// smaller part size would send them: the fetch must stitch them in order.
	h := newHarness(t, newContent(1<<20, 4), 16<<10)
	h.partLimit = 100
	h.add("seed", Config{Seed: 1}, true, 0)
	h.add("new", Config{Swarm: h.m.ID(), Seed: 2}, false, 0)
	h.connect("new", "seed")
	if !h.run(time.Minute, "new") {
		t.Fatalf("not complete")
	}
	h.checkContent("new")
	if want := (len(h.m.Encode()) + 99) / 100; h.manifestParts != want {
		t.Errorf("got %d manifest parts, want %d", h.manifestParts, want)
	}
}

func TestManifestFetchTimeoutAsksAnother(t *testing.T) {
	e := newTestEngine(t, Config{Swarm: [32]byte{7}})
	e.AddPeer("a", epoch)
	if got := sentTo[wire.ManifestRequest](e.Ready(), "a"); len(got) != 1 {
		t.Fatalf("got %v to a, want one ManifestRequest", got)
	}
	e.AddPeer("b", epoch)
	if got := e.Ready(); len(got) != 0 {
		t.Fatalf("got %v, want nothing while a is being asked", got)
	}
	e.Tick(epoch.Add(DefaultRequestTimeout))
	if got := sentTo[wire.ManifestRequest](e.Ready(), "b"); len(got) != 1 {
		t.Fatalf("got %v to b, want one ManifestRequest after a timed out", got)
	}
	// A part from a peer we are not asking is ignored; a gap disconnects.
	e.Receive("a", wire.Manifest{Total: 10, Offset: 0, Data: []byte("x")}, epoch)
	e.Receive("b", wire.Manifest{Total: 10, Offset: 3, Data: []byte("x")}, epoch)
	acts := e.Ready()
	if len(acts) == 0 || acts[0] != (Disconnect{Peer: "b", Reason: "malformed manifest part"}) {
		t.Errorf("got %v, want b disconnected for a non-contiguous part", acts)
	}
	e.Receive("a", wire.Request{Index: 0, Length: 1}, epoch)
	if got := sentTo[wire.Reject](e.Ready(), "a"); len(got) != 1 || got[0].Reason != wire.RejectNotHave {
		t.Errorf("request without manifest: got %v, want Reject NotHave", got)
	}
}

func TestManifestFetchSwitchesToPeerWithBitfield(t *testing.T) {
	e := newTestEngine(t, Config{Swarm: [32]byte{7}})
	e.AddPeer("a", epoch)
	e.AddPeer("b", epoch)
	if got := sentTo[wire.ManifestRequest](e.Ready(), "a"); len(got) != 1 {
		t.Fatalf("got %v to a, want one ManifestRequest", got)
	}
	// b shows it knows the manifest; a, silent so far, may not.
	e.Receive("b", wire.Bitfield{Bits: []byte{0xff}}, epoch.Add(time.Second))
	if got := sentTo[wire.ManifestRequest](e.Ready(), "b"); len(got) != 1 {
		t.Fatalf("got %v to b, want a ManifestRequest at once, not after a's timeout", got)
	}
	// A later bitfield from a does not take the fetch away from b.
	e.Receive("a", wire.Bitfield{Bits: []byte{0xff}}, epoch.Add(2*time.Second))
	if got := sentTo[wire.ManifestRequest](e.Ready(), "a"); len(got) != 0 {
		t.Errorf("got %v to a, want nothing while b is asked", got)
	}
}

func TestManifestServedInParts(t *testing.T) {
	h := newHarness(t, newContent(64<<10, 5), 16<<10)
	e := newTestEngine(t, Config{Manifest: h.m})
	e.AddPeer("a", epoch)
	e.Ready()
	raw := h.m.Encode()
	e.Receive("a", wire.ManifestRequest{Offset: 0}, epoch)
	got := sentTo[wire.Manifest](e.Ready(), "a")
	if len(got) != 1 || got[0].Total != uint32(len(raw)) || string(got[0].Data) != string(raw[:min(len(raw), manifestPart)]) {
		t.Errorf("got %v, want the first part of the encoding", got)
	}
}

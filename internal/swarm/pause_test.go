package swarm

import (
	"testing"

	"github.com/shoal-p2p/shoal/internal/piece"

	"github.com/shoal-p2p/shoal/internal/wire"
)

func TestPauseStopsRequestsAndOriginFetches(t *testing.T) {
	e := newTestEngine(t, Config{Manifest: testManifest(8, 16<<10), BlockSize: 16 << 10, Origin: true, Seed: 1})
	e.Pause(true, epoch)
	e.AddPeer("a", epoch)
	e.Receive("a", fullBits(8), epoch)
	e.Receive("a", wire.Unchoke{}, epoch)
	e.Tick(epoch.Add(DefaultOriginDelay * 2))
	acts := e.Ready()
	if reqs := sentTo[wire.Request](acts, "a"); len(reqs) != 0 {
		t.Errorf("paused: got requests %v, want none", reqs)
	}
	for _, a := range acts {
		if _, ok := a.(FetchOrigin); ok {
			t.Errorf("paused: got %v, want no origin fetch", a)
		}
	}
	if !e.Paused() {
		t.Errorf("Paused() = false after Pause(true)")
	}
	e.Pause(false, epoch.Add(DefaultOriginDelay*2))
	if reqs := sentTo[wire.Request](e.Ready(), "a"); len(reqs) == 0 {
		t.Errorf("resumed: got no requests, want the pipeline filled")
	}
}

func TestPauseStillServes(t *testing.T) {
	have := piece.NewBitfield(4)
	have.Set(0)
	e := newTestEngine(t, Config{Manifest: testManifest(4, 16<<10), BlockSize: 16 << 10, Have: have, Seed: 1})
	e.Pause(true, epoch)
	e.AddPeer("a", epoch)
	e.Receive("a", fullBits(4, 0, 1, 2, 3), epoch)
	e.Receive("a", wire.Interested{}, epoch)
	e.Ready()
	e.Receive("a", wire.Request{Index: 0, Begin: 0, Length: 16 << 10}, epoch)
	served := false
	for _, a := range e.Ready() {
		if s, ok := a.(Serve); ok && s.Peer == "a" && s.Req.Index == 0 {
			served = true
		}
	}
	if !served {
		t.Errorf("paused: a request for a held piece was not served")
	}
}

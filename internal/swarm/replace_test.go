package swarm

import "testing"

// TestReplaceable: no peer is named within its grace period; past it, the
// one trading least with us in both directions, the lowest ID among
// equals.
func TestReplaceable(t *testing.T) {
	e := newTestEngine(t, Config{Manifest: testManifest(8, 16<<10), BlockSize: 16 << 10, Seed: 1})
	for _, p := range []PeerID{"a", "b", "c"} {
		e.AddPeer(p, epoch)
	}
	e.AddPeer("d", epoch.Add(DefaultPeerGrace/2))
	if p, ok := e.Replaceable(epoch.Add(DefaultPeerGrace - 1)); ok {
		t.Fatalf("named %q within every peer's grace period", p)
	}
	e.peers["a"].down.rate = 1000 // sends us data
	e.peers["b"].up.rate = 300    // we serve it
	e.peers["c"].down.rate = 200
	e.peers["c"].up.rate = 200
	now := epoch.Add(DefaultPeerGrace)
	for _, want := range []PeerID{"b", "c", "a"} {
		if p, ok := e.Replaceable(now); !ok || p != want {
			t.Fatalf("got %q, %t; want %q (d is in its grace period)", p, ok, want)
		}
		e.RemovePeer(want, now)
	}
	if p, ok := e.Replaceable(now); ok {
		t.Fatalf("named %q; only d is left, within its grace period", p)
	}
	e.AddPeer("e", epoch)
	if p, ok := e.Replaceable(epoch.Add(2 * DefaultPeerGrace)); !ok || p != "d" {
		t.Fatalf("got %q, %t; want d, the lowest ID of two idle peers", p, ok)
	}
}

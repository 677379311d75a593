package swarm

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Shared scenario geometry: 2 MiB in 64 KiB pieces of four 16 KiB blocks.
const (
	scenarioSize  = 2 << 20
	scenarioPiece = 64 << 10
	scenarioBlock = 16 << 10
	scenarioRate  = 64 << 10 // upload bytes per 100 ms tick
)

func leecherIDs(n int) []PeerID {
	ids := make([]PeerID, n)
	for i := range ids {
		ids[i] = PeerID(fmt.Sprintf("leech%d", i))
	}
	return ids
}

// swarmOf builds one seed and n leechers, all meshed.
func swarmOf(t testing.TB, n int, seedOffset uint64) (*harness, []PeerID) {
	h := newHarness(t, newContent(scenarioSize, 1), scenarioPiece)
	h.add("seed", Config{BlockSize: scenarioBlock, Seed: seedOffset}, true, scenarioRate)
	ids := leecherIDs(n)
	for i, id := range ids {
		h.add(id, Config{BlockSize: scenarioBlock, Seed: seedOffset + uint64(i) + 1}, false, scenarioRate)
	}
	h.mesh(append([]PeerID{"seed"}, ids...)...)
	return h, ids
}

func TestSwarmSeedAndSixLeechers(t *testing.T) {
	h, ids := swarmOf(t, 6, 100)
	if !h.run(5*time.Minute, ids...) {
		t.Fatalf("not complete after 5 min of virtual time")
	}
	h.checkContent(ids...)
	copies := float64(h.served["seed"]) / scenarioSize
	if copies >= 6 {
		t.Errorf("seed uploaded %.2f copies, want < 6 (leechers should trade)", copies)
	}
	for _, id := range ids {
		n := h.nodes[id]
		if n.done.IsZero() {
			t.Errorf("%s: no Completed action", id)
		}
		st := n.eng.Stats()
		if st.PiecesHave != st.PiecesTotal || st.BytesFromPeers < scenarioSize {
			t.Errorf("%s: stats %+v, want all pieces from peers", id, st)
		}
	}
	// Serve actions count as uploaded; the harness drops queued blocks the
	// requester cancelled, so it may deliver less.
	if got := h.nodes["seed"].eng.Stats().BytesUploaded; got < h.served["seed"] {
		t.Errorf("seed BytesUploaded = %d, want ≥ %d delivered", got, h.served["seed"])
	}
	t.Logf("done at %v; seed uploaded %.2f copies", h.now.Sub(epoch), copies)
}

func TestSwarmSeedNeverCompletes(t *testing.T) {
	h, ids := swarmOf(t, 2, 7)
	h.run(5*time.Minute, ids...)
	if !h.nodes["seed"].done.IsZero() {
		t.Errorf("seed emitted Completed, want none for a node that started complete")
	}
	if got := h.requests["seed"]; len(got) != 0 {
		t.Errorf("seed sent %d requests, want 0", len(got))
	}
}

func TestSwarmLateJoiner(t *testing.T) {
	h, ids := swarmOf(t, 3, 200)
	h.run(2 * time.Second)
	h.add("late", Config{BlockSize: scenarioBlock, Seed: 999}, false, scenarioRate)
	for _, id := range append([]PeerID{"seed"}, ids...) {
		h.connect("late", id)
	}
	all := append(ids, "late")
	if !h.run(5*time.Minute, all...) {
		t.Fatalf("not complete after 5 min")
	}
	h.checkContent(all...)
}

func TestSwarmLeecherLeaves(t *testing.T) {
	h, ids := swarmOf(t, 4, 300)
	h.run(1500 * time.Millisecond)
	h.leave(ids[0])
	rest := ids[1:]
	if !h.run(5*time.Minute, rest...) {
		t.Fatalf("remaining leechers stalled after %s left", ids[0])
	}
	h.checkContent(rest...)
}

func TestSwarmCorruptPeerBanned(t *testing.T) {
	h, ids := swarmOf(t, 4, 400)
	bad := h.add("bad", Config{BlockSize: scenarioBlock, Seed: 5}, true, 4*scenarioRate)
	bad.corrupt = true
	for _, id := range append([]PeerID{"seed"}, ids...) {
		h.connect("bad", id)
	}
	if !h.run(5*time.Minute, ids...) {
		t.Fatalf("not complete with a corrupt peer present")
	}
	h.checkContent(ids...)
	for _, id := range ids {
		e := h.nodes[id].eng
		if !e.Banned("bad") {
			t.Errorf("%s: corrupt peer not banned", id)
		}
		t.Logf("%s: %d failed pieces", id, h.failed[id])
		if h.failed[id] > 2 {
			t.Errorf("%s: %d pieces failed, want the corrupt peer banned after its first", id, h.failed[id])
		}
		for _, other := range append([]PeerID{"seed"}, ids...) {
			if e.Banned(other) {
				t.Errorf("%s: honest peer %s banned", id, other)
			}
		}
	}
	// A banned peer that reconnects is refused again.
	e := h.nodes[ids[0]].eng
	e.AddPeer("bad", h.now)
	if got := e.Ready(); len(got) != 1 || got[0] != (Disconnect{Peer: "bad", Ban: true, Reason: "banned"}) {
		t.Errorf("AddPeer(banned) = %v, want one Disconnect with Ban", got)
	}
}

func TestSwarmOriginOnly(t *testing.T) {
	h := newHarness(t, newContent(scenarioSize, 2), scenarioPiece)
	h.add("solo", Config{BlockSize: scenarioBlock, Origin: true, Seed: 1}, false, 0)
	if !h.run(time.Minute, "solo") {
		t.Fatalf("origin-only node did not complete")
	}
	h.checkContent("solo")
	st := h.nodes["solo"].eng.Stats()
	if st.BytesFromOrigin != scenarioSize || st.BytesFromPeers != 0 {
		t.Errorf("got %d bytes from origin and %d from peers, want %d and 0", st.BytesFromOrigin, st.BytesFromPeers, scenarioSize)
	}
	if h.fetches != h.m.NumPieces() {
		t.Errorf("got %d FetchOrigin, want %d", h.fetches, h.m.NumPieces())
	}
}

func TestSwarmOriginNotUsedWhilePeersServe(t *testing.T) {
	h, ids := swarmOf(t, 2, 500)
	for _, id := range ids {
		h.nodes[id].eng.cfg.Origin = true
	}
	if !h.run(5*time.Minute, ids...) {
		t.Fatalf("not complete")
	}
	for _, id := range ids {
		if got := h.nodes[id].eng.Stats().BytesFromOrigin; got != 0 {
			t.Errorf("%s: got %d origin bytes, want 0 with a fast seed", id, got)
		}
	}
}

func TestSwarmDeterministic(t *testing.T) {
	run := func() string {
		h, ids := swarmOf(t, 4, 600)
		h.traceOn = true
		h.run(5*time.Minute, ids...)
		return strings.Join(h.trace, "\n")
	}
	a, b := run(), run()
	if a != b {
		t.Fatalf("two runs with the same seeds produced different traces (%d vs %d bytes)", len(a), len(b))
	}
	if len(a) == 0 {
		t.Fatalf("empty trace")
	}
}

package swarm

import (
	"testing"
	"time"

	"github.com/shoal-p2p/shoal/internal/wire"
)

func fetches(acts []Action) []int {
	var out []int
	for _, a := range acts {
		if f, ok := a.(FetchOrigin); ok {
			out = append(out, f.Index)
		}
	}
	return out
}

// TestOriginAfterDelay: a piece no peer has goes to the origin only after
// OriginDelay; a failed fetch is retried after a back-off.
func TestOriginAfterDelay(t *testing.T) {
	e := newTestEngine(t, Config{Manifest: testManifest(3, 16<<10), Origin: true, Seed: 1})
	e.AddPeer("a", epoch)
	e.Receive("a", fullBits(3, 0), epoch)
	e.Receive("a", wire.Unchoke{}, epoch)
	e.Ready()
	e.Tick(epoch)
	if got := fetches(e.Ready()); len(got) != 0 {
		t.Fatalf("got fetches %v at once, want none before OriginDelay", got)
	}
	now := epoch.Add(DefaultOriginDelay)
	e.Tick(now)
	if got := fetches(e.Ready()); len(got) != 1 || got[0] != 0 {
		t.Fatalf("got fetches %v after OriginDelay, want [0]", got)
	}
	e.OriginFailed(0, now)
	e.Tick(now.Add(time.Second))
	if got := fetches(e.Ready()); len(got) != 0 {
		t.Fatalf("got fetches %v during back-off, want none", got)
	}
	now = now.Add(originBackoff)
	e.Tick(now)
	if got := fetches(e.Ready()); len(got) != 1 {
		t.Fatalf("got fetches %v after back-off, want a retry", got)
	}
	e.OriginData(0, make([]byte, 16<<10), now)
	acts := e.Ready()
	if len(acts) != 1 || acts[0].(Verify).Index != 0 || len(acts[0].(Verify).Blocks) != 1 {
		t.Fatalf("got %v, want Verify of piece 0 in one block", acts)
	}
	e.PieceVerified(0, true, now)
	if st := e.Stats(); st.BytesFromOrigin != 16<<10 || st.PiecesHave != 1 {
		t.Errorf("got stats %+v, want 16 KiB from origin and one piece", st)
	}
}

func TestOriginBoundedInflight(t *testing.T) {
	e := newTestEngine(t, Config{Manifest: testManifest(10, 16<<10), Origin: true, MaxOriginInflight: 3})
	e.Tick(epoch)
	if got := fetches(e.Ready()); len(got) != 3 || got[0] != 0 || got[2] != 2 {
		t.Errorf("got fetches %v with no peers, want [0 1 2] at once", got)
	}
}

// TestOriginHangingFetchRacedByPeers: a piece whose origin fetch is out
// is left to the origin only for RequestTimeout; then peers get it too,
// and the late origin answer is waste.
func TestOriginHangingFetchRacedByPeers(t *testing.T) {
	e := newTestEngine(t, Config{Manifest: testManifest(2, 16<<10), BlockSize: 16 << 10, Origin: true, MaxOriginInflight: 1, Seed: 1})
	e.Tick(epoch) // no peers: the origin is asked at once
	got := fetches(e.Ready())
	if len(got) != 1 {
		t.Fatalf("got fetches %v, want one", got)
	}
	hung := got[0]
	e.AddPeer("a", epoch)
	e.Receive("a", fullBits(2), epoch)
	e.Receive("a", wire.Unchoke{}, epoch)
	for _, r := range sentTo[wire.Request](e.Ready(), "a") {
		if int(r.Index) == hung {
			t.Fatalf("piece %d requested from a peer while its origin fetch is young", hung)
		}
		e.Receive("a", wire.Data{Index: r.Index, Payload: make([]byte, 16<<10)}, epoch)
		e.PieceVerified(int(r.Index), true, epoch)
	}
	e.Ready()
	now := epoch.Add(DefaultRequestTimeout)
	e.Tick(now)
	reqs := sentTo[wire.Request](e.Ready(), "a")
	if len(reqs) != 1 || int(reqs[0].Index) != hung {
		t.Fatalf("after RequestTimeout: got requests %v, want piece %d", reqs, hung)
	}
	e.Receive("a", wire.Data{Index: uint32(hung), Payload: make([]byte, 16<<10)}, now)
	e.PieceVerified(hung, true, now)
	e.OriginData(hung, make([]byte, 16<<10), now)
	if st := e.Stats(); st.BytesWasted != 16<<10 || !e.Have().Has(hung) {
		t.Errorf("got stats %+v, want the piece held and the origin's copy wasted", st)
	}
}

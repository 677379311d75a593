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

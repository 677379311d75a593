package swarm

import (
	"testing"

	"github.com/shoal-p2p/shoal/internal/wire"
)

// TestLiveSegmentsSkipped: LiveSegments marks Skipped the segments the
// engine will not fetch, so that the gateway's playlist passes over them
// instead of waiting until they leave the window: one given up at its
// deadline, and one learnt of after its deadline. A segment still on its
// way is not.
func TestLiveSegmentsSkipped(t *testing.T) {
	h, e := liveViewer(t, "p")
	raw := func(seq uint64) []byte { a := h.announcement(seq); return a.Append(nil) }
	e.Receive("p", wire.Announce{Data: raw(0)}, epoch)
	e.Ready()
	if s := e.LiveSegments(0); len(s) != 1 || s[0].Skipped || s[0].Ready {
		t.Fatalf("segment 0 just announced: %+v, want one on its way", s)
	}
	due := epoch.Add(lhSegDur + lhLatency) // segment 0's deadline
	e.Tick(due)
	e.Ready()
	if s := e.LiveSegments(0); !s[0].Skipped || s[0].Ready {
		t.Fatalf("segment 0 at its deadline without data: %+v, want given up and Skipped", s[0])
	}
	// Segment 1's deadline is one segment later; learnt of after it, it is
	// never fetched.
	later := due.Add(lhSegDur + 1)
	e.Receive("p", wire.Announce{Data: raw(1)}, later)
	e.Ready()
	if s := e.LiveSegments(0); len(s) != 2 || !s[1].Skipped {
		t.Fatalf("segment 1 learnt of after its deadline: %+v, want Skipped", s)
	}
	e.Receive("p", wire.Announce{Data: raw(5)}, later)
	e.Ready()
	if s := e.LiveSegments(0); len(s) != 3 || s[2].Skipped {
		t.Fatalf("segment 5, due in the future: %+v, want not Skipped", s)
	}
}

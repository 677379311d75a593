package swarm

import (
	"slices"
	"testing"

	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/wire"
)

// TestLiveSlowOriginRacedByPeers: while a segment's origin fetch is out,
// peers are not asked for it; once the fetch has taken liveOriginLead
// they are, so a slow or hung origin does not hold back what peers hold.
func TestLiveSlowOriginRacedByPeers(t *testing.T) {
	h, e := liveViewer(t, "p")
	a := h.announcement(0)
	now := epoch.Add(lhLatency - liveSafetyMargin) // the segment's aim: due at the origin
	if err := e.LiveAnnounce(a.Append(nil), now); err != nil {
		t.Fatal(err)
	}
	e.Tick(now)
	if acts := e.Ready(); !slices.Contains(acts, Action(FetchSegment{Sequence: 0})) {
		t.Fatalf("got %v, want FetchSegment 0", acts)
	}
	all := piece.FullBitfield(len(a.Chunks))
	e.Receive("p", wire.LiveHave{Sequence: 0, Chunks: all.Bytes()}, now)
	if got := sentTo[wire.LiveRequest](e.Ready(), "p"); len(got) != 0 {
		t.Fatalf("got %d requests to the peer while the origin fetch is young, want none", len(got))
	}
	e.Tick(now.Add(liveOriginLead))
	if got := sentTo[wire.LiveRequest](e.Ready(), "p"); len(got) == 0 {
		t.Fatalf("got no request to the peer after the origin overran %v", liveOriginLead)
	}
}

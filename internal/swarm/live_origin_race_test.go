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
	if err := e.LiveAnnounce(a.Append(nil), epoch); err != nil {
		t.Fatal(err)
	}
	e.Tick(now)
	whole := FetchSegment{Sequence: 0, Length: int64(a.Size)}
	if acts := e.Ready(); !slices.Contains(acts, Action(whole)) {
		t.Fatalf("got %v, want %v", acts, whole)
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

// TestLiveJoinGracePrefersPeers: a segment learnt of when it is already
// due (a viewer joining) goes to the peers that hold it, not to the
// origin at once; the origin is asked only if they have not delivered it
// by the grace's last stage.
func TestLiveJoinGracePrefersPeers(t *testing.T) {
	h, e := liveViewer(t, "p")
	a := h.announcement(0)
	join := epoch.Add(lhLatency) // the segment's deadline: it is playing now
	e.Receive("p", wire.Announce{Data: a.Append(nil)}, join)
	all := piece.FullBitfield(len(a.Chunks))
	e.Receive("p", wire.LiveHave{Sequence: 0, Chunks: all.Bytes()}, join)
	acts := e.Ready()
	if got := sentTo[wire.LiveRequest](acts, "p"); len(got) == 0 {
		t.Fatalf("got %v, want requests to the peer holding the segment", acts)
	}
	if slices.ContainsFunc(acts, func(x Action) bool { _, ok := x.(FetchSegment); return ok }) {
		t.Fatalf("got %v, want no origin fetch on joining", acts)
	}
	e.Tick(join.Add(liveJoinGrace - liveOriginLead))
	if !slices.ContainsFunc(e.Ready(), func(x Action) bool { _, ok := x.(FetchSegment); return ok }) {
		t.Fatalf("no origin fetch once the grace ran out, want one")
	}
}

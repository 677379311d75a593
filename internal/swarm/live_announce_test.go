package swarm

import (
	"fmt"
	"testing"

	"github.com/shoal-p2p/shoal/internal/live"
	"github.com/shoal-p2p/shoal/internal/wire"
)

// TestLiveAnnouncementFanout checks that a viewer forwards a new
// announcement to liveAnnounceFanout peers only, and that a peer it did not
// tell gets the announcement just before the first chunk map of it, never
// twice.
func TestLiveAnnouncementFanout(t *testing.T) {
	var peers []PeerID
	for i := range 20 {
		peers = append(peers, PeerID(fmt.Sprintf("p%02d", i)))
	}
	h, e := liveViewer(t, append(peers, "bcast")...)
	a := h.announcement(0)
	e.Receive("bcast", wire.Announce{Data: a.Append(nil)}, epoch)
	first := e.Ready()
	told := map[PeerID]bool{}
	for _, p := range peers {
		if n := len(sentTo[wire.Announce](first, p)); n > 0 {
			told[p] = true
		}
	}
	if len(told) != liveAnnounceFanout {
		t.Fatalf("announcement forwarded to %d peers (%v), want %d", len(told), told, liveAnnounceFanout)
	}
	if n := len(sentTo[wire.Announce](first, "bcast")); n != 0 {
		t.Errorf("announcement sent back to its sender %d times", n)
	}

	data := h.segment(0)
	e.Receive("bcast", wire.LiveData{
		ChunkAddr: wire.ChunkAddr{Sequence: 0, Chunk: 0},
		Payload:   data[:live.ChunkLen(a, 0)],
	}, epoch)
	second := e.Ready()
	mapped := 0
	for _, p := range peers {
		anns, haves := sentTo[wire.Announce](second, p), sentTo[wire.LiveHave](second, p)
		if len(haves) == 0 {
			continue
		}
		mapped++
		switch {
		case told[p] && len(anns) != 0:
			t.Errorf("%s got the announcement twice", p)
		case !told[p] && (len(anns) != 1 || sendIndex[wire.Announce](second, p) > sendIndex[wire.LiveHave](second, p)):
			t.Errorf("%s got a chunk map without the announcement before it (%d announcements)", p, len(anns))
		}
	}
	if mapped == 0 {
		t.Fatal("the new chunk was advertised to no peer")
	}
	if mapped == len(told) {
		t.Errorf("only the %d told peers were advertised to, want the others counted as lacking too", mapped)
	}
}

// sendIndex returns the position in acts of the first T sent to p, or -1.
func sendIndex[T wire.Message](acts []Action, p PeerID) int {
	for i, a := range acts {
		if s, ok := a.(Send); ok && s.Peer == p {
			if _, ok := s.Msg.(T); ok {
				return i
			}
		}
	}
	return -1
}

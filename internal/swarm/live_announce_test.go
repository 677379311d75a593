package swarm

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/shoal-p2p/shoal/internal/live"
	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/wire"
)

// TestLiveAnnouncementFanout checks that a viewer forwards a new
// announcement to liveAnnounceFanout peers only, and that a peer it did not
// tell gets the announcement with the first chunk map of it (a LiveIntro),
// never twice.
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
	raw := a.Append(nil)
	for _, p := range peers {
		anns := sentTo[wire.Announce](second, p)
		haves, intros := sentTo[wire.LiveHave](second, p), sentTo[wire.LiveIntro](second, p)
		if len(haves)+len(intros) == 0 {
			continue
		}
		mapped++
		switch {
		case len(anns) != 0:
			t.Errorf("%s got %d separate announcements with a chunk map", p, len(anns))
		case told[p] && (len(haves) != 1 || len(intros) != 0):
			t.Errorf("%s, told already, got %d maps and %d intros, want 1 map", p, len(haves), len(intros))
		case !told[p] && (len(intros) != 1 || len(haves) != 0):
			t.Errorf("%s, not told, got %d maps and %d intros, want 1 intro", p, len(haves), len(intros))
		case !told[p] && !bytes.Equal(intros[0].Announce, raw):
			t.Errorf("%s got an intro with another announcement", p)
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

// TestLiveIntro checks a LiveIntro on receipt: an invalid announcement
// gets its sender banned as in an Announce; a valid one is stored and the
// sender's map counts at once (the chunks are requested of it); a map of
// the wrong length disconnects without a ban, the announcement kept.
func TestLiveIntro(t *testing.T) {
	h, e := liveViewer(t, "evil", "honest")
	good := h.announcement(0)
	tampered := good.Append(nil)
	tampered[40] ^= 1 // inside the sequence number
	full := piece.FullBitfield(len(good.Chunks)).Bytes()
	e.Receive("evil", wire.LiveIntro{Announce: tampered, Chunks: full}, epoch)
	acts := e.Ready()
	if !e.Banned("evil") || !hasDisconnect(acts, "evil", true) || len(e.LiveSegments(0)) != 0 {
		t.Errorf("tampered intro: banned=%t segments=%d actions %v, want evil banned, nothing stored",
			e.Banned("evil"), len(e.LiveSegments(0)), acts)
	}

	h, e = liveViewer(t, "p", "q")
	good = h.announcement(0)
	e.Receive("p", wire.LiveIntro{Announce: good.Append(nil), Chunks: full}, epoch)
	acts = e.Ready()
	if e.Banned("p") || len(e.LiveSegments(0)) != 1 {
		t.Fatalf("valid intro: banned=%t segments=%d, want stored", e.Banned("p"), len(e.LiveSegments(0)))
	}
	if n := len(sentTo[wire.LiveRequest](acts, "p")); n == 0 {
		t.Errorf("no chunk requested of the intro's sender, want its map used at once")
	}
	if n := len(sentTo[wire.Announce](acts, "p")) + len(sentTo[wire.LiveIntro](acts, "p")); n != 0 {
		t.Errorf("announcement echoed to its sender %d times", n)
	}

	h, e = liveViewer(t, "p")
	good = h.announcement(0)
	e.Receive("p", wire.LiveIntro{Announce: good.Append(nil), Chunks: []byte{0xff, 0xff, 0xff}}, epoch)
	acts = e.Ready()
	if !hasDisconnect(acts, "p", false) || e.Banned("p") || len(e.LiveSegments(0)) != 1 {
		t.Errorf("intro with a bad map: banned=%t segments=%d actions %v, want p disconnected without a ban, segment kept",
			e.Banned("p"), len(e.LiveSegments(0)), acts)
	}
}

package swarm

import (
	"slices"
	"testing"
	"time"
)

// lhSegSize is one 2 s segment at 1 Mbit/s.
const lhSegSize = lhRate * 2

// offload returns the share of the listed nodes' verified bytes that came
// from peers.
func (h *lharness) offload(ids ...PeerID) float64 {
	var peers, origin int64
	for _, id := range ids {
		st := h.nodes[id].eng.Stats()
		peers += st.BytesFromPeers
		origin += st.BytesFromOrigin
	}
	return float64(peers) / float64(peers+origin)
}

func TestLiveBroadcastSixViewers(t *testing.T) {
	const segs = 60
	tests := []struct {
		name        string
		viewRate    int
		maxMultiple float64
	}{
		{"viewers upload 2x", 2 * lhRate, 0.25},
		{"viewers upload 1x", lhRate, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, ids := liveSwarm(t, 6, lhSegSize, 2*lhRate, tt.viewRate, 1)
			h.runSegments(segs)
			h.checkContinuity(t, 0, segs, ids...)
			m := h.originMultiple(segs)
			if m > tt.maxMultiple {
				t.Errorf("origin egress multiple %.3f, want ≤ %.2f", m, tt.maxMultiple)
			}
			t.Logf("continuity 1.0; origin egress multiple %.3f; peer offload %.3f; broadcaster uploaded %.2f copies; worst slack %v",
				m, h.offload(ids...), float64(h.nodes["bcast"].eng.Stats().BytesUploaded)/float64(segs*lhSegSize),
				h.worstSlack(0, segs, ids...))
		})
	}
}

func TestLiveBroadcasterCut(t *testing.T) {
	const segs, cut = 40, 15
	h, ids := liveSwarm(t, 6, lhSegSize, 2*lhRate, 2*lhRate, 2)
	h.originAnnounce = 500 * time.Millisecond // the runtime polls announcements from the origin
	h.runSegments(cut)
	for _, id := range ids {
		h.unlink("bcast", id)
	}
	h.flush()
	h.runSegments(segs)
	h.checkContinuity(t, 0, segs, ids...)
	t.Logf("origin egress multiple %.3f overall, peer offload %.3f",
		h.originMultiple(segs), h.offload(ids...))
}

func TestLiveViewerLeaves(t *testing.T) {
	const segs = 40
	h, ids := liveSwarm(t, 6, lhSegSize, 2*lhRate, 2*lhRate, 3)
	h.runSegments(15)
	h.leave(ids[2])
	h.runSegments(segs)
	rest := slices.Delete(slices.Clone(ids), 2, 3)
	h.checkContinuity(t, 0, segs, rest...)
	t.Logf("origin egress multiple %.3f", h.originMultiple(segs))
}

func TestLiveCorruptPeerBanned(t *testing.T) {
	const segs = 30
	h, ids := liveSwarm(t, 6, lhSegSize, 2*lhRate, 2*lhRate, 4)
	h.nodes[ids[0]].corrupt = true
	h.runSegments(segs)
	honest := ids[1:]
	h.checkContinuity(t, 0, segs, honest...)
	for _, id := range honest {
		if st := h.nodes[id].eng.Stats(); st.LiveMissed != 0 {
			t.Errorf("%s: %d segments missed, want 0", id, st.LiveMissed)
		}
	}
	banned := 0
	for _, id := range append([]PeerID{"bcast"}, honest...) {
		if h.nodes[id].eng.Banned(ids[0]) {
			banned++
		}
		for _, o := range honest {
			if h.nodes[id].eng.Banned(o) {
				t.Errorf("%s banned honest %s", id, o)
			}
		}
	}
	if banned == 0 {
		t.Errorf("corrupt peer banned by nobody, want banned by those it served")
	}
	t.Logf("corrupt peer banned by %d nodes; origin egress multiple %.3f", banned, h.originMultiple(segs))
}

package sim

import (
	"errors"
	"slices"
)

// LiveBound is the fluid-model bound for a live stream of rate r sent by a
// source uploading u_s to n viewers uploading u_i (DESIGN.md, Measures),
// with rates in Mbit/s:
//
//	sustainable rate = min(u_s, (u_s + Σu_i)/n)
//	origin floor     = max(0, n − (u_s + Σu_i)/r, 1 − u_s/r) copies
//
// Every viewer must receive r, so n·r must cross uplinks or come from the
// origin; the source and the viewers can upload at most u_s + Σu_i, and
// every byte not from the origin leaves the source first. DESIGN.md states
// the bound with the origin as the source (floor max(r, n·r − Σu_i)); in
// the simulator the broadcaster is the source and the origin is a
// separate safety net that has each segment from its publication, so the
// floor counts the origin copies beyond what the broadcaster and the
// viewers can carry.
type LiveBound struct {
	RateMbps        float64 `json:"rate_mbps"`           // r: the stream, every rendition
	SourceMbps      float64 `json:"source_mbps"`         // u_s: the broadcaster's upload
	ViewersUpMbps   float64 `json:"viewers_up_mbps"`     // Σu_i
	Viewers         int     `json:"viewers"`             // n
	SustainableMbps float64 `json:"sustainable_mbps"`    // min(u_s, (u_s + Σu_i)/n)
	OriginFloor     float64 `json:"origin_floor_copies"` // copies of the stream the origin must send
}

// LiveFluidBound computes the bound for a stream of rate bytes/s, a source
// uploading sourceUp bytes/s and viewers uploading up (bytes/s each; 0 for
// a free rider).
func LiveFluidBound(rate, sourceUp float64, up []float64) (LiveBound, error) {
	switch {
	case !(rate > 0):
		return LiveBound{}, errors.New("sim: live bound: rate must be positive")
	case !(sourceUp > 0):
		return LiveBound{}, errors.New("sim: live bound: source upload must be positive")
	case len(up) == 0:
		return LiveBound{}, errors.New("sim: live bound: no viewer")
	case slices.ContainsFunc(up, func(u float64) bool { return !(u >= 0) }):
		return LiveBound{}, errors.New("sim: live bound: negative upload")
	}
	sum := 0.0
	for _, u := range up {
		sum += u
	}
	n := float64(len(up))
	total := sourceUp + sum
	toMbps := func(v float64) float64 { return round(v*8/1e6, 3) }
	return LiveBound{
		RateMbps: toMbps(rate), SourceMbps: toMbps(sourceUp), ViewersUpMbps: toMbps(sum), Viewers: len(up),
		SustainableMbps: toMbps(min(sourceUp, total/n)),
		OriginFloor:     round(max(0, n-total/rate, 1-sourceUp/rate), 4),
	}, nil
}

// bound computes the bound for the honest viewers of the initial
// audience.
func (lv *liveRun) bound(audience []profile) LiveBound {
	var up []float64
	for _, p := range audience {
		if p.role == roleLeecher {
			up = append(up, p.up)
		}
	}
	rate := 0.0
	for r := range lv.spec.Renditions {
		rate += lv.spec.rendBitrate(r)
	}
	b, err := LiveFluidBound(rate, mbps(lv.d.sc.Broadcaster.UpMbps), up)
	if err != nil {
		lv.d.fail(err)
	}
	return b
}

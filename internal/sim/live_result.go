package sim

import (
	"time"
)

// LiveResult holds the figures of one live run, with the definitions of
// DESIGN.md (Measures) made precise in the package documentation. Times
// are virtual seconds rounded to the millisecond; a nil pointer means
// "nothing to measure". Nothing in it depends on the wall clock.
type LiveResult struct {
	Scenario       string  `json:"scenario"`
	Seed           uint64  `json:"seed"`
	Renditions     int     `json:"renditions"`
	SegmentS       float64 `json:"segment_s"`
	Segments       int     `json:"segments"` // published per rendition
	TargetLatencyS float64 `json:"target_latency_s"`
	StreamBytes    int64   `json:"stream_bytes"` // published, every rendition

	Viewers int `json:"viewers"` // honest viewers that joined
	Left    int `json:"left"`    // of them, left before the end (churn)
	Hostile int `json:"hostile"` // liars and corrupt nodes

	// Bound is the fluid bound for the initial honest audience;
	// BoundApplies is false under churn.
	Bound        LiveBound `json:"bound"`
	BoundApplies bool      `json:"bound_applies"`

	Offload        float64  `json:"peer_offload"`       // peer bytes ÷ bytes delivered to players
	PeerBytes      int64    `json:"peer_bytes"`         // Ready bytes from peers
	OriginReadyB   int64    `json:"origin_ready_bytes"` // Ready bytes from the origin
	OriginBytes    int64    `json:"origin_bytes"`       // everything the origin sent
	OriginMedia    int64    `json:"origin_media_bytes"` // segment bodies
	OriginPoll     int64    `json:"origin_poll_bytes"`  // announcement answers, headers included
	EgressMultiple float64  `json:"origin_egress_multiple"`
	MediaMultiple  float64  `json:"origin_media_multiple"`
	Continuity     float64  `json:"continuity"`
	Due            int64    `json:"segments_due"`
	Late           int64    `json:"segments_late"`
	Missing        int64    `json:"segments_missing"`
	Rebuffer       float64  `json:"rebuffer_ratio"`
	WorstViewer    float64  `json:"worst_viewer_continuity"`
	StartupP50     *float64 `json:"startup_p50_s"`
	StartupP95     *float64 `json:"startup_p95_s"`
	NeverStarted   int      `json:"never_started"`
	LagP50         *float64 `json:"lag_p50_s"`
	LagP95         *float64 `json:"lag_p95_s"`
	AddedLagP50    *float64 `json:"added_lag_p50_s"`
	AddedLagP95    *float64 `json:"added_lag_p95_s"`
	SpreadP95      *float64 `json:"spread_p95_s"`
	WireBytes      int64    `json:"wire_bytes"`   // every byte sent by every node
	UniqueBytes    int64    `json:"unique_bytes"` // Ready bytes summed over honest viewers
	Overhead       float64  `json:"overhead"`     // (wire − unique) ÷ unique
	WastedBytes    int64    `json:"wasted_bytes"`

	Bans Bans `json:"bans"`

	// What the run cost the simulator: engine messages put on the
	// network, by wire type, and the scheduler's events (docs/simulator.md).
	MessagesSent map[string]int64 `json:"messages_sent"`
	Events       uint64           `json:"events"`

	End    float64          `json:"end_s"`
	Series []LiveSample     `json:"series"`
	Nodes  []LiveNodeResult `json:"nodes"`
}

// LiveSample is one point of the live time series.
type LiveSample struct {
	T          float64  `json:"t_s"`
	Offload    *float64 `json:"offload"`     // peer share of the bytes Ready in the interval; nil if none
	OriginMbps float64  `json:"origin_mbps"` // origin egress rate in the interval
	Continuity float64  `json:"continuity"`  // continuity index so far
	Viewers    int      `json:"viewers"`     // honest viewers present
}

// LiveNodeResult describes one node of a live run.
type LiveNodeResult struct {
	ID         string   `json:"id"`
	Role       string   `json:"role"`
	UpMbps     float64  `json:"up_mbps"`
	NAT        bool     `json:"nat,omitempty"`
	Free       bool     `json:"free_rider,omitempty"`
	Join       float64  `json:"join_s"`
	Left       *float64 `json:"left_s,omitempty"`
	Continuity *float64 `json:"continuity,omitempty"` // honest viewers with a segment due
	Startup    *float64 `json:"startup_s,omitempty"`
}

// liveRoleNames name roles in live results.
var liveRoleNames = [...]string{"viewer", "broadcaster", "liar", "corrupt", "origin"}

// result computes the figures once the run is over.
func (lv *liveRun) result(b LiveBound) *LiveResult {
	d, m, c := lv.d, &lv.meas, lv.d.liveCounts()
	r := &LiveResult{
		Scenario: d.sc.Name, Seed: d.sc.Seed, Renditions: lv.spec.Renditions, SegmentS: secs(lv.segDur),
		Segments: int(lv.newest + 1), TargetLatencyS: secs(lv.latency),
		Viewers: d.meas.leechers, Left: len(lv.gone), Bound: b, BoundApplies: d.sc.Churn.LeavePerMin == 0,
		PeerBytes: c.fromPeers, OriginReadyB: c.fromOrigin, OriginMedia: c.originMedia, OriginPoll: c.originPoll,
		Continuity: round(m.continuity(), 6), Due: m.due, Late: m.late, Missing: m.missing,
		UniqueBytes: c.unique, End: secs(d.now()), Series: m.series, WorstViewer: 1,
	}
	for rr := range lv.spec.Renditions {
		r.StreamBytes += int64(lv.spec.segmentSize(rr)) * int64(r.Segments)
	}
	r.MessagesSent, r.Events = d.messagesSent(), d.net.Events()
	if got := c.fromPeers + c.fromOrigin; got > 0 {
		r.Offload = round(float64(c.fromPeers)/float64(got), 6)
	}
	if d.origin >= 0 {
		r.OriginBytes = d.net.Stats(d.origin).BytesSent
	}
	if r.StreamBytes > 0 {
		r.EgressMultiple = round(float64(r.OriginBytes)/float64(r.StreamBytes), 4)
		r.MediaMultiple = round(float64(r.OriginMedia)/float64(r.StreamBytes), 4)
	}
	if total := m.stall + m.play; total > 0 {
		r.Rebuffer = round(float64(m.stall)/float64(total), 6)
	}
	startup := lv.startups()
	r.StartupP50, r.StartupP95 = quantile(startup, 0.50), quantile(startup, 0.95)
	r.LagP50, r.LagP95 = m.lag.quantile(0.50), m.lag.quantile(0.95)
	r.AddedLagP50, r.AddedLagP95 = minus(r.LagP50, lv.latency), minus(r.LagP95, lv.latency)
	r.SpreadP95 = quantile(m.spread, 0.95)
	for _, n := range d.nodes {
		r.WireBytes += d.net.Stats(n.id).BytesSent
		if n.role == roleOrigin {
			continue
		}
		r.Hostile += b2i(n.role.hostile())
		r.WastedBytes += n.stats().BytesWasted
		nr := liveNodeResult(n)
		if v := n.view; v != nil {
			r.NeverStarted += b2i(!v.started)
			if nr.Continuity != nil {
				r.WorstViewer = min(r.WorstViewer, *nr.Continuity)
			}
		}
		r.Nodes = append(r.Nodes, nr)
	}
	if r.UniqueBytes > 0 {
		r.Overhead = round(float64(r.WireBytes-r.UniqueBytes)/float64(r.UniqueBytes), 4)
	}
	r.Bans = d.bans()
	return r
}

// startups returns the startup delay of every honest viewer that started,
// present or gone.
func (lv *liveRun) startups() []time.Duration {
	var out []time.Duration
	for _, vs := range [2][]*viewer{lv.viewers, lv.gone} {
		for _, v := range vs {
			if v.started {
				out = append(out, v.startup)
			}
		}
	}
	return out
}

func liveNodeResult(n *simNode) LiveNodeResult {
	nr := LiveNodeResult{ID: string(n.pid), Role: liveRoleNames[n.role], UpMbps: round(n.up*8/1e6, 3),
		NAT: n.nat, Free: n.free, Join: secs(n.joined)}
	if n.left >= 0 {
		nr.Left = ptr(secs(n.left))
	}
	if v := n.view; v != nil {
		if v.due > 0 {
			nr.Continuity = ptr(round(float64(v.onTime)/float64(v.due), 4))
		}
		if v.started {
			nr.Startup = ptr(secs(v.startup))
		}
	}
	return nr
}

// minus returns v − d in seconds, or nil.
func minus(v *float64, d time.Duration) *float64 {
	if v == nil {
		return nil
	}
	return ptr(round(*v-d.Seconds(), 3))
}

package sim

import (
	"math"
	"slices"
	"time"

	"github.com/shoal-p2p/shoal/internal/swarm"
)

// Result holds the figures of one run, with the definitions of DESIGN.md
// (Measures). Times are virtual seconds since the start of the run,
// rounded to the millisecond; a nil pointer means "not applicable" or "not
// reached". Nothing in it depends on the wall clock.
type Result struct {
	Scenario  string `json:"scenario"`
	Seed      uint64 `json:"seed"`
	FileBytes int64  `json:"file_bytes"`
	Pieces    int    `json:"pieces"`

	Leechers       int `json:"leechers"`        // honest leechers that joined
	Completed      int `json:"completed"`       // of them, done
	LeftIncomplete int `json:"left_incomplete"` // left before completing (churn)
	Hostile        int `json:"hostile"`         // liars and corrupt nodes

	// Bound is the fluid bound for the initial population; BoundApplies is
	// false under churn, where the population is not static.
	Bound        Bound `json:"bound"`
	BoundApplies bool  `json:"bound_applies"`
	// CapacityMbps is u_s + Σu_i of the bound; Utilisation is the share of
	// it used until Last: unique bytes ÷ (capacity × Last).
	CapacityMbps float64  `json:"capacity_mbps"`
	Utilisation  *float64 `json:"utilisation"`

	// Last is when the last initial leecher completed (nil if one did not);
	// LastRatio is Last ÷ Bound.Min when the bound applies.
	Last      *float64 `json:"last_s"`
	LastRatio *float64 `json:"last_ratio"`
	// Per-leecher completion times (done − joined) over completed leechers.
	P50  *float64 `json:"p50_s"`
	P95  *float64 `json:"p95_s"`
	Mean *float64 `json:"mean_s"`

	OriginBytes    int64   `json:"origin_bytes"`
	EgressMultiple float64 `json:"origin_egress_multiple"` // origin bytes ÷ F
	WireBytes      int64   `json:"wire_bytes"`             // every byte sent, headers and control included
	UniqueBytes    int64   `json:"unique_bytes"`           // verified piece bytes, summed over leechers
	Overhead       float64 `json:"overhead"`               // (wire − unique) ÷ unique
	WastedBytes    int64   `json:"wasted_bytes"`           // engines' duplicate, unrequested and failed bytes

	Bans Bans `json:"bans"`

	End    float64      `json:"end_s"`  // virtual time the run stopped
	Capped bool         `json:"capped"` // stopped by the duration cap
	Series []Sample     `json:"series"`
	Nodes  []NodeResult `json:"nodes"`
}

// Bans counts Disconnect{Ban: true} actions. HostileBanned and HonestBanned
// count distinct nodes banned by at least one peer; HonestBanned must be 0.
type Bans struct {
	Events        int `json:"events"`
	HostileBanned int `json:"hostile_banned"`
	CorruptNodes  int `json:"corrupt_nodes"`
	LiarNodes     int `json:"liar_nodes"`
	HonestBanned  int `json:"honest_banned"`
}

// Sample is one point of the time series.
type Sample struct {
	T          float64 `json:"t_s"`
	Completed  float64 `json:"completed_share"` // completed ÷ joined honest leechers
	DownMbps   float64 `json:"down_mbps"`       // aggregate leecher download rate (peers and origin)
	OriginMbps float64 `json:"origin_mbps"`     // origin egress rate
}

// NodeResult describes one node of the run.
type NodeResult struct {
	ID     string   `json:"id"`
	Role   string   `json:"role"`
	UpMbps float64  `json:"up_mbps"`
	NAT    bool     `json:"nat,omitempty"`
	Free   bool     `json:"free_rider,omitempty"`
	Join   float64  `json:"join_s"`
	Done   *float64 `json:"done_s,omitempty"` // completion time since joining
	Left   *float64 `json:"left_s,omitempty"`
}

// record appends a sample of the time series for the interval since the
// previous one.
func (d *driver) record() {
	now := d.now()
	var origin int64
	if d.origin >= 0 {
		origin = d.net.Stats(d.origin).BytesSent
	}
	dt := (now - d.meas.lastAt).Seconds()
	_, down := d.fileCounts()
	sm := Sample{T: secs(now)}
	if d.meas.leechers > 0 {
		sm.Completed = round(float64(d.completed())/float64(d.meas.leechers), 4)
	}
	if dt > 0 {
		sm.DownMbps = round(float64(down-d.meas.lastDown)*8/1e6/dt, 3)
		sm.OriginMbps = round(float64(origin-d.meas.lastOrigin)*8/1e6/dt, 3)
	}
	if k := len(d.meas.series); k > 0 && d.meas.series[k-1].T == sm.T {
		return
	}
	d.meas.series = append(d.meas.series, sm)
	d.meas.lastAt, d.meas.lastDown, d.meas.lastOrigin = now, down, origin
}

// result computes the figures once the run is over.
func (d *driver) result(b Bound, capacity float64) *Result {
	r := &Result{
		Scenario: d.sc.Name, Seed: d.sc.Seed, FileBytes: int64(d.sc.Files.Size), Pieces: d.m.NumPieces(),
		Leechers: d.meas.leechers, Completed: d.completed(), LeftIncomplete: d.meas.leftIncomplete,
		Bound: b, BoundApplies: d.sc.Churn.LeavePerMin == 0, CapacityMbps: round(capacity*8/1e6, 3),
		End: secs(d.now()), Capped: !d.stop, Series: d.meas.series,
	}
	var times []time.Duration
	last, lastOK := time.Duration(0), true
	for _, n := range d.nodes {
		if n.role == roleOrigin {
			continue
		}
		r.Nodes = append(r.Nodes, nodeResult(n))
		r.Hostile += b2i(n.role.hostile())
		r.WastedBytes += n.stats().BytesWasted
		r.WireBytes += d.net.Stats(n.id).BytesSent
		if n.role != roleLeecher {
			continue
		}
		if n.done >= 0 {
			times = append(times, n.done-n.joined)
		}
		if n.initial {
			last = max(last, n.done)
			lastOK = lastOK && n.done >= 0
		}
	}
	if d.origin >= 0 {
		r.OriginBytes = d.net.Stats(d.origin).BytesSent
		r.WireBytes += r.OriginBytes
	}
	r.EgressMultiple = round(float64(r.OriginBytes)/float64(r.FileBytes), 4)
	r.UniqueBytes, _ = d.fileCounts()
	if r.UniqueBytes > 0 {
		r.Overhead = round(float64(r.WireBytes-r.UniqueBytes)/float64(r.UniqueBytes), 4)
	}
	if lastOK {
		r.Last = ptr(secs(last))
		if last > 0 {
			r.Utilisation = ptr(round(float64(r.UniqueBytes)/(capacity*last.Seconds()), 4))
		}
		if r.BoundApplies {
			r.LastRatio = ptr(round(last.Seconds()/b.Min, 4))
		}
	}
	r.P50, r.P95, r.Mean = quantile(times, 0.50), quantile(times, 0.95), mean(times)
	r.Bans = d.bans()
	return r
}

// bans summarises the ban events.
func (d *driver) bans() Bans {
	all := d.allBans()
	bs := Bans{Events: len(all)}
	seen := make(map[NodeID]bool)
	for _, b := range all {
		if seen[b.of] {
			continue
		}
		seen[b.of] = true
		if d.nodes[b.of].role.hostile() {
			bs.HostileBanned++
		} else {
			bs.HonestBanned++
		}
	}
	for _, n := range d.nodes {
		bs.CorruptNodes += b2i(n.role == roleCorrupt)
		bs.LiarNodes += b2i(n.role == roleLiar)
	}
	return bs
}

// stats returns the engine counters of n, frozen when it left.
func (n *simNode) stats() swarm.Stats {
	if n.alive {
		return n.eng.Stats()
	}
	return n.final
}

func nodeResult(n *simNode) NodeResult {
	nr := NodeResult{ID: string(n.pid), Role: n.role.String(), UpMbps: round(n.up*8/1e6, 3),
		NAT: n.nat, Free: n.free, Join: secs(n.joined)}
	if n.done >= 0 {
		nr.Done = ptr(secs(n.done - n.joined))
	}
	if n.left >= 0 {
		nr.Left = ptr(secs(n.left))
	}
	return nr
}

// quantile returns the q-quantile (nearest rank) of ts in seconds, or nil.
func quantile(ts []time.Duration, q float64) *float64 {
	if len(ts) == 0 {
		return nil
	}
	s := slices.Sorted(slices.Values(ts))
	k := int(math.Ceil(q*float64(len(s)))) - 1
	return ptr(secs(s[max(k, 0)]))
}

func mean(ts []time.Duration) *float64 {
	if len(ts) == 0 {
		return nil
	}
	var sum time.Duration
	for _, t := range ts {
		sum += t
	}
	return ptr(secs(sum / time.Duration(len(ts))))
}

// secs converts d to seconds rounded to the millisecond.
func secs(d time.Duration) float64 { return round(d.Seconds(), 3) }

// round rounds f to digits decimals, so results do not depend on the last
// bits of floating-point arithmetic.
func round(f float64, digits int) float64 {
	p := math.Pow10(digits)
	return math.Round(f*p) / p
}

func ptr[T any](v T) *T { return &v }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

package sim

import (
	"math"
	"time"
)

// viewer holds the playback measures of one honest viewer.
type viewer struct {
	n       *simNode
	next    int64       // next sequence to evaluate
	marks   []readyMark // per rendition, by sequence modulo keep: when it became Ready
	cursor  int64       // poller cursor: the engine's newest segment at the last poll; -1 none
	started bool
	startup time.Duration
	due     int64 // segments evaluated
	onTime  int64 // of them, Ready by their deadline
}

// readyMark is when segment seq became Ready.
type readyMark struct {
	seq int64
	at  time.Duration
}

// newViewer starts measuring n from the first segment whose deadline is at
// least one segment duration after it joined.
func newViewer(lv *liveRun, n *simNode) *viewer {
	v := &viewer{n: n, cursor: -1, marks: make([]readyMark, len(lv.ring)*lv.keep)}
	for i := range v.marks {
		v.marks[i].seq = -1
	}
	if x := n.joined + lv.segDur - lv.latency; x > 0 {
		v.next = int64((x + lv.segDur - 1) / lv.segDur)
	}
	return v
}

// ready notes that segment (r, seq) became Ready at v at time at.
func (v *viewer) ready(lv *liveRun, r uint8, seq int64, at time.Duration) {
	if !v.started {
		v.started = true
		v.startup = at - max(v.n.joined, lv.firstAt)
	}
	if seq >= v.next {
		v.marks[int(r)*lv.keep+int(seq%int64(lv.keep))] = readyMark{seq: seq, at: at}
	}
}

// liveMeasures are the counters behind LiveResult.
type liveMeasures struct {
	due, onTime, late, missing int64
	stall, play                time.Duration
	lag                        msHist          // per played segment: play time − segment time
	spread                     []time.Duration // per segment: latest − earliest play time

	series []LiveSample
	last   struct {
		peers, origin, net int64
		at                 time.Duration
	}
}

func (m *liveMeasures) init(lv *liveRun) {
	m.lag.counts = make([]int64, int((lv.latency+lv.segDur)/time.Millisecond)+1)
}

// continuity returns the continuity index so far (1 before anything is
// due).
func (m *liveMeasures) continuity() float64 {
	if m.due == 0 {
		return 1
	}
	return float64(m.onTime) / float64(m.due)
}

// evaluateAll evaluates segment k at every present viewer, once its
// deadline plus one segment duration has passed (the playhead has left
// it), records its spread and schedules the next segment's evaluation.
func (lv *liveRun) evaluateAll(k int64) {
	cut := lv.deadline(k) + lv.segDur
	for r := range lv.ring {
		lo, hi := time.Duration(math.MaxInt64), time.Duration(-1)
		for _, v := range lv.viewers {
			for v.next < k {
				lv.evaluate(v, v.next, cut)
			}
			if v.next != k {
				continue
			}
			if play := lv.evaluateRendition(v, r, k, cut); play >= 0 {
				lo, hi = min(lo, play), max(hi, play)
			}
		}
		if hi >= 0 {
			lv.meas.spread = append(lv.meas.spread, hi-lo)
		}
	}
	for _, v := range lv.viewers {
		if v.next == k {
			v.next++
		}
	}
	if k+1 < int64(lv.total) {
		lv.d.net.Global().After(lv.segDur, func() { lv.evaluateAll(k + 1) })
	}
}

// evaluateUpTo evaluates v's segments due at or before cut (a departure or
// the end of the run).
func (lv *liveRun) evaluateUpTo(v *viewer, cut time.Duration) {
	for v.next < int64(lv.total) && lv.deadline(v.next) <= cut {
		lv.evaluate(v, v.next, cut)
	}
}

// evaluate evaluates segment k of every rendition at v and moves on.
func (lv *liveRun) evaluate(v *viewer, k int64, cut time.Duration) {
	for r := range lv.ring {
		lv.evaluateRendition(v, r, k, cut)
	}
	v.next = k + 1
}

// evaluateRendition classifies segment k of rendition r at v: on time,
// late (stalling from its deadline until Ready, at most one segment
// duration) or missing (stalling one segment duration, or until cut).
// It returns the play time, or -1 when the segment was not played.
func (lv *liveRun) evaluateRendition(v *viewer, r int, k int64, cut time.Duration) time.Duration {
	m := &lv.meas
	due := lv.deadline(k)
	mark := v.marks[r*lv.keep+int(k%int64(lv.keep))]
	at := time.Duration(-1)
	if mark.seq == k {
		at = mark.at
	}
	m.due++
	v.due++
	var play time.Duration
	switch {
	case at >= 0 && at <= due:
		m.onTime++
		v.onTime++
		play = due
	case at >= 0 && at <= min(due+lv.segDur, cut):
		m.late++
		m.stall += at - due
		play = at
	default:
		m.missing++
		m.stall += min(lv.segDur, cut-due)
		return -1
	}
	m.play += lv.segDur
	m.lag.add(play - time.Duration(k)*lv.segDur)
	return play
}

// record appends a point to the time series for the interval since the
// previous one.
func (lv *liveRun) record() {
	d, m := lv.d, &lv.meas
	now := d.now()
	var net int64
	if d.origin >= 0 {
		net = d.net.Stats(d.origin).BytesSent
	}
	c := d.liveCounts()
	sm := LiveSample{T: secs(now), Continuity: round(m.continuity(), 4), Viewers: len(lv.viewers)}
	if got := c.fromPeers - m.last.peers + c.fromOrigin - m.last.origin; got > 0 {
		sm.Offload = ptr(round(float64(c.fromPeers-m.last.peers)/float64(got), 4))
	}
	if dt := (now - m.last.at).Seconds(); dt > 0 {
		sm.OriginMbps = round(float64(net-m.last.net)*8/1e6/dt, 3)
	}
	if k := len(m.series); k > 0 && m.series[k-1].T == sm.T {
		return
	}
	m.series = append(m.series, sm)
	m.last.peers, m.last.origin, m.last.net, m.last.at = c.fromPeers, c.fromOrigin, net, now
}

// msHist is a histogram of durations in milliseconds; the last bucket
// holds everything longer.
type msHist struct {
	counts []int64
	n      int64
}

func (h *msHist) add(d time.Duration) {
	i := min(max(int(d/time.Millisecond), 0), len(h.counts)-1)
	h.counts[i]++
	h.n++
}

// quantile returns the q-quantile (nearest rank) in seconds, or nil.
func (h *msHist) quantile(q float64) *float64 {
	if h.n == 0 {
		return nil
	}
	rank := max(int64(math.Ceil(q*float64(h.n))), 1)
	for i, c := range h.counts {
		if rank -= c; rank <= 0 {
			return ptr(round(float64(i)/1000, 3))
		}
	}
	return nil
}

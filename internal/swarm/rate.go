package swarm

import (
	"math"
	"time"
)

// Rate estimation constants. A meter folds the bytes counted during each
// sample period of at least rateSample into an exponentially weighted moving
// average with time constant rateTau, so a peer's rate reflects roughly the
// last rateTau of traffic and decays towards zero when it goes quiet.
const (
	rateSample = time.Second
	rateTau    = 5 * time.Second
)

// meter is an EWMA byte-rate estimator driven by explicit timestamps.
type meter struct {
	rate    float64   // bytes per second
	pending int64     // bytes since the last sample
	last    time.Time // start of the current sample period
}

// add counts n bytes transferred at now.
func (m *meter) add(n int, now time.Time) {
	m.roll(now)
	m.pending += int64(n)
}

// roll closes the current sample period if it is at least rateSample long.
func (m *meter) roll(now time.Time) {
	if m.last.IsZero() {
		m.last = now
		return
	}
	dt := now.Sub(m.last)
	if dt < rateSample {
		return
	}
	inst := float64(m.pending) / dt.Seconds()
	alpha := 1 - math.Exp(-dt.Seconds()/rateTau.Seconds())
	m.rate += alpha * (inst - m.rate)
	m.pending = 0
	m.last = now
}

// penalize halves the estimate, as after a request timeout.
func (m *meter) penalize() { m.rate /= 2 }

// quickRate returns the larger of the estimate and the rate of the sample
// still being collected, once it spans at least 200 ms: a fresh fast peer
// shows its speed well before the first full sample.
func (m *meter) quickRate(now time.Time) float64 {
	if dt := now.Sub(m.last); !m.last.IsZero() && dt >= 200*time.Millisecond {
		return max(m.rate, float64(m.pending)/dt.Seconds())
	}
	return m.rate
}

// bytesPerSec returns the current estimate.
func (m *meter) bytesPerSec() float64 { return m.rate }

package swarm

import (
	"testing"
	"time"
)

// TestLiveClockOrders checks that table times order as the times do, for
// times read from the monotonic clock and for wall times like the
// simulator's, and that the zero time is never.
func TestLiveClockOrders(t *testing.T) {
	mono := time.Now()
	for _, base := range []time.Time{mono, epoch} {
		var l liveState
		times := []time.Time{base, base.Add(time.Nanosecond), base.Add(-5 * time.Second),
			base.Add(liveBusyBackoff), base.Add(time.Hour), base.Add(-time.Hour)}
		for _, a := range times {
			for _, b := range times {
				if got, want := l.at(a) < l.at(b), a.Before(b); got != want {
					t.Errorf("base %v: at(%v) < at(%v) = %t, want %t", base, a, b, got, want)
				}
				if got, want := l.at(a)-l.at(b), int64(a.Sub(b)); got != want {
					t.Errorf("base %v: at(%v) - at(%v) = %d, want %d", base, a, b, got, want)
				}
			}
		}
		if got := l.at(time.Time{}); got != never {
			t.Errorf("base %v: at(zero) = %d, want never", base, got)
		}
	}
}

package sim

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestCalendarOrder pushes keys in windows, each key after the window it
// is pushed in as the network does, some far beyond the calendar and
// some after long idle gaps, and wants every key popped exactly once, in
// key order, before its window's end and not sooner.
func TestCalendarOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var c calendar
	var want, got []flightKey
	var end int64
	seq := uint64(0)
	for w := range 3000 {
		length := 1 + rng.Int64N(12e6) // up to 12 ms
		if w%500 == 499 {
			length += 20e9 // an idle gap beyond the calendar
		}
		for range rng.IntN(40) {
			seq++
			ahead := rng.Int64N(50e6) // mostly within 50 ms
			if rng.IntN(50) == 0 {
				ahead = rng.Int64N(30e9) // sometimes far beyond
			}
			k := flightKey{at: end + ahead, from: NodeID(rng.IntN(5)), seq: seq}
			if rng.IntN(4) == 0 && len(want) > 0 && want[len(want)-1].at >= end {
				k.at = want[len(want)-1].at // ties
			}
			c.push(k)
			want = append(want, k)
		}
		end += length
		c.popBefore(end, func(k flightKey) {
			if k.at >= end {
				t.Fatalf("popped %d before window end %d", k.at, end)
			}
			got = append(got, k)
		})
		if next := c.next(); next < end {
			t.Fatalf("next %d before window end %d after popping", next, end)
		}
	}
	c.popBefore(1<<62, func(k flightKey) { got = append(got, k) })
	slices.SortFunc(want, cmpFlight)
	if !slices.Equal(got, want) {
		t.Fatalf("got %d keys, want %d in key order", len(got), len(want))
	}
	if c.len() != 0 {
		t.Errorf("got %d keys left, want 0", c.len())
	}
}

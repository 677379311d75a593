package node

import (
	"testing"
	"time"
)

func TestPollerStale(t *testing.T) {
	p := &poller{interval: time.Second} // 2 s segments
	t0 := time.Unix(1000, 0)
	steps := []struct {
		after time.Duration // since t0
		edge  int64
		want  bool
	}{
		{0, 0, true},                   // nothing known yet
		{0, 5000, false},               // peers told us of a segment
		{2 * time.Second, 7000, false}, // and of the next one
		{4900 * time.Millisecond, 7000, false},
		{5 * time.Second, 7000, true}, // no new segment for 1.5 durations: ask the origin
		{5100 * time.Millisecond, 9000, false},
	}
	for _, st := range steps {
		if got := p.stale(st.edge, t0.Add(st.after)); got != st.want {
			t.Errorf("at %v with edge %d: stale = %t, want %t", st.after, st.edge, got, st.want)
		}
	}
}

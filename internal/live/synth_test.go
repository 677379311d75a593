package live

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestNewSynthSource(t *testing.T) {
	cases := []struct {
		name string
		cfg  SynthConfig
		want string // error substring; "" for success
	}{
		{"zero value", SynthConfig{}, ""},
		{"the clip's duration", SynthConfig{SegmentDuration: SynthSegmentDuration, Backlog: 3}, ""},
		{"other duration", SynthConfig{SegmentDuration: time.Second}, "live: synth source: segment duration 1s"},
		{"negative backlog", SynthConfig{Backlog: -1}, "live: synth source: backlog -1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewSynthSource(c.cfg)
			if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
				t.Errorf("got error %v, want %q", err, c.want)
			}
		})
	}
}

// synthStep is one turn of the fake clock: the source must be waiting for
// wait; the clock moves on by advance (the whole wait if zero), and the
// source must then emit exactly seqs before waiting again.
type synthStep struct {
	wait, advance time.Duration
	seqs          []uint64
}

// realTime is the schedule of a stream read as fast as it is made: one
// segment per segment duration, for n segments.
func realTime(n int) []synthStep {
	var steps []synthStep
	for i := range n {
		steps = append(steps, synthStep{wait: 2 * time.Second, seqs: []uint64{uint64(i)}})
	}
	return steps
}

func TestSynthSourceSchedule(t *testing.T) {
	cases := []struct {
		name    string
		backlog int
		initial []uint64 // emitted before the first wait
		steps   []synthStep
	}{
		{"real time over two loops", 0, nil, realTime(10)},
		{"woken early", 0, nil, []synthStep{
			{wait: 2 * time.Second, advance: 1500 * time.Millisecond},
			{wait: 500 * time.Millisecond, seqs: []uint64{0}},
			{wait: 2 * time.Second, seqs: []uint64{1}},
		}},
		{"clock jumps ahead", 0, nil, []synthStep{
			{wait: 2 * time.Second, advance: 7 * time.Second, seqs: []uint64{0, 1, 2}},
			{wait: time.Second, seqs: []uint64{3}},
			{wait: 2 * time.Second, seqs: []uint64{4}},
		}},
		{"backlog", 3, []uint64{0, 1, 2}, []synthStep{
			{wait: 2 * time.Second, seqs: []uint64{3}},
			{wait: 2 * time.Second, seqs: []uint64{4}},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			t0 := h.clk.Now()
			src, err := NewSynthSource(SynthConfig{Backlog: c.backlog, Logger: h.logger(), Now: h.clk.Now, After: h.clk.After})
			if err != nil {
				t.Fatal(err)
			}
			start := t0.Add(-time.Duration(c.backlog) * SynthSegmentDuration)
			h.start(src)
			checkSynthSegments(t, h, src, start, c.initial)
			for i, st := range c.steps {
				if got := h.idle(); got != st.wait {
					t.Fatalf("step %d: got a wait of %v, want %v", i, got, st.wait)
				}
				if st.advance != 0 {
					h.wait.d = st.advance
				}
				h.fire()
				checkSynthSegments(t, h, src, start, st.seqs)
			}
			h.idle() // nothing more until the clock moves; lets Run see the cancel
			if !h.logged("synthetic stream started") {
				t.Errorf("got log %q, want the start message", h.log.String())
			}
		})
	}
}

// checkSynthSegments reads the segments seqs from h and checks each
// against the schedule of a stream that began at start.
func checkSynthSegments(t *testing.T, h *harness, src *SynthSource, start time.Time, seqs []uint64) {
	t.Helper()
	for _, seq := range seqs {
		s := h.next()
		begin := start.Add(time.Duration(seq) * SynthSegmentDuration)
		want, err := src.loop.segment(seq)
		if err != nil {
			t.Fatal(err)
		}
		if s.Rendition != 0 || s.Sequence != seq || s.URI != fmt.Sprintf("synth/%d.ts", seq) {
			t.Fatalf("got rendition %d sequence %d uri %s, want 0 %d synth/%d.ts", s.Rendition, s.Sequence, s.URI, seq, seq)
		}
		if s.Duration != SynthSegmentDuration || !s.ProgramDateTime.Equal(begin) || s.Discontinuity {
			t.Errorf("sequence %d: got duration %v date %v discontinuity %v, want %v %v false", seq, s.Duration, s.ProgramDateTime, s.Discontinuity, SynthSegmentDuration, begin)
		}
		if now := h.clk.Now(); now.Before(begin.Add(s.Duration)) {
			t.Errorf("sequence %d: emitted at %v, want not before its end %v", seq, now, begin.Add(s.Duration))
		}
		if !bytes.Equal(s.Data, want) {
			t.Errorf("sequence %d: got %d bytes, want the %d of the looped clip", seq, len(s.Data), len(want))
		}
	}
}

func TestSynthSourceCancel(t *testing.T) {
	clk := newFakeClock()
	src, err := NewSynthSource(SynthConfig{Logger: slog.New(slog.DiscardHandler), Now: clk.Now, After: clk.After})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, make(chan Segment)) }()
	select {
	case w := <-clk.waits:
		if w.d != SynthSegmentDuration {
			t.Errorf("got a wait of %v, want %v", w.d, SynthSegmentDuration)
		}
	case <-time.After(guard):
		t.Fatal("source did not wait for its first segment")
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("got Run error %v, want context.Canceled", err)
		}
	case <-time.After(guard):
		t.Fatal("Run did not return after cancel")
	}
}

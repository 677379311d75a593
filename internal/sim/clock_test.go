package sim

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// firing records an event run: its label and the virtual time it ran at.
type firing struct {
	label string
	at    time.Duration
}

// recorder collects firings from events scheduled on a Scheduler.
type recorder struct {
	s   *Scheduler
	got []firing
}

func (r *recorder) fn(label string) func() {
	return func() { r.got = append(r.got, firing{label, r.s.Elapsed()}) }
}

func TestSchedulerOrder(t *testing.T) {
	type ev struct {
		label string
		after time.Duration
	}
	tests := []struct {
		name string
		evs  []ev
		want []firing
	}{
		{"empty", nil, nil},
		{"sorted by time", []ev{{"c", 3}, {"a", 1}, {"b", 2}},
			[]firing{{"a", 1}, {"b", 2}, {"c", 3}}},
		{"ties in insertion order", []ev{{"x", 5}, {"y", 5}, {"w", 1}, {"z", 5}},
			[]firing{{"w", 1}, {"x", 5}, {"y", 5}, {"z", 5}}},
		{"negative delay runs now", []ev{{"a", 2}, {"now", -7}},
			[]firing{{"now", 0}, {"a", 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewScheduler(epoch)
			r := &recorder{s: s}
			for _, e := range tt.evs {
				s.After(e.after, r.fn(e.label))
			}
			s.Run()
			if !slices.Equal(r.got, tt.want) {
				t.Errorf("got %v, want %v", r.got, tt.want)
			}
			if s.Len() != 0 {
				t.Errorf("got %d pending events after Run, want 0", s.Len())
			}
		})
	}
}

func TestSchedulerEventSchedulesAtNow(t *testing.T) {
	s := NewScheduler(epoch)
	r := &recorder{s: s}
	s.After(1, func() {
		r.got = append(r.got, firing{"first", s.Elapsed()})
		s.After(0, r.fn("nested"))
	})
	s.After(1, r.fn("second"))
	s.Run()
	want := []firing{{"first", 1}, {"second", 1}, {"nested", 1}}
	if !slices.Equal(r.got, want) {
		t.Errorf("got %v, want %v", r.got, want)
	}
}

func TestSchedulerAtAndNow(t *testing.T) {
	s := NewScheduler(epoch)
	var ran time.Time
	s.At(epoch.Add(time.Hour), func() { ran = s.Now() })
	if next, ok := s.Next(); !ok || !next.Equal(epoch.Add(time.Hour)) {
		t.Errorf("got Next() = %v, %v, want %v, true", next, ok, epoch.Add(time.Hour))
	}
	if !s.Step() {
		t.Fatal("got Step() = false, want true")
	}
	if want := epoch.Add(time.Hour); !ran.Equal(want) {
		t.Errorf("got event time %v, want %v", ran, want)
	}
	if s.Step() {
		t.Error("got Step() = true on empty scheduler, want false")
	}
	s.At(epoch, func() { ran = s.Now() }) // in the past: runs now
	s.Run()
	if want := epoch.Add(time.Hour); !ran.Equal(want) {
		t.Errorf("got past event time %v, want %v", ran, want)
	}
}

func TestSchedulerRunUntil(t *testing.T) {
	tests := []struct {
		name    string
		until   time.Duration
		wantRun []string
		wantNow time.Duration
	}{
		{"before all", 5, nil, 5},
		{"inclusive", 10, []string{"a"}, 10},
		{"between", 15, []string{"a"}, 15},
		{"after all", 100, []string{"a", "b"}, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewScheduler(epoch)
			var ran []string
			s.After(10, func() { ran = append(ran, "a") })
			s.After(20, func() { ran = append(ran, "b") })
			s.RunUntil(epoch.Add(tt.until))
			if !slices.Equal(ran, tt.wantRun) {
				t.Errorf("got run %v, want %v", ran, tt.wantRun)
			}
			if s.Elapsed() != tt.wantNow {
				t.Errorf("got now %v, want %v", s.Elapsed(), tt.wantNow)
			}
		})
	}
}

func TestTimerStop(t *testing.T) {
	s := NewScheduler(epoch)
	r := &recorder{s: s}
	a := s.After(1, r.fn("a"))
	b := s.After(2, r.fn("b"))
	c := s.After(3, r.fn("c"))
	var zero Timer
	if zero.Stop() || zero.Pending() {
		t.Error("got zero Timer stoppable or pending, want neither")
	}
	if !b.Pending() {
		t.Error("got b not pending before Stop, want pending")
	}
	if !b.Stop() {
		t.Error("got first b.Stop() = false, want true")
	}
	if b.Stop() || b.Pending() {
		t.Error("got b stoppable or pending after Stop, want neither")
	}
	// A new event may reuse b's slot; the stale handle must not touch it.
	d := s.After(4, r.fn("d"))
	if b.Stop() {
		t.Error("got stale b.Stop() = true after slot reuse, want false")
	}
	s.Step()
	if a.Stop() {
		t.Error("got a.Stop() = true after a ran, want false")
	}
	if !c.Stop() {
		t.Error("got c.Stop() = false, want true")
	}
	s.Run()
	want := []firing{{"a", 1}, {"d", 4}}
	if !slices.Equal(r.got, want) {
		t.Errorf("got %v, want %v", r.got, want)
	}
	if d.Pending() {
		t.Error("got d pending after it ran, want not pending")
	}
}

// TestTimerStopAtTop checks that a stopped event still in the heap is
// invisible: not counted by Len or Steps, skipped by Next and RunUntil, and
// its slot, once freed, leaves the old Timer stale.
func TestTimerStopAtTop(t *testing.T) {
	s := NewScheduler(epoch)
	r := &recorder{s: s}
	a := s.After(1, r.fn("a"))
	s.After(5, r.fn("b"))
	if !a.Stop() {
		t.Fatal("got a.Stop() = false, want true")
	}
	if n := s.Len(); n != 1 {
		t.Errorf("got Len %d after Stop, want 1", n)
	}
	if at, ok := s.Next(); !ok || !at.Equal(epoch.Add(5)) {
		t.Errorf("got Next %v %t, want %v", at, ok, epoch.Add(5))
	}
	s.RunUntil(epoch.Add(3))
	if len(r.got) != 0 || s.Steps() != 0 {
		t.Errorf("got %v and %d steps by 3 ns, want none", r.got, s.Steps())
	}
	s.After(1, r.fn("c")) // at 4, in a's freed slot
	if a.Stop() || a.Pending() {
		t.Error("got a stoppable or pending after its slot was reused, want neither")
	}
	s.Run()
	want := []firing{{"c", 4}, {"b", 5}}
	if !slices.Equal(r.got, want) || s.Steps() != 2 {
		t.Errorf("got %v in %d steps, want %v in 2", r.got, s.Steps(), want)
	}
}

// TestSchedulerRandom checks the heap against a sorted reference under a
// deterministic mix of schedules and cancellations.
func TestSchedulerRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	s := NewScheduler(epoch)
	type ref struct {
		at  int64
		seq int
	}
	var (
		want    []ref
		got     []ref
		timers  []Timer
		pending = map[int]ref{}
	)
	for i := range 20000 {
		at := rng.Int64N(1000)
		e := ref{at, i}
		pending[i] = e
		timers = append(timers, s.After(time.Duration(at), func() {
			got = append(got, ref{int64(s.Elapsed()), e.seq})
		}))
		if rng.IntN(3) == 0 {
			k := rng.IntN(len(timers))
			if timers[k].Stop() {
				delete(pending, k)
			}
		}
	}
	for _, e := range pending {
		want = append(want, e)
	}
	slices.SortFunc(want, func(a, b ref) int {
		if a.at != b.at {
			return int(a.at - b.at)
		}
		return a.seq - b.seq
	})
	s.Run()
	if !slices.Equal(got, want) {
		t.Errorf("got %d events in a different order than the %d wanted", len(got), len(want))
	}
}

// countHandler counts its firings.
type countHandler struct{ n uint64 }

func (h *countHandler) Fire(arg uint64) { h.n += arg }

func TestSchedulerHandler(t *testing.T) {
	s := NewScheduler(epoch)
	h := &countHandler{}
	s.AfterHandler(time.Second, h, 3)
	s.AtHandler(epoch.Add(2*time.Second), h, 4)
	stopped := s.AfterHandler(time.Second, h, 100)
	stopped.Stop()
	s.Run()
	if h.n != 7 {
		t.Errorf("got handler sum %d, want 7", h.n)
	}
	if s.Elapsed() != 2*time.Second {
		t.Errorf("got now %v, want 2s", s.Elapsed())
	}
}

// chainHandler keeps a fixed number of events pending: each firing
// schedules a successor at a pseudo-random delay.
type chainHandler struct {
	s     *Scheduler
	state uint64
}

func (h *chainHandler) Fire(uint64) {
	h.state = h.state*6364136223846793005 + 1442695040888963407
	h.s.AfterHandler(time.Duration(h.state>>40), h, 0)
}

func BenchmarkSchedulerEvents(b *testing.B) {
	for _, pending := range []int{1000, 100000} {
		b.Run(benchName("pending", pending), func(b *testing.B) {
			s := NewScheduler(epoch)
			h := &chainHandler{s: s, state: 1}
			for range pending {
				h.Fire(0)
			}
			cpu := startCPU(b)
			for range b.N {
				s.Step()
			}
			cpu.report(b, "events/s")
		})
	}
}

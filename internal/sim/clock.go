package sim

import (
	"math"
	"time"
)

// Handler receives events scheduled with AtHandler and AfterHandler. Using a
// long-lived Handler and an argument instead of a fresh closure keeps hot
// paths free of allocations.
type Handler interface {
	// Fire runs the event; arg is the value given when it was scheduled.
	Fire(arg uint64)
}

// Timer is a handle to a scheduled event. Its zero value refers to no event.
// Timers are small values; copy them freely.
type Timer struct {
	s    *Scheduler
	slot int32
	gen  uint32
}

// Stop cancels the event. It returns true if the call prevented the event
// from running, and false if it had already run or been stopped.
func (t Timer) Stop() bool {
	if !t.Pending() {
		return false
	}
	s := t.s
	sl := &s.slots[t.slot]
	sl.fn, sl.h, sl.arg = nil, nil, 0 // cancelled: Step drops its entry
	s.cancelled++
	return true
}

// Pending reports whether the event is still waiting to run.
func (t Timer) Pending() bool {
	if t.s == nil {
		return false
	}
	sl := &t.s.slots[t.slot]
	return sl.gen == t.gen && sl.queued()
}

// entry is one pending event in the heap. It carries the ordering key so
// comparisons touch only the heap array.
type entry struct {
	at   int64  // virtual nanoseconds since the scheduler's start
	seq  uint64 // insertion order; breaks ties
	slot int32  // index into Scheduler.slots
}

// slot holds what an event runs. Slots are reused through a free list; gen
// changes on every reuse so stale Timers are recognised. A stopped event's
// slot has neither fn nor h and is freed when its entry leaves the heap.
type slot struct {
	fn  func()
	h   Handler
	arg uint64
	gen uint32
}

// Scheduler runs events in virtual time. Events due at the same instant run
// in the order they were scheduled. It is not safe for concurrent use, and
// Step, RunUntil and Run must not be called from inside an event.
type Scheduler struct {
	start time.Time
	now   int64  // nanoseconds since start
	steps uint64 // events run
	seq   uint64
	heap  []entry
	slots []slot
	free  []int32
	// cancelled counts stopped events whose entries are still in the heap:
	// Stop only clears the slot, and the entry is dropped when it reaches
	// the top. The driver never stops an event, and keeping every entry's
	// heap position for an O(log n) removal cost a random write per sift
	// step of every event.
	cancelled int
}

// NewScheduler returns a Scheduler whose virtual clock reads start.
// A monotonic clock reading in start is discarded.
func NewScheduler(start time.Time) *Scheduler {
	return &Scheduler{start: start.Round(0)}
}

// Now returns the current virtual time.
func (s *Scheduler) Now() time.Time {
	return s.start.Add(time.Duration(s.now))
}

// Elapsed returns the virtual time elapsed since the scheduler's start.
func (s *Scheduler) Elapsed() time.Duration {
	return time.Duration(s.now)
}

// Steps returns the number of events run so far.
func (s *Scheduler) Steps() uint64 { return s.steps }

// Len returns the number of pending events.
func (s *Scheduler) Len() int {
	return len(s.heap) - s.cancelled
}

// Next returns the time of the next pending event, and false if there is none.
func (s *Scheduler) Next() (time.Time, bool) {
	s.dropCancelled()
	if len(s.heap) == 0 {
		return time.Time{}, false
	}
	return s.start.Add(time.Duration(s.heap[0].at)), true
}

// At schedules fn to run at virtual time t, or now if t has passed.
// It panics if fn is nil.
func (s *Scheduler) At(t time.Time, fn func()) Timer {
	if fn == nil {
		panic("sim: nil event func")
	}
	return s.schedule(s.offset(t), fn, nil, 0)
}

// After schedules fn to run d after the current virtual time (now if d <= 0).
// It panics if fn is nil.
func (s *Scheduler) After(d time.Duration, fn func()) Timer {
	if fn == nil {
		panic("sim: nil event func")
	}
	return s.schedule(s.later(d), fn, nil, 0)
}

// AtHandler schedules h.Fire(arg) at virtual time t, or now if t has passed.
// It panics if h is nil.
func (s *Scheduler) AtHandler(t time.Time, h Handler, arg uint64) Timer {
	if h == nil {
		panic("sim: nil event handler")
	}
	return s.schedule(s.offset(t), nil, h, arg)
}

// AfterHandler schedules h.Fire(arg) d after the current virtual time.
// It panics if h is nil.
func (s *Scheduler) AfterHandler(d time.Duration, h Handler, arg uint64) Timer {
	if h == nil {
		panic("sim: nil event handler")
	}
	return s.schedule(s.later(d), nil, h, arg)
}

// Step runs the next pending event, advancing the clock to its time.
// It returns false if there was no event to run.
func (s *Scheduler) Step() bool {
	s.dropCancelled()
	if len(s.heap) == 0 {
		return false
	}
	top := s.heap[0]
	s.steps++
	s.popMin()
	s.now = top.at
	sl := &s.slots[top.slot]
	fn, h, arg := sl.fn, sl.h, sl.arg
	s.release(top.slot)
	if fn != nil {
		fn()
	} else {
		h.Fire(arg)
	}
	return true
}

// RunUntil runs every event due at or before t, then sets the clock to t if
// it is later than the current time.
func (s *Scheduler) RunUntil(t time.Time) {
	end := s.offset(t)
	for s.dropCancelled(); len(s.heap) > 0 && s.heap[0].at <= end; s.dropCancelled() {
		s.Step()
	}
	s.now = end
}

// Run runs events until none is pending. It does not return while events
// keep scheduling further events.
func (s *Scheduler) Run() {
	for s.Step() {
	}
}

// offset converts t to nanoseconds since start, clamped to [now, MaxInt64].
func (s *Scheduler) offset(t time.Time) int64 {
	return max(int64(t.Sub(s.start)), s.now)
}

// later returns now+d, clamped to [now, MaxInt64].
func (s *Scheduler) later(d time.Duration) int64 {
	if d <= 0 {
		return s.now
	}
	if int64(d) > math.MaxInt64-s.now {
		return math.MaxInt64
	}
	return s.now + int64(d)
}

// schedule queues an event at virtual nanosecond at (>= now). Exactly one
// of fn and h is set.
func (s *Scheduler) schedule(at int64, fn func(), h Handler, arg uint64) Timer {
	id := s.alloc()
	sl := &s.slots[id]
	sl.fn, sl.h, sl.arg = fn, h, arg
	s.seq++
	s.heap = append(s.heap, entry{at: at, seq: s.seq, slot: id})
	s.up(len(s.heap) - 1)
	return Timer{s: s, slot: id, gen: sl.gen}
}

// dropCancelled pops the stopped events at the top of the heap, freeing
// their slots.
func (s *Scheduler) dropCancelled() {
	for s.cancelled > 0 && len(s.heap) > 0 && !s.slots[s.heap[0].slot].queued() {
		id := s.heap[0].slot
		s.popMin()
		s.release(id)
		s.cancelled--
	}
}

// queued reports whether the slot holds an event that has neither run nor
// been stopped: exactly one of fn and h is set for those.
func (sl *slot) queued() bool { return sl.fn != nil || sl.h != nil }

// alloc returns a free slot, growing the slot table when none is free.
func (s *Scheduler) alloc() int32 {
	if n := len(s.free); n > 0 {
		id := s.free[n-1]
		s.free = s.free[:n-1]
		return id
	}
	if len(s.slots) == math.MaxInt32 {
		panic("sim: too many pending events")
	}
	s.slots = append(s.slots, slot{})
	return int32(len(s.slots) - 1)
}

// release clears a slot, so its closure can be collected, and frees it.
func (s *Scheduler) release(id int32) {
	sl := &s.slots[id]
	sl.fn, sl.h, sl.arg = nil, nil, 0
	sl.gen++
	s.free = append(s.free, id)
}

// nextAt returns the time of the next pending event in nanoseconds since
// start, and false if there is none.
func (s *Scheduler) nextAt() (int64, bool) {
	s.dropCancelled()
	if len(s.heap) == 0 {
		return 0, false
	}
	return s.heap[0].at, true
}

// runBefore runs every event due before end (nanoseconds since start).
func (s *Scheduler) runBefore(end int64) {
	for s.dropCancelled(); len(s.heap) > 0 && s.heap[0].at < end; s.dropCancelled() {
		s.Step()
	}
}

// advance moves the clock to t (nanoseconds since start) if that is
// later; the caller knows no event is due before t.
func (s *Scheduler) advance(t int64) { s.now = max(s.now, t) }

package sim

import (
	"cmp"
	"math"
	"slices"
)

// calendar holds a part's collected messages until they reach their
// receiver's downlink, and hands them out in key order (cmpFlight):
// a calendar of buckets by arrival time, bucketWidth wide, sorted when
// first read; arrivals too far ahead for the calendar wait in a heap.
// Nearly every message arrives within a fraction of a second of being
// sent, so most land in the calendar, where a push is an append and a
// bucket's sort is cheaper per message than a heap's sifts.
//
// Pushes may come while a bucket is being read, but only for later
// times than any read (a message arrives after the window it was sent
// in), so the unread rest of the bucket is sorted again when needed.
type calendar struct {
	ring   [calendarBuckets][]flightKey
	pos    [calendarBuckets]int  // read position in each bucket
	sorted [calendarBuckets]bool // the unread rest of the bucket is sorted
	cur    int64                 // absolute index of the first unread bucket
	n      int                   // keys in the calendar, unread
	far    flightHeap            // keys beyond the calendar
}

const (
	bucketWidth     = int64(1e6) // ns
	calendarBuckets = 4096       // about 4 s of arrivals
)

// push adds k; its time must not be before anything already popped.
func (a *calendar) push(k flightKey) {
	b := k.at / bucketWidth
	if b >= a.cur+calendarBuckets {
		a.far.push(k)
		return
	}
	b = max(b, a.cur)
	i := b % calendarBuckets
	a.ring[i] = append(a.ring[i], k)
	a.sorted[i] = false
	a.n++
}

// popBefore calls f with every key whose time is before end, in order.
func (a *calendar) popBefore(end int64, f func(flightKey)) {
	for {
		a.pull()
		i := a.cur % calendarBuckets
		if a.n == 0 {
			if len(a.far) == 0 || a.far[0].at >= end {
				return
			}
			a.cur = a.far[0].at / bucketWidth // skip the empty calendar
			continue
		}
		if a.cur*bucketWidth >= end {
			return
		}
		bucket := a.ring[i]
		if !a.sorted[i] {
			rest := bucket[a.pos[i]:]
			slices.SortFunc(rest, cmpFlight)
			a.sorted[i] = true
		}
		for a.pos[i] < len(bucket) && bucket[a.pos[i]].at < end {
			k := bucket[a.pos[i]]
			a.pos[i]++
			a.n--
			f(k)
		}
		if a.pos[i] < len(bucket) {
			return // the rest is at or after end
		}
		a.ring[i], a.pos[i] = bucket[:0], 0
		if (a.cur+1)*bucketWidth > end {
			return // the bucket may still receive keys before its end
		}
		a.cur++
	}
}

// pull moves keys from the heap into the calendar once their bucket is
// within it.
func (a *calendar) pull() {
	for len(a.far) > 0 && a.far[0].at/bucketWidth < a.cur+calendarBuckets {
		a.push(a.far.pop())
	}
}

// next returns the earliest time of a key held, math.MaxInt64 if none.
func (a *calendar) next() int64 {
	at := int64(math.MaxInt64)
	if len(a.far) > 0 {
		at = a.far[0].at
	}
	if a.n == 0 {
		return at
	}
	for b := a.cur; b < a.cur+calendarBuckets; b++ {
		i := b % calendarBuckets
		if bucket := a.ring[i][a.pos[i]:]; len(bucket) > 0 {
			for _, k := range bucket {
				at = min(at, k.at)
			}
			return at
		}
	}
	return at
}

// len returns the number of keys held.
func (a *calendar) len() int { return a.n + len(a.far) }

// cmpFlight orders keys by time, sender and the sender's send order
// (flightKey).
func cmpFlight(a, b flightKey) int {
	if c := cmp.Compare(a.at, b.at); c != 0 {
		return c
	}
	if c := cmp.Compare(a.from, b.from); c != 0 {
		return c
	}
	return cmp.Compare(a.seq, b.seq)
}

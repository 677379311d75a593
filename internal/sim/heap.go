package sim

// The scheduler's queue is a binary min-heap of entries ordered by (at, seq).
// A stopped event's entry stays in it until it reaches the top (see
// Scheduler.cancelled).

// less orders entries by time, then by insertion order.
func less(a, b *entry) bool {
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

// up moves the entry at i towards the root until the heap is ordered.
func (s *Scheduler) up(i int) {
	h := s.heap
	e := h[i]
	for i > 0 {
		p := (i - 1) / 2
		if !less(&e, &h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = e
}

// popMin deletes the root. It walks the hole left at the root down to a
// leaf along the smaller children, then fills it with the last entry and
// sifts that up: about half the comparisons of a plain sift-down, since the
// last entry usually belongs near the bottom.
func (s *Scheduler) popMin() {
	last := len(s.heap) - 1
	moved := s.heap[last]
	s.heap = s.heap[:last]
	if last == 0 {
		return
	}
	h := s.heap
	i := 0
	for {
		c := 2*i + 1
		if c >= last {
			break
		}
		if r := c + 1; r < last && less(&h[r], &h[c]) {
			c = r
		}
		h[i] = h[c]
		i = c
	}
	h[i] = moved
	s.up(i)
}

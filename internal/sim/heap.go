package sim

// The scheduler's queue is a binary min-heap of entries ordered by (at, seq).
// Each move records the entry's new position in Scheduler.pos, so a Timer
// can remove its event from the middle of the heap in O(log n).

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
		s.pos[h[i].slot] = int32(i)
		i = p
	}
	h[i] = e
	s.pos[e.slot] = int32(i)
}

// down moves the entry at i towards the leaves until the heap is ordered.
func (s *Scheduler) down(i int) {
	h := s.heap
	n := len(h)
	e := h[i]
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && less(&h[r], &h[c]) {
			c = r
		}
		if !less(&h[c], &e) {
			break
		}
		h[i] = h[c]
		s.pos[h[i].slot] = int32(i)
		i = c
	}
	h[i] = e
	s.pos[e.slot] = int32(i)
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
		s.pos[h[i].slot] = int32(i)
		i = c
	}
	h[i] = moved
	s.up(i)
}

// removeAt deletes the entry at heap index i, keeping the heap ordered.
// The caller releases the entry's slot.
func (s *Scheduler) removeAt(i int) {
	last := len(s.heap) - 1
	moved := s.heap[last]
	s.heap = s.heap[:last]
	if i == last {
		return
	}
	s.heap[i] = moved
	if i > 0 && less(&moved, &s.heap[(i-1)/2]) {
		s.up(i)
	} else {
		s.down(i)
	}
}

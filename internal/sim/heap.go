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

// flightKey is a collected message's place in its part's arrivals: by
// time, then sender, then the sender's send order, so the order does not
// depend on how the nodes are divided into parts.
type flightKey struct {
	at   int64
	from NodeID
	slot int32
	seq  uint64
}

func (a *flightKey) less(b *flightKey) bool { return cmpFlight(*a, *b) < 0 }

// flightHeap is a binary min-heap of flightKeys: a calendar's keys too
// far ahead for its buckets.
type flightHeap []flightKey

func (h *flightHeap) push(k flightKey) {
	*h = append(*h, k)
	h.up(len(*h)-1, k)
}

// up places k, which belongs at i or above, moving larger parents down.
func (h flightHeap) up(i int, k flightKey) {
	for i > 0 {
		p := (i - 1) / 2
		if !k.less(&h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = k
}

// pop removes and returns the least key, walking the hole at the root
// down to a leaf and filling it with the last key (see popMin).
func (h *flightHeap) pop() flightKey {
	q := *h
	top := q[0]
	last := len(q) - 1
	moved := q[last]
	q = q[:last]
	*h = q
	if last == 0 {
		return top
	}
	i := 0
	for {
		c := 2*i + 1
		if c >= last {
			break
		}
		if r := c + 1; r < last && q[r].less(&q[c]) {
			c = r
		}
		q[i] = q[c]
		i = c
	}
	q.up(i, moved)
	return top
}

package sim

import (
	"fmt"
	"math"
	"time"
)

// A Network runs in windows no longer than its lookahead, the shortest
// time a message takes between two nodes (see the package
// documentation): whatever a node sends during a window reaches its
// receiver's downlink after the window, so the parts run a window's
// events each on its own goroutine, without looking at each other, and
// exchange what they sent at its end. Events that belong to no node (the
// Global scheduler's) run alone, at the start of a window.

// window is what a worker needs to run a part's window: the parity of the
// previous window's outboxes and the window's end.
type window struct {
	prev int
	end  int64
}

// Run runs the network until no event is left, the virtual time passes
// until (events due at until still run) or stop, asked before every
// window and after the global events at its start, returns true. It
// reports whether stop ended the run. Unless stop did, every clock then
// reads until. Run panics if two nodes could be no time apart (a zero
// access latency), and re-raises a panic of any part's event.
func (n *Network[M]) Run(until time.Time, stop func() bool) bool {
	limit := max(int64(until.Sub(n.global.start)), n.global.now)
	starts, done := n.startWorkers()
	defer func() {
		for _, c := range starts {
			close(c)
		}
	}()
	for {
		if stop != nil && stop() {
			n.settle()
			return true
		}
		w := n.nextTime()
		if w > limit {
			break
		}
		prev := n.parity
		n.parity ^= 1
		for _, p := range n.parts {
			p.outMin[n.parity] = math.MaxInt64
		}
		n.runGlobal(w)
		if stop != nil && stop() {
			n.parity = prev // nothing was collected: keep what the global events sent where the next Run looks
			n.mergeOut(prev)
			n.settle()
			return true
		}
		end := n.windowEnd(w, limit)
		n.runParts(starts, done, window{prev: prev, end: end})
	}
	n.advanceAll(limit)
	return false
}

// nextTime returns the earliest time anything is due: a global or part
// event, or the arrival of a message not yet collected.
func (n *Network[M]) nextTime() int64 {
	at := int64(math.MaxInt64)
	if t, ok := n.global.nextAt(); ok {
		at = t
	}
	for _, p := range n.parts {
		at = min(at, p.next(), p.outMin[n.parity])
	}
	return at
}

// runGlobal sets every clock to w and runs the global events due at w,
// including those they schedule for w.
func (n *Network[M]) runGlobal(w int64) {
	n.advanceAll(w)
	for t, ok := n.global.nextAt(); ok && t <= w; t, ok = n.global.nextAt() {
		n.global.Step()
	}
}

// windowEnd returns the end of the window starting at w: one lookahead
// later, or sooner at the next global event or past limit.
func (n *Network[M]) windowEnd(w, limit int64) int64 {
	look := int64(n.Lookahead())
	if look <= 0 {
		panic("sim: two nodes can be no time apart (an access latency of 0): the network cannot run")
	}
	end := min(satAdd(w, look), satAdd(limit, 1))
	if t, ok := n.global.nextAt(); ok {
		end = min(end, t)
	}
	return end
}

// runParts runs one window on every part, on this goroutine and the
// workers', each taking the next part not yet run, and waits for all.
func (n *Network[M]) runParts(starts []chan window, done chan struct{}, win window) {
	n.next.Store(0)
	for _, c := range starts {
		c <- win
	}
	n.runSome(win)
	for range starts {
		<-done
	}
	for _, p := range n.parts {
		if r := p.panicked; r != nil {
			panic(fmt.Sprintf("sim: part %d: %v", p.idx, r))
		}
	}
}

// runSome runs the window on parts not yet taken until none is left,
// recording a part's panic instead of dying with it, so that Run can
// re-raise it on its own goroutine once every worker is done.
func (n *Network[M]) runSome(win window) {
	for i := int(n.next.Add(1)) - 1; i < len(n.parts); i = int(n.next.Add(1)) - 1 {
		p := n.parts[i]
		func() {
			defer func() {
				if r := recover(); r != nil {
					p.panicked = r
				}
			}()
			p.runWindow(win.prev, win.end)
		}()
	}
}

// startWorkers starts the workers beyond this goroutine; each runs the
// windows sent on its channel until it is closed, and reports every
// window's end on done.
func (n *Network[M]) startWorkers() ([]chan window, chan struct{}) {
	workers := n.cfg.Workers
	if workers <= 0 || workers > len(n.parts) {
		workers = len(n.parts)
	}
	var starts []chan window
	done := make(chan struct{}, workers)
	for range workers - 1 {
		c := make(chan window)
		starts = append(starts, c)
		go func() {
			for win := range c {
				n.runSome(win)
				done <- struct{}{}
			}
		}()
	}
	return starts, done
}

// mergeOut moves what was sent into the outboxes of parity q^1 into those
// of parity q.
func (n *Network[M]) mergeOut(q int) {
	for _, p := range n.parts {
		for i, box := range p.out[q^1] {
			p.out[q][i] = append(p.out[q][i], box...)
			clear(box)
			p.out[q^1][i] = box[:0]
		}
		p.outMin[q] = min(p.outMin[q], p.outMin[q^1])
		p.outMin[q^1] = math.MaxInt64
	}
}

// settle sets the global clock to the latest time any part reached.
func (n *Network[M]) settle() {
	for _, p := range n.parts {
		n.global.advance(p.s.now)
	}
}

// advanceAll moves every clock to t.
func (n *Network[M]) advanceAll(t int64) {
	n.global.advance(t)
	for _, p := range n.parts {
		p.s.advance(t)
	}
}

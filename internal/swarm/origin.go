package swarm

import (
	"cmp"
	"slices"
	"time"
)

// Origin retry back-off: a piece whose fetch failed waits originBackoff,
// doubling with each further failure up to originMaxBackoff.
const (
	originBackoff    = 2 * time.Second
	originMaxBackoff = time.Minute
)

// originState tracks the HTTP origin (web seed) fallback.
type originState struct {
	inflight   map[int]bool      // FetchOrigin emitted, no answer yet
	startedAt  map[int]time.Time // when each inflight fetch began
	raced      map[int]bool      // inflight too long: peers may fetch it too
	retryAt    map[int]time.Time // back-off after a failure
	failures   map[int]int
	sourceless []time.Time // per piece: since when no unchoking peer has had it (zero: it has one)
}

func (o *originState) init() {
	o.inflight = make(map[int]bool)
	o.startedAt = make(map[int]time.Time)
	o.raced = make(map[int]bool)
	o.retryAt = make(map[int]time.Time)
	o.failures = make(map[int]int)
}

// originFill emits FetchOrigin for pieces no peer has been able to serve
// for OriginDelay (at once with no peers), priority range first, then
// rarest, then lowest index, up to MaxOriginInflight at a time.
func (e *Engine) originFill(now time.Time) {
	if !e.cfg.Origin || e.manifest == nil || e.have.Full() || e.paused {
		return
	}
	room := e.cfg.MaxOriginInflight - len(e.org.inflight)
	var due []int
	for i := range e.avail {
		if e.have.Has(i) || e.partial[i] != nil || e.org.inflight[i] {
			e.org.sourceless[i] = time.Time{}
			continue
		}
		if e.hasPeerSource(i) {
			e.org.sourceless[i] = time.Time{}
			continue
		}
		if e.org.sourceless[i].IsZero() {
			e.org.sourceless[i] = now
		}
		waited := now.Sub(e.org.sourceless[i]) >= e.cfg.OriginDelay || len(e.peers) == 0
		if waited && !now.Before(e.org.retryAt[i]) {
			due = append(due, i)
		}
	}
	if room <= 0 || len(due) == 0 {
		return
	}
	slices.SortFunc(due, func(a, b int) int {
		if c := cmp.Compare(e.prioRank(a), e.prioRank(b)); c != 0 {
			return c
		}
		if c := cmp.Compare(e.avail[a], e.avail[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	for _, i := range due[:min(room, len(due))] {
		e.org.inflight[i], e.org.startedAt[i] = true, now
		e.emit(FetchOrigin{Index: i})
	}
}

// prioRank is 0 for pieces in the priority range and 1 otherwise.
func (e *Engine) prioRank(i int) int {
	if i >= e.prio[0] && i <= e.prio[1] {
		return 0
	}
	return 1
}

// hasPeerSource reports whether a peer that unchokes us has piece i.
func (e *Engine) hasPeerSource(i int) bool {
	if e.avail[i] == 0 {
		return false
	}
	for _, id := range e.order {
		if p := e.peers[id]; !p.theyChoking && p.bits.Has(i) {
			return true
		}
	}
	return false
}

// OriginData delivers piece index fetched from the origin; it is verified
// like peer data.
func (e *Engine) OriginData(index int, data []byte, now time.Time) {
	if !e.org.inflight[index] {
		e.stats.BytesWasted += int64(len(data))
		return
	}
	e.org.done(index)
	e.stats.BytesFromOrigin += int64(len(data))
	e.down.add(len(data), now)
	if int64(len(data)) != e.pieceLen(index) || e.partial[index] != nil || e.have.Has(index) {
		e.stats.BytesWasted += int64(len(data))
		e.org.failed(index, now)
		return
	}
	pp := &partialPiece{
		index:     index,
		blocks:    [][]byte{data},
		from:      []PeerID{originSource},
		got:       1,
		verifying: true,
		origin:    true,
	}
	e.partial[index] = pp
	e.emit(Verify{Index: index, Blocks: pp.blocks})
}

// OriginFailed reports that fetching piece index from the origin failed; the
// piece is retried after a back-off.
func (e *Engine) OriginFailed(index int, now time.Time) {
	if !e.org.inflight[index] {
		return
	}
	e.org.done(index)
	e.org.failed(index, now)
	e.originFill(now)
}

// done forgets the fetch of piece i, answered or failed.
func (o *originState) done(i int) {
	delete(o.inflight, i)
	delete(o.startedAt, i)
	delete(o.raced, i)
}

// busy reports whether piece i is left to the origin: a fetch is out and
// has not yet taken longer than a peer is given to answer.
func (o *originState) busy(i int) bool { return o.inflight[i] && !o.raced[i] }

// race opens to peers the pieces whose origin fetch has been out for
// timeout: a web seed that hangs must not hold them back. The fetch keeps
// its slot; whichever source completes the piece first wins and the other
// copy counts as waste.
func (o *originState) race(now time.Time, timeout time.Duration) {
	for i, at := range o.startedAt {
		if now.Sub(at) >= timeout {
			o.raced[i] = true
		}
	}
}

// failed schedules a retry of piece i.
func (o *originState) failed(i int, now time.Time) {
	o.failures[i]++
	d := originBackoff << min(o.failures[i]-1, 5)
	o.retryAt[i] = now.Add(min(d, originMaxBackoff))
}

// verified records the outcome of verifying an origin piece.
func (o *originState) verified(i int, ok bool, now time.Time) {
	if ok {
		delete(o.failures, i)
		delete(o.retryAt, i)
		return
	}
	o.failed(i, now)
}

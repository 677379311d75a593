package node

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/shoal-p2p/shoal/internal/gateway"
	"github.com/shoal-p2p/shoal/internal/swarm"
)

// liveView is the viewer's gateway.Stream: a copy of the engine's live
// window that the loop goroutine keeps up to date (segment infos on every
// tick, bytes on SegmentReady, removal on Evicted) and the gateway's HTTP
// handlers read. It never holds more than the engine's window: bytes are
// kept only for segments the last info refresh listed or that became Ready
// since.
type liveView struct {
	mu    sync.Mutex // guards rends and order
	rends map[uint8]*viewRendition
	order []uint8 // renditions in increasing order
}

// viewRendition is one rendition's part of the view.
type viewRendition struct {
	infos []gateway.SegmentInfo // oldest first; Ready is derived from data
	data  map[uint64][]byte     // bytes of Ready segments, immutable once stored
}

var _ gateway.Stream = (*liveView)(nil)

func newLiveView() *liveView { return &liveView{rends: make(map[uint8]*viewRendition)} }

// rendition returns r's state, creating it. v.mu must be held.
func (v *liveView) rendition(r uint8) *viewRendition {
	vr := v.rends[r]
	if vr == nil {
		vr = &viewRendition{data: make(map[uint64][]byte)}
		v.rends[r] = vr
		v.order = append(v.order, r)
		slices.Sort(v.order)
	}
	return vr
}

// setSegments replaces rendition r's segment infos with the engine's and
// drops bytes of segments no longer in the window.
func (v *liveView) setSegments(r uint8, segs []swarm.SegmentState) {
	infos := make([]gateway.SegmentInfo, len(segs))
	in := make(map[uint64]bool, len(segs))
	for i, s := range segs {
		infos[i] = gateway.SegmentInfo{Sequence: s.Sequence, Duration: s.Duration, Time: s.Time, Discontinuity: s.Discontinuity, Size: s.Size, Skipped: s.Skipped}
		in[s.Sequence] = true
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	vr := v.rendition(r)
	vr.infos = infos
	for seq := range vr.data {
		if !in[seq] {
			delete(vr.data, seq)
		}
	}
}

// ready stores the bytes of a segment that became Ready; data must not be
// modified afterwards.
func (v *liveView) ready(r uint8, seq uint64, data []byte) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.rendition(r).data[seq] = data
}

// evict drops a segment that left the engine's window.
func (v *liveView) evict(r uint8, seq uint64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	vr := v.rends[r]
	if vr == nil {
		return
	}
	delete(vr.data, seq)
	vr.infos = slices.DeleteFunc(vr.infos, func(s gateway.SegmentInfo) bool { return s.Sequence == seq })
}

// Renditions implements gateway.Stream. Bandwidth is left to the gateway
// to estimate from the segments.
func (v *liveView) Renditions() []gateway.Rendition {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([]gateway.Rendition, len(v.order))
	for i, r := range v.order {
		out[i] = gateway.Rendition{Index: r}
	}
	return out
}

// Segments implements gateway.Stream.
func (v *liveView) Segments(r uint8) []gateway.SegmentInfo {
	v.mu.Lock()
	defer v.mu.Unlock()
	vr := v.rends[r]
	if vr == nil {
		return nil
	}
	out := slices.Clone(vr.infos)
	for i := range out {
		_, out[i].Ready = vr.data[out[i].Sequence]
	}
	return out
}

// ReadSegment implements gateway.Stream. The bytes are shared, not copied:
// they are never modified once stored.
func (v *liveView) ReadSegment(_ context.Context, r uint8, seq uint64) ([]byte, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if vr := v.rends[r]; vr != nil {
		if b, ok := vr.data[seq]; ok {
			return b, nil
		}
	}
	return nil, fmt.Errorf("%w: segment %d/%d", gateway.ErrNotFound, r, seq)
}

// readyCount returns how many segments the view holds the bytes of.
func (v *liveView) readyCount() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	n := 0
	for _, vr := range v.rends {
		n += len(vr.data)
	}
	return n
}

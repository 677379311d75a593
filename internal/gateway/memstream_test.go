package gateway

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// memStream is an in-memory Stream: renditions, segments and bytes that a
// test scripts.
type memStream struct {
	mu    sync.Mutex // guards the fields below
	rends []Rendition
	segs  map[uint8][]SegmentInfo
	data  map[[2]uint64][]byte
}

var _ Stream = (*memStream)(nil)

func newMemStream(rends ...Rendition) *memStream {
	return &memStream{rends: rends, segs: map[uint8][]SegmentInfo{}, data: map[[2]uint64][]byte{}}
}

func (m *memStream) Renditions() []Rendition {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.rends)
}

func (m *memStream) Segments(r uint8) []SegmentInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.segs[r])
}

func (m *memStream) ReadSegment(_ context.Context, r uint8, seq uint64) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := find(m.segs[r], seq)
	if !ok || !s.Ready {
		return nil, fmt.Errorf("mem: segment %d/%d: %w", r, seq, ErrNotFound)
	}
	return m.data[[2]uint64{uint64(r), seq}], nil
}

// add announces a segment; data != nil makes it Ready.
func (m *memStream) add(r uint8, s SegmentInfo, data []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if data != nil {
		s.Ready, s.Size = true, int64(len(data))
		m.data[[2]uint64{uint64(r), s.Sequence}] = data
	}
	m.segs[r] = append(m.segs[r], s)
}

// ready marks an announced segment Ready with its bytes.
func (m *memStream) ready(r uint8, seq uint64, data []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.segs[r] {
		if m.segs[r][i].Sequence == seq {
			m.segs[r][i].Ready, m.segs[r][i].Size = true, int64(len(data))
			m.data[[2]uint64{uint64(r), seq}] = data
		}
	}
}

// evict drops the segments of r older than seq.
func (m *memStream) evict(r uint8, seq uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.segs[r] = slices.DeleteFunc(m.segs[r], func(s SegmentInfo) bool { return s.Sequence < seq })
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex // guards t
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// epoch is the broadcaster time of segment 0 in the scripted streams.
var epoch = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// at returns epoch + d.
func at(d time.Duration) time.Time { return epoch.Add(d) }

// segAt returns segment seq of a stream of 2 s segments starting at epoch.
func segAt(seq uint64) SegmentInfo {
	return SegmentInfo{Sequence: seq, Duration: 2 * time.Second, Time: at(time.Duration(seq) * 2 * time.Second)}
}

// payload returns distinct bytes for a segment.
func payload(seq uint64) []byte { return fmt.Appendf(nil, "segment-%d", seq) }

package gateway

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// listing summarises a window for comparison.
type listing struct {
	first, last uint64
	n           int
	discSeq     uint64
	discs       []uint64 // sequences carrying EXT-X-DISCONTINUITY
}

func summarize(w *window) listing {
	l := listing{n: len(w.entries), discSeq: w.discSeq}
	if l.n > 0 {
		l.first, l.last = w.entries[0].seq, w.entries[l.n-1].seq
	}
	for _, e := range w.entries {
		if e.disc {
			l.discs = append(l.discs, e.seq)
		}
	}
	return l
}

func equalListing(a, b listing) bool {
	if a.first != b.first || a.last != b.last || a.n != b.n || a.discSeq != b.discSeq || len(a.discs) != len(b.discs) {
		return false
	}
	for i := range a.discs {
		if a.discs[i] != b.discs[i] {
			return false
		}
	}
	return true
}

func TestWindowDelay(t *testing.T) {
	tests := []struct {
		latency time.Duration
		target  int
		want    time.Duration
	}{
		{6 * time.Second, 2, 0},
		{10 * time.Second, 2, 4 * time.Second},
		{6 * time.Second, 1, 3 * time.Second},
		{6 * time.Second, 6, 0}, // cannot go below 3 target durations
		{30 * time.Second, 4, 18 * time.Second},
	}
	for _, tt := range tests {
		w := &window{target: tt.target}
		if got := w.delay(tt.latency); got != tt.want {
			t.Errorf("delay(%v) with target %d: got %v, want %v", tt.latency, tt.target, got, tt.want)
		}
	}
}

// TestWindowScript drives one window through a scripted stream of 2 s
// segments with a 10 s target latency (delay 4 s: segment i is listed from
// epoch + 2i + 6 s).
func TestWindowScript(t *testing.T) {
	const latency = 10 * time.Second
	type step struct {
		name    string
		now     time.Duration
		segs    func() []SegmentInfo
		want    listing
		started bool
		ended   time.Duration // -1: no stall ended
	}
	// run returns segments from..to, with the given ones not ready and
	// flagged as discontinuities.
	run := func(from, to uint64, notReady, disc []uint64) func() []SegmentInfo {
		return func() []SegmentInfo {
			var out []SegmentInfo
			for q := from; q <= to; q++ {
				s := segAt(q)
				s.Ready = !contains(notReady, q)
				s.Discontinuity = contains(disc, q)
				out = append(out, s)
			}
			return out
		}
	}
	steps := []step{
		{"nothing passed", 5 * time.Second, run(0, 3, nil, nil), listing{}, false, -1},
		{"old segments not held are skipped at join", 15 * time.Second, run(0, 8, []uint64{0, 1, 2}, nil), listing{first: 3, last: 4, n: 2}, false, -1},
		{"stops at a segment not ready", 21 * time.Second, run(0, 8, []uint64{0, 1, 2, 6}, nil), listing{first: 3, last: 5, n: 3}, true, -1},
		{"still held back", 23 * time.Second, run(0, 9, []uint64{0, 1, 2, 6}, nil), listing{first: 3, last: 5, n: 3}, false, -1},
		{"ready again", 24 * time.Second, run(0, 9, []uint64{0, 1, 2}, nil), listing{first: 3, last: 9, n: 7}, false, 6 * time.Second},
		{"discontinuity listed", 34 * time.Second, run(0, 14, nil, []uint64{11}), listing{first: 5, last: 14, n: 10, discs: []uint64{11}}, false, -1},
		{"discontinuity slides out", 48 * time.Second, run(0, 21, nil, []uint64{11}), listing{first: 12, last: 21, n: 10, discSeq: 1}, false, -1},
		{"lost segment evicted: gap becomes a discontinuity", 58 * time.Second, run(23, 26, nil, nil), listing{first: 23, last: 26, n: 4, discSeq: 1, discs: []uint64{23}}, false, -1},
		{"never goes back", 60 * time.Second, run(20, 27, nil, nil), listing{first: 23, last: 27, n: 5, discSeq: 1, discs: []uint64{23}}, false, -1},
	}
	w := &window{}
	for _, st := range steps {
		ch := w.update(st.segs(), at(st.now), latency)
		if got := summarize(w); !equalListing(got, st.want) {
			t.Errorf("%s: got %+v, want %+v", st.name, got, st.want)
		}
		if ch.started != st.started {
			t.Errorf("%s: stall started %v, want %v", st.name, ch.started, st.started)
		}
		if gotEnded := ch.ended; gotEnded != (st.ended >= 0) || (gotEnded && ch.stalled != st.ended) {
			t.Errorf("%s: stall ended %v after %v, want ended %v after %v", st.name, ch.ended, ch.stalled, st.ended >= 0, st.ended)
		}
	}
}

func contains(s []uint64, v uint64) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestWindowPassesSkippedSegments: a segment the engine skipped (never
// wanted, or given up at its deadline) does not hold the playlist back as
// one still on its way does; the playlist passes over it, marking the gap
// as a discontinuity, at join and while playing.
func TestWindowPassesSkippedSegments(t *testing.T) {
	const latency = 10 * time.Second // playhead = now − 4 s with 2 s segments
	segs := func(to uint64, skipped, notReady []uint64) []SegmentInfo {
		var out []SegmentInfo
		for q := uint64(0); q <= to; q++ {
			s := segAt(q)
			s.Skipped = contains(skipped, q)
			s.Ready = !s.Skipped && !contains(notReady, q)
			out = append(out, s)
		}
		return out
	}
	steps := []struct {
		name           string
		now            time.Duration
		segs           []SegmentInfo
		want           listing
		started, ended bool
		stalled        time.Duration
	}{
		{"join below a skipped newest segment", 15 * time.Second, segs(8, []uint64{4}, nil), listing{first: 0, last: 3, n: 4}, false, false, 0},
		{"pass over it", 19 * time.Second, segs(8, []uint64{4}, nil), listing{first: 0, last: 6, n: 6, discs: []uint64{5}}, false, false, 0},
		{"a segment on its way still holds it back", 21 * time.Second, segs(8, []uint64{4}, []uint64{7}), listing{first: 0, last: 6, n: 6, discs: []uint64{5}}, true, false, 0},
		{"given up: passed over, the stall ends", 23 * time.Second, segs(9, []uint64{4, 7}, nil), listing{first: 0, last: 8, n: 7, discs: []uint64{5, 8}}, false, true, 3 * time.Second},
	}
	w := &window{}
	for _, st := range steps {
		ch := w.update(st.segs, at(st.now), latency)
		if got := summarize(w); !equalListing(got, st.want) {
			t.Errorf("%s: got %+v, want %+v", st.name, got, st.want)
		}
		if ch.started != st.started || ch.ended != st.ended || ch.stalled != st.stalled {
			t.Errorf("%s: got stall started %t, ended %t after %v; want %t, %t after %v", st.name, ch.started, ch.ended, ch.stalled, st.started, st.ended, st.stalled)
		}
	}
}

// TestWindowNumbersSurviveGaps: across reloads a segment keeps its media
// sequence number while a gap (a skipped segment) passes through the
// listing and out of its front, numbers run on without a hole, and the
// playlist's EXT-X-MEDIA-SEQUENCE is the first entry's number. Numbering
// by sequence gave the segment after the gap one number while the gap was
// listed and another once it had slid out.
func TestWindowNumbersSurviveGaps(t *testing.T) {
	const latency = 10 * time.Second
	const skipped = 5
	w := &window{}
	nums := map[uint64]uint64{} // sequence → media sequence number first served
	crossed := false
	for now := 15 * time.Second; now <= 60*time.Second; now += 2 * time.Second {
		var segs []SegmentInfo
		for q := uint64(0); q <= uint64(now/(2*time.Second)); q++ {
			s := segAt(q)
			s.Skipped = q == skipped
			s.Ready = !s.Skipped
			segs = append(segs, s)
		}
		w.update(segs, at(now), latency)
		for i, e := range w.entries {
			if i > 0 && e.num != w.entries[i-1].num+1 {
				t.Fatalf("at %v: entry %d (seq %d) numbered %d after %d", now, i, e.seq, e.num, w.entries[i-1].num)
			}
			if n, ok := nums[e.seq]; ok && n != e.num {
				t.Fatalf("at %v: segment %d renumbered from %d to %d", now, e.seq, n, e.num)
			}
			nums[e.seq] = e.num
		}
		if len(w.entries) == 0 {
			continue
		}
		crossed = crossed || w.entries[0].seq > skipped
		body := string(marshalMedia(w.snapshot()))
		if want := fmt.Sprintf("#EXT-X-MEDIA-SEQUENCE:%d\n", w.entries[0].num); !strings.Contains(body, want) {
			t.Fatalf("at %v: playlist lacks %q:\n%s", now, want, body)
		}
	}
	if _, listed := nums[skipped+1]; !listed || !crossed {
		t.Fatal("the script did not list the segment after the gap and slide the gap out")
	}
}

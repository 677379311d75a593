package node

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shoal-p2p/shoal/internal/live"
)

// seqSeg is a source segment for sequencer tests: its bytes and date-time
// follow from its number and the run it belongs to.
func seqSeg(run string, src uint64) live.Segment {
	return live.Segment{
		Sequence:        src,
		Data:            []byte(fmt.Sprintf("%s-%d", run, src)),
		ProgramDateTime: time.UnixMilli(int64(src) * 2000),
		Duration:        2 * time.Second,
	}
}

// assigned is what assign made of one segment: its number, whether it
// was a discontinuity, or -1 when it was skipped.
type assigned struct {
	seq  int64
	disc bool
}

func runSequencer(t *testing.T, path string, segs []live.Segment) []assigned {
	t.Helper()
	s, err := loadSequencer(path)
	if err != nil {
		t.Fatalf("loadSequencer: %v", err)
	}
	var out []assigned
	for _, seg := range segs {
		ok, err := s.assign(&seg)
		if err != nil {
			t.Fatalf("assign: %v", err)
		}
		if !ok {
			out = append(out, assigned{seq: -1})
			continue
		}
		out = append(out, assigned{int64(seg.Sequence), seg.Discontinuity})
	}
	return out
}

func TestSequencerAcrossRestarts(t *testing.T) {
	clip := func(from, to uint64) []live.Segment { // the same stream, src from..to
		var out []live.Segment
		for i := from; i <= to; i++ {
			out = append(out, seqSeg("a", i))
		}
		return out
	}
	replayed := []live.Segment{seqSeg("b", 0), seqSeg("b", 1)} // the clip again from 0, at other moments
	replayed[0].ProgramDateTime = replayed[0].ProgramDateTime.Add(time.Hour)
	replayed[1].ProgramDateTime = replayed[1].ProgramDateTime.Add(time.Hour)
	later := seqSeg("b", 2)
	later.ProgramDateTime = later.ProgramDateTime.Add(time.Hour)
	tests := []struct {
		name string
		runs [][]live.Segment
		want [][]assigned
	}{
		{"fresh channel keeps the source numbers", [][]live.Segment{clip(5, 7)},
			[][]assigned{{{5, false}, {6, false}, {7, false}}}},
		{"source restarted from 0", [][]live.Segment{clip(0, 2), replayed},
			[][]assigned{{{0, false}, {1, false}, {2, false}}, {{3, true}, {4, false}}}},
		{"encoder kept running: its backlog is skipped", [][]live.Segment{clip(100, 105), clip(103, 107)},
			[][]assigned{
				{{100, false}, {101, false}, {102, false}, {103, false}, {104, false}, {105, false}},
				{{-1, false}, {-1, false}, {-1, false}, {106, false}, {107, false}},
			}},
		{"encoder restarted, later shoal", [][]live.Segment{clip(10, 11), replayed, {replayed[1], later}},
			[][]assigned{{{10, false}, {11, false}}, {{12, true}, {13, false}}, {{-1, false}, {14, false}}}},
		{"restarted long after: no segment recognised", [][]live.Segment{clip(0, 1), clip(40, 41)},
			[][]assigned{{{0, false}, {1, false}}, {{2, true}, {3, false}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "live.seq")
			for i, run := range tt.runs {
				got := runSequencer(t, path, run)
				if fmt.Sprint(got) != fmt.Sprint(tt.want[i]) {
					t.Errorf("run %d: got %v, want %v", i, got, tt.want[i])
				}
			}
		})
	}
}

func TestSequencerRenditionsAreIndependent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "live.seq")
	a, b := seqSeg("a", 0), seqSeg("a", 0)
	b.Rendition = 1
	runSequencer(t, path, []live.Segment{a, seqSeg("a", 1), b})
	a2, b2 := seqSeg("c", 0), seqSeg("c", 0)
	b2.Rendition = 1
	got := runSequencer(t, path, []live.Segment{a2, b2})
	if want := []assigned{{2, true}, {1, true}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestSequencerBadState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "live.seq")
	if err := os.WriteFile(path, []byte(`{"renditions": [{"next": "x"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadSequencer(path); err == nil {
		t.Fatal("loadSequencer accepted a malformed state file")
	}
	s, err := loadSequencer("") // keeps nothing, still numbers
	if err != nil {
		t.Fatal(err)
	}
	seg := seqSeg("a", 3)
	if ok, err := s.assign(&seg); !ok || err != nil || seg.Sequence != 3 {
		t.Errorf("got %v, %v, sequence %d; want true, nil, 3", ok, err, seg.Sequence)
	}
}

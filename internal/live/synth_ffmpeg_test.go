package live

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSynthFFmpeg hands 3 loops of the synthetic stream, concatenated as
// a player reads them, to ffmpeg and ffprobe: decoding must raise no
// warning (a continuity counter or timestamp problem would), and each
// stream's timestamps must be evenly spaced across the loop boundaries,
// with no gap, overlap or step back.
func TestSynthFFmpeg(t *testing.T) {
	ffmpeg, err1 := exec.LookPath("ffmpeg")
	ffprobe, err2 := exec.LookPath("ffprobe")
	if err1 != nil || err2 != nil {
		t.Skip("ffmpeg or ffprobe not installed")
	}
	const segments = 12 // whole loops: audio frames straddle segment boundaries
	h := newHarness(t)
	src, err := NewSynthSource(SynthConfig{Backlog: segments, Logger: h.logger(), Now: h.clk.Now, After: h.clk.After})
	if err != nil {
		t.Fatal(err)
	}
	h.start(src)
	var stream []byte
	for range segments {
		stream = append(stream, h.next().Data...)
	}
	h.idle()
	file := filepath.Join(t.TempDir(), "stream.ts")
	if err := os.WriteFile(file, stream, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	out, err := exec.CommandContext(ctx, ffmpeg, "-nostdin", "-v", "warning", "-i", file, "-f", "null", "-").CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("ffmpeg decode: got error %v and output %q, want neither", err, out)
	}
	out, err = exec.CommandContext(ctx, ffprobe, "-v", "error", "-show_entries", "packet=stream_index,pts,dts", "-of", "csv=p=0", file).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	checkProbedTimestamps(t, string(out), segments*SynthSegmentDuration)
}

// checkProbedTimestamps checks ffprobe's "stream_index,pts,dts" lines: per
// stream, DTS strictly increasing, and PTS in presentation order a run of
// equal steps spanning total.
func checkProbedTimestamps(t *testing.T, csv string, total time.Duration) {
	t.Helper()
	pts, dts := map[string][]int64{}, map[string][]int64{}
	for _, line := range strings.Fields(csv) {
		f := strings.Split(line, ",")
		if len(f) < 3 {
			t.Fatalf("ffprobe line %q, want stream_index,pts,dts", line)
		}
		p, err1 := strconv.ParseInt(f[1], 10, 64)
		d, err2 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("ffprobe line %q: timestamps not integers", line)
		}
		if prev := dts[f[0]]; len(prev) > 0 && d <= prev[len(prev)-1] {
			t.Errorf("stream %s: got DTS %d after %d, want strictly increasing", f[0], d, prev[len(prev)-1])
		}
		pts[f[0]], dts[f[0]] = append(pts[f[0]], p), append(dts[f[0]], d)
	}
	if len(pts) != 2 {
		t.Fatalf("got %d streams, want video and audio", len(pts))
	}
	for stream, ps := range pts {
		slices.Sort(ps)
		step := ps[1] - ps[0]
		for i := 1; i < len(ps); i++ {
			if ps[i]-ps[i-1] != step {
				t.Fatalf("stream %s: got PTS %d after %d, want a step of %d (no gap, overlap or jump)", stream, ps[i], ps[i-1], step)
			}
		}
		if got := time.Duration(int64(len(ps))*step) * time.Second / 90000; got != total {
			t.Errorf("stream %s: got %v of media, want %v", stream, got, total)
		}
	}
}

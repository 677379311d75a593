package gateway

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/bluenviron/gohlslib/v2/pkg/playlist"
)

// TestFFmpegPlays serves real MPEG-TS segments made by ffmpeg through the
// gateway and has ffmpeg play the live stream from the master playlist, as
// a viewer's player would.
func TestFFmpegPlays(t *testing.T) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	encode := exec.CommandContext(ctx, ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error",
		"-f", "lavfi", "-i", "testsrc=size=320x180:rate=30",
		"-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000", "-t", "8",
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "60", "-keyint_min", "60", "-sc_threshold", "0",
		"-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k",
		"-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod",
		"-hls_segment_filename", filepath.Join(dir, "seg_%05d.ts"), filepath.Join(dir, "index.m3u8"))
	if out, err := encode.CombinedOutput(); err != nil {
		t.Fatalf("encode: %v\n%s", err, out)
	}
	f := newFixture(t, 0, Rendition{Index: 0, Bandwidth: 600_000, Resolution: "320x180", Codecs: "avc1.42c00d,mp4a.40.2"})
	end := loadSegments(t, dir, f.stream)
	f.clock.set(end) // every segment has passed the playhead (delay 0)

	srv := newHTTPServer(t, f.s)
	var stderr bytes.Buffer
	play := exec.CommandContext(ctx, ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error",
		"-i", srv+"/live/master.m3u8", "-t", "3", "-f", "null", "-")
	play.Stderr = &stderr
	if err := play.Run(); err != nil {
		t.Fatalf("ffmpeg play: %v\n%s", err, stderr.String())
	}
	if stderr.Len() != 0 {
		t.Errorf("ffmpeg play: got errors\n%s", stderr.String())
	}
	if st := f.s.Stats(); st.SegmentsServed < 2 {
		t.Errorf("got %d segments served, want at least 2", st.SegmentsServed)
	}
}

// loadSegments announces the segments of the HLS package in dir as Ready
// segments 100, 101, ... of rendition 0, and returns the end of the last.
func loadSegments(t *testing.T, dir string, m *memStream) time.Time {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "index.m3u8"))
	if err != nil {
		t.Fatal(err)
	}
	pl, err := playlist.Unmarshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	start := epoch
	for i, s := range pl.(*playlist.Media).Segments {
		data, err := os.ReadFile(filepath.Join(dir, s.URI))
		if err != nil {
			t.Fatal(err)
		}
		m.add(0, SegmentInfo{Sequence: 100 + uint64(i), Duration: s.Duration, Time: start}, data)
		start = start.Add(s.Duration)
	}
	return start
}

package live

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

// TestDirSourceFFmpeg encodes a real 4 s stream to HLS with ffmpeg, using the
// flags of a live encoder, and checks that the source emits every segment
// once, in order, with the bytes on disk.
func TestDirSourceFFmpeg(t *testing.T) {
	bin, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not installed")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m := ffmpegEncode(ctx, t, bin, dir)

	src, err := NewDirSource(DirConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan Segment, len(m.Segments)+1)
	if err := src.Run(ctx, out); err != nil {
		t.Fatalf("got Run error %v, want nil after ENDLIST", err)
	}
	close(out)
	var got []Segment
	for s := range out {
		got = append(got, s)
	}
	checkFFmpegSegments(t, dir, m, got)
}

// ffmpegEncode writes a 4 s test stream as HLS into dir with 1 s segments
// and returns the playlist ffmpeg wrote.
func ffmpegEncode(ctx context.Context, t *testing.T, bin, dir string) *playlist.Media {
	t.Helper()
	cmd := exec.CommandContext(ctx, bin, "-hide_banner", "-nostdin", "-loglevel", "warning",
		"-f", "lavfi", "-i", "testsrc=size=320x180:rate=30",
		"-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000", "-t", "4",
		"-c:v", "libx264", "-preset", "veryfast", "-g", "30", "-keyint_min", "30", "-sc_threshold", "0",
		"-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k",
		"-f", "hls", "-hls_time", "1", "-hls_list_size", "0",
		"-hls_flags", "independent_segments+program_date_time",
		"-hls_segment_filename", filepath.Join(dir, "seg_%05d.ts"), filepath.Join(dir, "index.m3u8"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}

	raw, err := os.ReadFile(filepath.Join(dir, "index.m3u8"))
	if err != nil {
		t.Fatal(err)
	}
	var m playlist.Media
	if err := m.Unmarshal(raw); err != nil {
		t.Fatalf("ffmpeg playlist: %v", err)
	}
	if len(m.Segments) < 3 || !m.Endlist {
		t.Fatalf("got %d segments, endlist %v from ffmpeg, want at least 3 and an ENDLIST", len(m.Segments), m.Endlist)
	}
	return &m
}

// checkFFmpegSegments compares emitted segments with the playlist and files.
func checkFFmpegSegments(t *testing.T, dir string, m *playlist.Media, got []Segment) {
	t.Helper()
	if len(got) != len(m.Segments) {
		t.Fatalf("got %d segments, want %d", len(got), len(m.Segments))
	}
	var total time.Duration
	for i, s := range got {
		want, err := os.ReadFile(filepath.Join(dir, m.Segments[i].URI))
		if err != nil {
			t.Fatal(err)
		}
		if s.Sequence != uint64(m.MediaSequence+i) || s.URI != m.Segments[i].URI {
			t.Errorf("segment %d: got sequence %d uri %s, want %d %s", i, s.Sequence, s.URI, m.MediaSequence+i, m.Segments[i].URI)
		}
		if !bytes.Equal(s.Data, want) || len(want) == 0 || want[0] != 0x47 {
			t.Errorf("segment %d: got %d bytes, want the %d bytes of MPEG-TS on disk", i, len(s.Data), len(want))
		}
		if m.Segments[i].DateTime == nil || !s.ProgramDateTime.Equal(*m.Segments[i].DateTime) {
			t.Errorf("segment %d: got program date time %v, want the playlist's", i, s.ProgramDateTime)
		}
		if _, err := NewAnnouncement(ChannelID(nil, "ffmpeg"), s, 64<<10); err != nil {
			t.Errorf("segment %d: NewAnnouncement: %v", i, err)
		}
		total += s.Duration
	}
	if total < 3900*time.Millisecond || total > 4100*time.Millisecond {
		t.Errorf("got %v of segments, want about 4s", total)
	}
}

package live

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func newDirHarness(t *testing.T, cfg DirConfig) *harness {
	t.Helper()
	h := newHarness(t)
	cfg.Now, cfg.After, cfg.Logger = h.clk.Now, h.clk.After, h.logger()
	src, err := NewDirSource(cfg)
	if err != nil {
		t.Fatalf("NewDirSource: %v", err)
	}
	h.start(src)
	return h
}

func TestDirSourceFollowsLivePlaylist(t *testing.T) {
	dir := t.TempDir()
	pl := filepath.Join(dir, "index.m3u8")
	writeSegments(t, dir, 0, segs(0, 1)...)
	writeFile(t, pl, mediaPlaylist(2, false, segs(0, 1)...))

	h := newDirHarness(t, DirConfig{Dir: dir})
	start := h.clk.Now()
	got := h.expect(0, 0, 1)
	for _, s := range got {
		if !s.ProgramDateTime.Equal(start) {
			t.Errorf("sequence %d: got program date time %v, want the discovery clock %v", s.Sequence, s.ProgramDateTime, start)
		}
		if s.Duration != 2*time.Second || s.URI != segName(s.Sequence) {
			t.Errorf("sequence %d: got duration %v uri %q, want 2s %q", s.Sequence, s.Duration, s.URI, segName(s.Sequence))
		}
	}
	if d := h.idle(); d != time.Second {
		t.Fatalf("got poll interval %v, want half the target duration, 1s", d)
	}

	// Nothing new: the poll emits nothing.
	h.fire()
	h.idle()

	// The encoder adds two segments (one after a discontinuity, with a
	// program date time) and deletes the oldest.
	pdt := "2026-03-01T12:00:04.000Z"
	entries := []seg{{seq: 1}, {seq: 2, disc: true, pdt: pdt}, {seq: 3, dur: "1.500"}}
	writeSegments(t, dir, 0, entries...)
	writeFile(t, pl, mediaPlaylist(2, false, entries...))
	os.Remove(filepath.Join(dir, segName(0)))
	h.fire()
	got = h.expect(0, 2, 3)
	wantPDT := time.Date(2026, 3, 1, 12, 0, 4, 0, time.UTC)
	if !got[0].Discontinuity || got[1].Discontinuity {
		t.Errorf("got discontinuity %v, %v, want true, false", got[0].Discontinuity, got[1].Discontinuity)
	}
	if !got[0].ProgramDateTime.Equal(wantPDT) || !got[1].ProgramDateTime.Equal(wantPDT.Add(2*time.Second)) {
		t.Errorf("got program date times %v, %v, want %v and 2s later", got[0].ProgramDateTime, got[1].ProgramDateTime, wantPDT)
	}
	if got[1].Duration != 1500*time.Millisecond {
		t.Errorf("got duration %v, want 1.5s", got[1].Duration)
	}

	// ENDLIST: the last segment is emitted, then Run returns nil.
	entries = append(entries[1:], seg{seq: 4})
	writeSegments(t, dir, 0, entries...)
	writeFile(t, pl, mediaPlaylist(2, true, entries...))
	h.fire()
	h.expect(0, 4)
	if err := h.result(); err != nil {
		t.Fatalf("got Run error %v, want nil after ENDLIST", err)
	}
	if h.logged("level=WARN") {
		t.Errorf("got warnings on a clean stream:\n%s", h.log)
	}
}

func TestDirSourceEndedAtStart(t *testing.T) {
	dir := t.TempDir()
	writeSegments(t, dir, 0, segs(7, 9)...)
	writeFile(t, filepath.Join(dir, "live.m3u8"), mediaPlaylist(4, true, segs(7, 9)...))
	h := newDirHarness(t, DirConfig{Dir: dir, Playlist: "live.m3u8"})
	h.expect(0, 7, 8, 9)
	if err := h.result(); err != nil {
		t.Fatalf("got Run error %v, want nil", err)
	}
}

func TestDirSourceEmptyPlaylistAtStart(t *testing.T) {
	dir := t.TempDir()
	pl := filepath.Join(dir, "index.m3u8")
	writeFile(t, pl, "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n")
	h := newDirHarness(t, DirConfig{Dir: dir})
	h.idle()
	h.fire()
	h.idle()
	writeSegments(t, dir, 0, segs(0, 0)...)
	writeFile(t, pl, mediaPlaylist(2, false, segs(0, 0)...))
	h.fire()
	h.expect(0, 0)
	h.idle()
}

func TestDirSourceBacklog(t *testing.T) {
	dir := t.TempDir()
	writeSegments(t, dir, 0, segs(0, 4)...)
	writeFile(t, filepath.Join(dir, "index.m3u8"), mediaPlaylist(2, true, segs(0, 4)...))
	h := newDirHarness(t, DirConfig{Dir: dir, Backlog: 2})
	h.expect(0, 3, 4)
	if err := h.result(); err != nil {
		t.Fatalf("got Run error %v, want nil", err)
	}
}

func TestDirSourceMasterPlaylist(t *testing.T) {
	dir := t.TempDir()
	master := "#EXTM3U\n#EXT-X-VERSION:3\n" +
		"#EXT-X-STREAM-INF:BANDWIDTH=2000000,CODECS=\"avc1.64001f,mp4a.40.2\"\nhigh/index.m3u8\n" +
		"#EXT-X-STREAM-INF:BANDWIDTH=500000,CODECS=\"avc1.64001f,mp4a.40.2\"\nlow/index.m3u8\n"
	writeFile(t, filepath.Join(dir, "master.m3u8"), master)
	for r, sub := range []string{"high", "low"} {
		writeSegments(t, filepath.Join(dir, sub), uint8(r), segs(0, 0)...)
		writeFile(t, filepath.Join(dir, sub, "index.m3u8"), mediaPlaylist(2, false, segs(0, 0)...))
	}
	h := newDirHarness(t, DirConfig{Dir: dir, Playlist: "master.m3u8"})
	h.expect(0, 0)
	h.expect(1, 0)
	h.idle()

	for r, sub := range []string{"high", "low"} {
		writeSegments(t, filepath.Join(dir, sub), uint8(r), segs(1, 2)...)
		writeFile(t, filepath.Join(dir, sub, "index.m3u8"), mediaPlaylist(2, true, segs(0, 2)...))
	}
	h.fire()
	h.expect(0, 1, 2)
	h.expect(1, 1, 2)
	if err := h.result(); err != nil {
		t.Fatalf("got Run error %v, want nil after ENDLIST on both renditions", err)
	}
}

func TestDirSourceStalled(t *testing.T) {
	dir := t.TempDir()
	writeSegments(t, dir, 0, segs(0, 0)...)
	writeFile(t, filepath.Join(dir, "index.m3u8"), mediaPlaylist(2, false, segs(0, 0)...))
	h := newDirHarness(t, DirConfig{Dir: dir})
	start := h.clk.Now()
	h.expect(0, 0)
	// Polls every second; 3×2 s without a new segment is still fine, the
	// poll after that fails.
	for range 6 {
		h.fire()
		h.idle()
	}
	h.fire()
	err := h.result()
	if !errors.Is(err, ErrStalled) {
		t.Fatalf("got Run error %v, want ErrStalled", err)
	}
	if idle := h.clk.Now().Sub(start); idle != 7*time.Second {
		t.Errorf("got stall reported after %v, want 7s", idle)
	}
}

func TestDirSourceGapAndMissingSegment(t *testing.T) {
	dir := t.TempDir()
	pl := filepath.Join(dir, "index.m3u8")
	writeSegments(t, dir, 0, segs(0, 1)...)
	writeFile(t, pl, mediaPlaylist(2, false, segs(0, 1)...))
	h := newDirHarness(t, DirConfig{Dir: dir})
	h.expect(0, 0, 1)
	h.idle()

	// 2..4 left the window before the next poll, and 6 is listed but its
	// file is already gone.
	writeSegments(t, dir, 0, seg{seq: 5}, seg{seq: 7})
	writeFile(t, pl, mediaPlaylist(2, false, segs(5, 7)...))
	h.fire()
	h.expect(0, 5, 7)
	h.idle()
	for _, want := range []string{"segments left the playlist", "missed=3", "segment left before it could be read"} {
		if !h.logged(want) {
			t.Errorf("got log without %q:\n%s", want, h.log)
		}
	}
}

func TestDirSourceSegmentChangedAfterEmission(t *testing.T) {
	dir := t.TempDir()
	pl := filepath.Join(dir, "index.m3u8")
	writeSegments(t, dir, 0, segs(0, 0)...)
	writeFile(t, pl, mediaPlaylist(2, false, segs(0, 0)...))
	h := newDirHarness(t, DirConfig{Dir: dir})
	h.expect(0, 0)
	h.idle()

	writeFile(t, filepath.Join(dir, segName(0)), "rewritten")
	h.fire()
	h.idle() // not emitted again
	if !h.logged("segment changed after it was emitted") {
		t.Errorf("got no change warning:\n%s", h.log)
	}
}

func TestDirSourceEncoderRestart(t *testing.T) {
	dir := t.TempDir()
	pl := filepath.Join(dir, "index.m3u8")
	before := []seg{{seq: 2, uri: "a.ts"}, {seq: 3, uri: "b.ts"}}
	writeSegments(t, dir, 0, before...)
	writeFile(t, pl, mediaPlaylist(2, false, before...))
	h := newDirHarness(t, DirConfig{Dir: dir})
	h.expect(0, 2, 3)
	h.idle()

	// The encoder restarts: numbering starts again at 0 and file names are
	// reused with new content.
	writeFile(t, filepath.Join(dir, "a.ts"), "new stream, first segment")
	writeFile(t, pl, mediaPlaylist(2, false, seg{seq: 0, uri: "a.ts"}))
	h.fire()
	s := h.next()
	if s.Sequence != 4 || !s.Discontinuity || string(s.Data) != "new stream, first segment" {
		t.Fatalf("got sequence %d discontinuity %v data %q, want 4 true and the new bytes", s.Sequence, s.Discontinuity, s.Data)
	}
	h.idle()
	for _, want := range []string{"assuming an encoder restart", "segment URI reused with different content"} {
		if !h.logged(want) {
			t.Errorf("got log without %q:\n%s", want, h.log)
		}
	}
	// The new numbering continues from there.
	writeFile(t, filepath.Join(dir, "c.ts"), "second")
	writeFile(t, pl, mediaPlaylist(2, false, seg{seq: 0, uri: "a.ts"}, seg{seq: 1, uri: "c.ts"}))
	h.fire()
	if s := h.next(); s.Sequence != 5 || s.Discontinuity {
		t.Fatalf("got sequence %d discontinuity %v, want 5 false", s.Sequence, s.Discontinuity)
	}
	h.idle()
}

func TestDirSourceStartErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "master.m3u8"), "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS=\"avc1.64001f\"\nmissing/index.m3u8\n")
	writeFile(t, filepath.Join(dir, "fmp4.m3u8"), "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:2,\nseg.mp4\n")
	writeFile(t, filepath.Join(dir, "garbage.m3u8"), "not a playlist\n#EXTINF:x\nseg.ts\n")
	tests := []struct {
		name string
		cfg  DirConfig
		want error
	}{
		{"no playlist", DirConfig{Dir: dir}, ErrNoPlaylist},
		{"no folder", DirConfig{Dir: filepath.Join(dir, "nope")}, ErrNoPlaylist},
		{"variant missing", DirConfig{Dir: dir, Playlist: "master.m3u8"}, ErrNoPlaylist},
		{"fmp4", DirConfig{Dir: dir, Playlist: "fmp4.m3u8"}, ErrUnsupported},
		{"garbage", DirConfig{Dir: dir, Playlist: "garbage.m3u8"}, ErrBadPlaylist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newDirHarness(t, tt.cfg)
			if err := h.result(); !errors.Is(err, tt.want) {
				t.Fatalf("got Run error %v, want %v", err, tt.want)
			}
		})
	}
}

func TestNewDirSourceRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  DirConfig
	}{
		{"no dir", DirConfig{}},
		{"playlist outside", DirConfig{Dir: ".", Playlist: "../x.m3u8"}},
		{"absolute playlist", DirConfig{Dir: ".", Playlist: "/x.m3u8"}},
		{"negative backlog", DirConfig{Dir: ".", Backlog: -1}},
		{"segment limit too big", DirConfig{Dir: ".", MaxSegmentSize: MaxSegmentSize + 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewDirSource(tt.cfg); err == nil {
				t.Fatalf("got no error for %+v, want one", tt.cfg)
			}
		})
	}
}

func TestDirFetcherResolve(t *testing.T) {
	tests := []struct {
		base, uri, want string
		ok              bool
	}{
		{"index.m3u8", "seg_1.ts", "seg_1.ts", true},
		{"high/index.m3u8", "seg_1.ts", "high/seg_1.ts", true},
		{"high/index.m3u8", "../low/seg_1.ts", "low/seg_1.ts", true},
		{"index.m3u8", "a%20b.ts", "a b.ts", true},
		{"index.m3u8", "../seg_1.ts", "", false},
		{"index.m3u8", "/etc/passwd", "", false},
		{"index.m3u8", "http://cdn.example/seg_1.ts", "", false},
	}
	for _, tt := range tests {
		got, err := dirFetcher{}.resolve(tt.base, tt.uri)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("resolve(%q, %q) = %q, %v; want %q, ok %v", tt.base, tt.uri, got, err, tt.want, tt.ok)
		}
	}
}

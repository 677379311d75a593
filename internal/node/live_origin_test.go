package node

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/shoal-p2p/shoal/internal/live"
)

// signedSegment returns the signed announcement encoding of a small
// segment of rendition r and sequence seq, and its bytes.
func signedSegment(t *testing.T, priv ed25519.PrivateKey, r uint8, seq uint64) ([]byte, []byte) {
	t.Helper()
	data := make([]byte, 3000+int(seq))
	for i := range data {
		data[i] = byte(seq) + byte(i)
	}
	seg := live.Segment{Rendition: r, Sequence: seq, Duration: time.Second, Data: data, ProgramDateTime: time.Unix(1700000000+int64(seq), 0)}
	a, err := live.NewAnnouncement(live.ChannelID(priv.Public().(ed25519.PublicKey), "o"), seg, live.MinChunkSize)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Sign(priv); err != nil {
		t.Fatal(err)
	}
	return a.Append(nil), data
}

func TestOriginStoreServes(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(nil)
	o := newOriginStore(30)
	for seq := range uint64(35) {
		for r := range uint8(2) {
			raw, data := signedSegment(t, priv, r, seq)
			o.add(r, seq, raw, data)
		}
	}
	srv := httptest.NewServer(o)
	defer srv.Close()
	announce := func(q string) announceResponse {
		t.Helper()
		code, body := get(t, srv.URL+originAnnouncePath+q)
		var resp announceResponse
		if code != http.StatusOK || json.Unmarshal(body, &resp) != nil {
			t.Fatalf("announce%s: %d %s", q, code, body)
		}
		return resp
	}
	tests := []struct {
		query     string
		want      int
		firstSeq  uint64
		firstRend uint8
	}{
		{"", 2 * announceLatest, 35 - announceLatest, 0},
		{"?r=1", announceLatest, 35 - announceLatest, 1},
		{"?r=1&after=30", 4, 31, 1},
		{"?after=0", 2 * 30, 5, 0}, // the window: sequences 5..34
		{"?r=0&after=34", 0, 0, 0},
	}
	for _, tc := range tests {
		resp := announce(tc.query)
		if len(resp.Renditions) != 2 || len(resp.Announcements) != tc.want {
			t.Errorf("announce%s: %d renditions, %d announcements; want 2, %d", tc.query, len(resp.Renditions), len(resp.Announcements), tc.want)
			continue
		}
		if tc.want > 0 {
			a, err := live.ParseAnnouncement(resp.Announcements[0])
			if err != nil || a.Sequence != tc.firstSeq || a.Rendition != tc.firstRend {
				t.Errorf("announce%s: first is %d/%d (%v), want %d/%d", tc.query, a.Rendition, a.Sequence, err, tc.firstRend, tc.firstSeq)
			}
		}
	}
	for _, tc := range []struct {
		path string
		code int
	}{
		{"/live/1/34.ts", http.StatusOK},
		{"/live/1/4.ts", http.StatusNotFound}, // evicted
		{"/live/2/34.ts", http.StatusNotFound},
		{"/live/x/1.ts", http.StatusNotFound},
		{"/live/announce?r=300", http.StatusBadRequest},
	} {
		if code, _ := get(t, srv.URL+tc.path); code != tc.code {
			t.Errorf("GET %s: status %d, want %d", tc.path, code, tc.code)
		}
	}
	if o.servedBytes() != 3000+34 {
		t.Errorf("origin served %d bytes, want %d", o.servedBytes(), 3000+34)
	}
}

func TestPollerFollowsEveryRendition(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(nil)
	o := newOriginStore(30)
	add := func(r uint8, seq uint64) {
		raw, data := signedSegment(t, priv, r, seq)
		o.add(r, seq, raw, data)
	}
	srv := httptest.NewServer(o)
	defer srv.Close()
	p := newPoller([]string{srv.URL}, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	// poll polls, then lets the cursors catch up as the loop would after
	// the engine accepted every announcement.
	poll := func() [][]byte {
		raws := p.poll(ctx)
		for _, raw := range raws {
			a, err := live.ParseAnnouncement(raw)
			if err != nil {
				t.Fatal(err)
			}
			p.catchUp([]rendSeq{{a.Rendition, a.Sequence}})
		}
		return raws
	}
	add(0, 0)
	if got := len(poll()); got != 1 {
		t.Fatalf("first poll: %d announcements, want 1", got)
	}
	add(0, 1)
	add(1, 0) // a rendition that appears later
	add(1, 1)
	seen := len(poll()) // rendition 0 after 0, and notices rendition 1
	seen += len(poll()) // everything recent again, rendition 1 included
	if p.cursor[0] != 1 || p.cursor[1] != 1 {
		t.Fatalf("cursors %v after %d announcements, want both renditions at 1", p.cursor, seen)
	}
	add(1, 2)
	if got := poll(); len(got) != 1 {
		t.Fatalf("poll after one new segment: %d announcements, want 1", len(got))
	}
	if p.interval != 500*time.Millisecond {
		t.Fatalf("poll interval %v, want half a segment", p.interval)
	}
}

// TestLiveFromFFmpeg broadcasts what ffmpeg writes into an HLS folder, as
// an encoder would, to a viewer that must get the same bytes.
func TestLiveFromFFmpeg(t *testing.T) {
	bin, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not installed")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	ff := exec.CommandContext(ctx, bin, "-v", "error", "-re", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25",
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-f", "hls", "-hls_time", "1", "-hls_list_size", "6",
		filepath.Join(dir, "index.m3u8"))
	if err := ff.Start(); err != nil {
		t.Skipf("ffmpeg: %v", err)
	}
	t.Cleanup(func() { cancel(); ff.Wait() })
	waitFor(t, "ffmpeg's playlist", func() bool { _, err := os.Stat(filepath.Join(dir, "index.m3u8")); return err == nil })
	src, err := live.NewDirSource(live.DirConfig{Dir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, _ := ed25519.GenerateKey(nil)
	b := start(t, Config{Live: &LiveConfig{Name: liveName, Key: pub, Signer: priv, Source: src}})
	s := &liveSwarm{pub: pub, b: b, origin: "http://" + b.HTTPAddr().String()}
	v := s.addViewer(t, pub, nil)
	waitFor(t, "two published segments", func() bool { return b.LiveStats().Published >= 2 })
	next := uint64(b.LiveStats().Published) // ffmpeg numbers from 0
	waitFor(t, fmt.Sprintf("segment %d at the viewer", next), func() bool { return hasSegment(t, v, next) })
	s.sameSegments(t, v, next)
}

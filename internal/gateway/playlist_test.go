package gateway

import (
	"net/http"
	"testing"
	"time"

	"github.com/bluenviron/gohlslib/v2/pkg/playlist"
)

func TestMasterPlaylist(t *testing.T) {
	tests := []struct {
		name   string
		rends  []Rendition
		golden string
	}{
		{"two renditions, one estimated", []Rendition{
			{Index: 0, Bandwidth: 2_500_000, Resolution: "1280x720", Codecs: "avc1.64001f,mp4a.40.2"},
			{Index: 1, Resolution: "640x360", Codecs: `bad"codec`},
		}, "master_two.m3u8"},
		{"one rendition", []Rendition{{Index: 0, Bandwidth: 800_000}}, "master_one.m3u8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, 0, tt.rends...)
			f.stream.add(1, segAt(0), make([]byte, 250_000)) // 1 Mbit/s over 2 s
			w := f.get("/live/master.m3u8")
			if w.Code != http.StatusOK {
				t.Fatalf("got status %d, want 200: %s", w.Code, w.Body)
			}
			if got := w.Header().Get("Content-Type"); got != playlistType {
				t.Errorf("got Content-Type %q, want %q", got, playlistType)
			}
			golden(t, tt.golden, w.Body.Bytes())
			pl, err := playlist.Unmarshal(w.Body.Bytes())
			if err != nil {
				t.Fatalf("gohlslib Unmarshal: %v", err)
			}
			mv, ok := pl.(*playlist.Multivariant)
			if !ok {
				t.Fatalf("got %T, want *playlist.Multivariant", pl)
			}
			if len(mv.Variants) != len(tt.rends) {
				t.Fatalf("got %d variants, want %d", len(mv.Variants), len(tt.rends))
			}
			if !mv.IndependentSegments {
				t.Errorf("got IndependentSegments false, want true")
			}
		})
	}
}

func TestMasterNotReady(t *testing.T) {
	tests := []struct {
		name  string
		rends []Rendition
	}{
		{"no rendition", nil},
		{"bandwidth unknown and no segment", []Rendition{{Index: 0}}},
	}
	for _, tt := range tests {
		f := newFixture(t, 0, tt.rends...)
		w := f.get("/live/master.m3u8")
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "1" {
			t.Errorf("%s: got %d Retry-After %q, want 503 Retry-After 1", tt.name, w.Code, w.Header().Get("Retry-After"))
		}
	}
}

// TestMediaPlaylist polls one rendition at a few instants of a scripted
// stream of 2 s segments with a 10 s target latency: delay 4 s, so segment
// i (ending at epoch + 2i + 2 s) is listed from epoch + 2i + 6 s.
func TestMediaPlaylist(t *testing.T) {
	f := newFixture(t, 10*time.Second, Rendition{Index: 0, Bandwidth: 1_000_000})
	for q := range uint64(30) {
		s := segAt(q)
		s.Discontinuity = q == 11
		if q == 3 {
			f.stream.add(0, s, nil) // announced, not held yet
			continue
		}
		f.stream.add(0, s, payload(q))
	}
	steps := []struct {
		name   string
		now    time.Duration
		before func()
		status int
		golden string
	}{
		{"nothing passed the playhead", 5 * time.Second, nil, http.StatusServiceUnavailable, ""},
		{"first segments appear", 9 * time.Second, nil, http.StatusOK, "media_start.m3u8"},
		{"stops at a segment not ready", 15 * time.Second, nil, http.StatusOK, "media_stall.m3u8"},
		{"grows when it is ready", 16 * time.Second, func() { f.stream.ready(0, 3, payload(3)) }, http.StatusOK, "media_resume.m3u8"},
		{"window slides, discontinuity listed", 34 * time.Second, nil, http.StatusOK, "media_disc.m3u8"},
		{"discontinuity slides out", 48 * time.Second, nil, http.StatusOK, "media_slid.m3u8"},
	}
	for _, st := range steps {
		if st.before != nil {
			st.before()
		}
		f.clock.set(at(st.now))
		w := f.get("/live/0/index.m3u8")
		if w.Code != st.status {
			t.Fatalf("%s: got status %d, want %d: %s", st.name, w.Code, st.status, w.Body)
		}
		if st.golden == "" {
			if got := w.Header().Get("Retry-After"); got != "1" {
				t.Errorf("%s: got Retry-After %q, want 1", st.name, got)
			}
			continue
		}
		golden(t, st.golden, w.Body.Bytes())
		checkMedia(t, st.name, w.Body.Bytes())
	}
}

// checkMedia parses a media playlist with gohlslib and checks what every
// one of ours must carry.
func checkMedia(t *testing.T, name string, body []byte) {
	t.Helper()
	pl, err := playlist.Unmarshal(body)
	if err != nil {
		t.Fatalf("%s: gohlslib Unmarshal: %v", name, err)
	}
	m, ok := pl.(*playlist.Media)
	if !ok {
		t.Fatalf("%s: got %T, want *playlist.Media", name, pl)
	}
	if m.Endlist {
		t.Errorf("%s: got EXT-X-ENDLIST in a live playlist", name)
	}
	if m.DiscontinuitySequence == nil {
		t.Errorf("%s: got no EXT-X-DISCONTINUITY-SEQUENCE", name)
	}
	for _, s := range m.Segments {
		if s.DateTime == nil {
			t.Errorf("%s: segment %s has no EXT-X-PROGRAM-DATE-TIME", name, s.URI)
		}
		if got := int((s.Duration + time.Second/2) / time.Second); got > m.TargetDuration {
			t.Errorf("%s: segment %s lasts %d s, over target %d", name, s.URI, got, m.TargetDuration)
		}
	}
}

func TestSeconds(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{2 * time.Second, "2.000"},
		{2002 * time.Millisecond, "2.002"},
		{1999999 * time.Microsecond, "2.000"},
		{40 * time.Millisecond, "0.040"},
		{0, "0.000"},
	}
	for _, tt := range tests {
		if got := seconds(tt.d); got != tt.want {
			t.Errorf("seconds(%v): got %q, want %q", tt.d, got, tt.want)
		}
	}
}

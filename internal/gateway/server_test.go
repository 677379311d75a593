package gateway

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestNewConfig(t *testing.T) {
	reg := prometheus.NewRegistry()
	stream := newMemStream()
	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{"no stream", Config{}, true},
		{"negative latency", Config{Stream: stream, TargetLatency: -time.Second}, true},
		{"defaults", Config{Stream: stream}, false},
		{"shared registry", Config{Stream: stream, Registry: reg}, false},
		{"registry already holds the metrics", Config{Stream: stream, Registry: reg}, true},
	}
	for _, tt := range tests {
		s, err := New(tt.cfg)
		if (err != nil) != tt.wantErr {
			t.Fatalf("%s: got error %v, want error %v", tt.name, err, tt.wantErr)
		}
		if err == nil && s.Stats().TargetLatency != DefaultTargetLatency {
			t.Errorf("%s: got target latency %v, want %v", tt.name, s.Stats().TargetLatency, DefaultTargetLatency)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "gateway: ") {
			t.Errorf("%s: got error %q, want prefix gateway: ", tt.name, err)
		}
	}
}

func TestRoutes(t *testing.T) {
	f := newFixture(t, 0, Rendition{Index: 0, Bandwidth: 1_000_000})
	tests := []struct {
		method, path string
		status       int
		body         string // substring
	}{
		{http.MethodGet, "/healthz", http.StatusOK, "ok"},
		{http.MethodHead, "/healthz", http.StatusOK, ""},
		{http.MethodGet, "/metrics", http.StatusOK, "shoal_gateway_segments_served_total 0"},
		{http.MethodGet, "/api/v1/stats", http.StatusOK, `"segments_served":0`},
		{http.MethodGet, "/nope", http.StatusNotFound, "gateway: not found"},
		{http.MethodGet, "/live/", http.StatusNotFound, ""},
		{http.MethodGet, "/live/x/index.m3u8", http.StatusNotFound, ""},
		{http.MethodGet, "/live/256/index.m3u8", http.StatusNotFound, ""},
		{http.MethodGet, "/live/7/index.m3u8", http.StatusNotFound, "rendition 7"},
		{http.MethodGet, "/live/0/other.m3u8", http.StatusNotFound, ""},
		{http.MethodGet, "/live/0/01.ts", http.StatusNotFound, ""},
		{http.MethodGet, "/live/0/-1.ts", http.StatusNotFound, ""},
		{http.MethodPost, "/live/master.m3u8", http.StatusMethodNotAllowed, "method not allowed"},
		{http.MethodDelete, "/api/v1/stats", http.StatusMethodNotAllowed, ""},
		{http.MethodPut, "/live/0/1.ts", http.StatusMethodNotAllowed, ""},
	}
	for _, tt := range tests {
		w := f.do(tt.method, tt.path, "", "test")
		if w.Code != tt.status {
			t.Errorf("%s %s: got status %d, want %d", tt.method, tt.path, w.Code, tt.status)
		}
		if !strings.Contains(w.Body.String(), tt.body) {
			t.Errorf("%s %s: got body %q, want it to contain %q", tt.method, tt.path, w.Body, tt.body)
		}
		if tt.status == http.StatusMethodNotAllowed && w.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s %s: got Allow %q, want GET, HEAD", tt.method, tt.path, w.Header().Get("Allow"))
		}
	}
}

func TestSegments(t *testing.T) {
	f := newFixture(t, 0, Rendition{Index: 0, Bandwidth: 1_000_000})
	for q := range uint64(4) {
		f.stream.add(0, segAt(q), payload(q))
	}
	f.stream.add(0, segAt(4), nil) // announced, not held
	f.stream.evict(0, 1)           // segment 0 evicted
	tests := []struct {
		name, method, path, rng string
		status                  int
		body                    string
		retry                   string
	}{
		{"ready", http.MethodGet, "/live/0/2.ts", "", http.StatusOK, "segment-2", ""},
		{"head", http.MethodHead, "/live/0/2.ts", "", http.StatusOK, "", ""},
		{"range", http.MethodGet, "/live/0/3.ts", "bytes=8-", http.StatusPartialContent, "3", ""},
		{"not ready", http.MethodGet, "/live/0/4.ts", "", http.StatusServiceUnavailable, "not ready", "1"},
		{"unknown", http.MethodGet, "/live/0/9.ts", "", http.StatusNotFound, "not found", ""},
		{"evicted", http.MethodGet, "/live/0/0.ts", "", http.StatusNotFound, "not found", ""},
		{"unknown rendition", http.MethodGet, "/live/3/2.ts", "", http.StatusNotFound, "not found", ""},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, tt.path, nil)
		if tt.rng != "" {
			r.Header.Set("Range", tt.rng)
		}
		w := httptest.NewRecorder()
		f.s.ServeHTTP(w, r)
		if w.Code != tt.status {
			t.Errorf("%s: got status %d, want %d", tt.name, w.Code, tt.status)
		}
		if !strings.Contains(w.Body.String(), tt.body) {
			t.Errorf("%s: got body %q, want it to contain %q", tt.name, w.Body, tt.body)
		}
		if got := w.Header().Get("Retry-After"); got != tt.retry {
			t.Errorf("%s: got Retry-After %q, want %q", tt.name, got, tt.retry)
		}
		if tt.status < 300 {
			if got := w.Header().Get("Content-Type"); got != "video/mp2t" {
				t.Errorf("%s: got Content-Type %q, want video/mp2t", tt.name, got)
			}
			if got := w.Header().Get("Content-Length"); got == "" {
				t.Errorf("%s: got no Content-Length", tt.name)
			}
		}
	}
	st := f.s.Stats()
	if st.SegmentsServed != 2 || st.BytesServed != uint64(len("segment-2")+1) {
		t.Errorf("got %d segments %d bytes served, want 2 segments %d bytes", st.SegmentsServed, st.BytesServed, len("segment-2")+1)
	}
}

// TestStats scripts a viewer: startup, a stall and its end, players, and
// the JSON and Prometheus views of the figures.
func TestStats(t *testing.T) {
	f := newFixture(t, 10*time.Second, Rendition{Index: 0, Bandwidth: 1_000_000})
	f.s.cfg.StatsExtra = func() map[string]any { return map[string]any{"peers": 3, "segments_served": "shadowed"} }
	for q := range uint64(12) {
		if q == 3 {
			f.stream.add(0, segAt(q), nil)
			continue
		}
		f.stream.add(0, segAt(q), payload(q))
	}
	const vlc, ffmpeg = "VLC/3.0.21", "Lavf/61.7.100"
	script := []struct {
		now         time.Duration
		do          func()
		path, agent string
		status      int
	}{
		{5 * time.Second, nil, "/live/master.m3u8", vlc, http.StatusOK}, // startup clock starts
		{5 * time.Second, nil, "/live/0/index.m3u8", vlc, http.StatusServiceUnavailable},
		{9 * time.Second, nil, "/live/0/index.m3u8", vlc, http.StatusOK},
		{10 * time.Second, nil, "/live/0/0.ts", vlc, http.StatusOK},                                               // startup 5 s
		{11 * time.Second, nil, "/live/0/index.m3u8", ffmpeg, http.StatusOK},                                      // second player
		{15 * time.Second, nil, "/live/0/index.m3u8", vlc, http.StatusOK},                                         // segment 3 due at 12 s: stall
		{16 * time.Second, func() { f.stream.ready(0, 3, payload(3)) }, "/live/0/index.m3u8", vlc, http.StatusOK}, // stall ended after 4 s
		{17 * time.Second, nil, "/live/0/3.ts", vlc, http.StatusOK},
	}
	for i, st := range script {
		f.clock.set(at(st.now))
		if st.do != nil {
			st.do()
		}
		if w := f.do(http.MethodGet, st.path, "192.0.2.1:4000", st.agent); w.Code != st.status {
			t.Fatalf("step %d %s: got status %d, want %d", i, st.path, w.Code, st.status)
		}
	}
	f.clock.set(at(18 * time.Second))
	want := Stats{
		PlaylistsServed: 5, SegmentsServed: 2, BytesServed: uint64(len(payload(0)) + len(payload(3))),
		Players: 2, Started: true, Startup: 5 * time.Second,
		Stalls: 1, StallTime: 4 * time.Second,
		Listed: true, LiveEdgeLag: 6 * time.Second, // newest listed: segment 5, ends at 12 s
		BroadcasterLag: 12 * time.Second, // segment 3 starts at 6 s
		TargetLatency:  10 * time.Second,
	}
	if got := f.s.Stats(); got != want {
		t.Errorf("got stats\n%+v\nwant\n%+v", got, want)
	}
	checkStatsViews(t, f)

	f.clock.set(at(60 * time.Second)) // players gone quiet for over 30 s
	if got := f.s.Stats().Players; got != 0 {
		t.Errorf("after 42 s of silence: got %d players, want 0", got)
	}
}

// checkStatsViews checks the JSON and Prometheus views of TestStats' figures.
func checkStatsViews(t *testing.T, f *fixture) {
	t.Helper()
	var js map[string]any
	if err := json.Unmarshal(f.get("/api/v1/stats").Body.Bytes(), &js); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]any{"peers": 3.0, "segments_served": 2.0, "startup_seconds": 5.0, "stall_seconds": 4.0, "stalls": 1.0, "players": 2.0} {
		if js[k] != v {
			t.Errorf("JSON %s: got %v, want %v", k, js[k], v)
		}
	}
	metrics := f.get("/metrics").Body.String()
	for _, line := range []string{"shoal_gateway_stalls_total 1", "shoal_gateway_stall_seconds_total 4", "shoal_gateway_startup_seconds 5", "shoal_gateway_players 2"} {
		if !strings.Contains(metrics, line+"\n") {
			t.Errorf("metrics: got no line %q in\n%s", line, metrics)
		}
	}
}

// TestStallUnderWay checks a stall is counted while it lasts, and ended
// when no player polls the rendition any more.
func TestStallUnderWay(t *testing.T) {
	f := newFixture(t, 10*time.Second, Rendition{Index: 0, Bandwidth: 1_000_000})
	for q := range uint64(6) {
		var data []byte
		if q != 3 {
			data = payload(q)
		}
		f.stream.add(0, segAt(q), data)
	}
	for _, now := range []time.Duration{9 * time.Second, 15 * time.Second} {
		f.clock.set(at(now))
		f.get("/live/0/index.m3u8")
	}
	f.clock.set(at(20 * time.Second))
	if st := f.s.Stats(); !st.Stalled || st.Stalls != 1 || st.StallTime != 8*time.Second {
		t.Errorf("got stalled %v, %d stalls, %v, want true, 1, 8s", st.Stalled, st.Stalls, st.StallTime)
	}
	f.clock.set(at(50 * time.Second)) // last poll at 15 s
	if st := f.s.Stats(); st.Stalled || st.StallTime != 3*time.Second {
		t.Errorf("abandoned: got stalled %v, %v, want false, 3s", st.Stalled, st.StallTime)
	}
}

// TestConcurrentPlayers runs many players against a live stream while it
// grows; run with -race.
func TestConcurrentPlayers(t *testing.T) {
	f := newFixture(t, 0, Rendition{Index: 0, Bandwidth: 1_000_000}, Rendition{Index: 1, Bandwidth: 500_000})
	for q := range uint64(10) {
		f.stream.add(0, segAt(q), payload(q))
		f.stream.add(1, segAt(q), payload(q))
	}
	f.clock.set(at(20 * time.Second))
	srv := httptest.NewServer(f.s)
	defer srv.Close()

	const players, rounds = 12, 15
	var wg sync.WaitGroup
	errs := make(chan error, players*rounds*3)
	for p := range players {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := srv.Client()
			for i := range rounds {
				for _, path := range []string{"/live/master.m3u8", fmt.Sprintf("/live/%d/index.m3u8", p%2), fmt.Sprintf("/live/%d/%d.ts", p%2, i%10)} {
					if err := fetch(client, srv.URL+path, fmt.Sprintf("player-%d", p)); err != nil {
						errs <- err
					}
				}
			}
		}()
	}
	wg.Add(1)
	go func() { // the stream grows meanwhile, for less than playerTTL
		defer wg.Done()
		for q := uint64(10); q < 20; q++ {
			f.stream.add(0, segAt(q), payload(q))
			f.clock.set(at(time.Duration(q) * 2 * time.Second))
			f.s.Stats()
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if st := f.s.Stats(); st.Players != players || st.SegmentsServed != players*rounds {
		t.Errorf("got %d players %d segments, want %d players %d segments", st.Players, st.SegmentsServed, players, players*rounds)
	}
}

func fetch(c *http.Client, url, agent string) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", agent)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: got status %d, want 200", url, resp.StatusCode)
	}
	return nil
}

package live

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// origin is an in-memory HTTP origin whose content tests change between
// polls. A status other than 200 can be set per path.
type origin struct {
	mu     sync.Mutex
	files  map[string]string // guarded by mu
	status map[string]int    // guarded by mu
}

func newOrigin(t *testing.T) (*origin, *httptest.Server) {
	o := &origin{files: map[string]string{}, status: map[string]int{}}
	srv := httptest.NewServer(o)
	t.Cleanup(srv.Close)
	return o, srv
}

func (o *origin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	body, ok := o.files[r.URL.Path]
	code := o.status[r.URL.Path]
	o.mu.Unlock()
	switch {
	case code != 0:
		http.Error(w, "injected", code)
	case !ok:
		http.NotFound(w, r)
	default:
		w.Write([]byte(body))
	}
}

func (o *origin) set(path, body string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.files[path] = body
}

func (o *origin) setStatus(path string, code int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.status[path] = code
}

// setSegments publishes segment bodies under dir for a rendition.
func (o *origin) setSegments(dir string, rendition uint8, entries ...seg) {
	for _, s := range entries {
		o.set(dir+s.uriOrDefault(), string(segData(rendition, s.uriOrDefault())))
	}
}

func newURLHarness(t *testing.T, cfg URLConfig) *harness {
	t.Helper()
	h := newHarness(t)
	cfg.Now, cfg.After, cfg.Logger = h.clk.Now, h.clk.After, h.logger()
	src, err := NewURLSource(cfg)
	if err != nil {
		t.Fatalf("NewURLSource: %v", err)
	}
	h.start(src)
	return h
}

func TestURLSourceFollowsChangingPlaylist(t *testing.T) {
	o, srv := newOrigin(t)
	o.setSegments("/live/", 0, segs(10, 11)...)
	o.set("/live/index.m3u8", mediaPlaylist(4, false, segs(10, 11)...))
	h := newURLHarness(t, URLConfig{URL: srv.URL + "/live/index.m3u8", Client: srv.Client()})
	h.expect(0, 10, 11)
	if d := h.idle(); d != 2e9 {
		t.Fatalf("got poll interval %v, want 2s", d)
	}

	// Segment 12 fails with a 503 once: it is retried at the next poll,
	// and 13 waits behind it.
	o.setSegments("/live/", 0, segs(12, 13)...)
	o.set("/live/index.m3u8", mediaPlaylist(4, false, segs(11, 13)...))
	o.setStatus("/live/"+segName(12), http.StatusServiceUnavailable)
	h.fire()
	h.idle()
	o.setStatus("/live/"+segName(12), 0)
	h.fire()
	h.expect(0, 12, 13)
	h.idle()

	// 14 is listed but already gone (404): skipped, 15 follows.
	o.setSegments("/live/", 0, seg{seq: 15})
	o.set("/live/index.m3u8", mediaPlaylist(4, true, segs(13, 15)...))
	h.fire()
	h.expect(0, 15)
	if err := h.result(); err != nil {
		t.Fatalf("got Run error %v, want nil after ENDLIST", err)
	}
	for _, want := range []string{"retrying at the next poll", "segment left before it could be read"} {
		if !h.logged(want) {
			t.Errorf("got log without %q:\n%s", want, h.log)
		}
	}
}

func TestURLSourceMasterPlaylist(t *testing.T) {
	o, srv := newOrigin(t)
	o.set("/tv/master.m3u8", "#EXTM3U\n"+
		"#EXT-X-STREAM-INF:BANDWIDTH=2000000,CODECS=\"avc1.64001f\"\nhi/index.m3u8\n"+
		"#EXT-X-STREAM-INF:BANDWIDTH=500000,CODECS=\"avc1.64001f\"\n/abs/lo.m3u8\n")
	o.setSegments("/tv/hi/", 0, segs(0, 1)...)
	o.set("/tv/hi/index.m3u8", mediaPlaylist(2, true, segs(0, 1)...))
	o.setSegments("/abs/", 1, segs(5, 5)...)
	o.set("/abs/lo.m3u8", mediaPlaylist(2, true, segs(5, 5)...))
	h := newURLHarness(t, URLConfig{URL: srv.URL + "/tv/master.m3u8"})
	h.expect(0, 0, 1)
	h.expect(1, 5)
	if err := h.result(); err != nil {
		t.Fatalf("got Run error %v, want nil", err)
	}
}

func TestURLSourceStartErrors(t *testing.T) {
	o, srv := newOrigin(t)
	o.set("/broken.m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n#EXT-X-BYTERANGE:100@0\nall.ts\n")
	o.setStatus("/down.m3u8", http.StatusInternalServerError)
	tests := []struct {
		path string
		want error
	}{
		{"/missing.m3u8", ErrNoPlaylist},
		{"/broken.m3u8", ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			h := newURLHarness(t, URLConfig{URL: srv.URL + tt.path})
			if err := h.result(); !errors.Is(err, tt.want) {
				t.Fatalf("got Run error %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("server error", func(t *testing.T) {
		h := newURLHarness(t, URLConfig{URL: srv.URL + "/down.m3u8"})
		if err := h.result(); err == nil || errors.Is(err, ErrNoPlaylist) {
			t.Fatalf("got Run error %v, want a non-nil error other than ErrNoPlaylist", err)
		}
	})
}

func TestNewURLSourceRejectsBadConfig(t *testing.T) {
	tests := []URLConfig{
		{},
		{URL: "ftp://example.com/live.m3u8"},
		{URL: "/live.m3u8"},
		{URL: "http://example.com/live.m3u8", RequestTimeout: -1},
		{URL: "http://example.com/live.m3u8", Backlog: -1},
	}
	for _, cfg := range tests {
		if _, err := NewURLSource(cfg); err == nil {
			t.Errorf("got no error for %+v, want one", cfg)
		}
	}
}

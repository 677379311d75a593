package gateway

import (
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fixture is a Server over a scripted stream and clock.
type fixture struct {
	s      *Server
	stream *memStream
	clock  *clock
}

func newFixture(t *testing.T, latency time.Duration, rends ...Rendition) *fixture {
	t.Helper()
	f := &fixture{stream: newMemStream(rends...), clock: &clock{t: epoch}}
	s, err := New(Config{Stream: f.stream, TargetLatency: latency, Now: f.clock.Now})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f.s = s
	return f
}

// do serves one request from a player at addr with a User-Agent.
func (f *fixture) do(method, path, addr, agent string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	if addr != "" {
		r.RemoteAddr = addr
	}
	r.Header.Set("User-Agent", agent)
	w := httptest.NewRecorder()
	f.s.ServeHTTP(w, r)
	return w
}

func (f *fixture) get(path string) *httptest.ResponseRecorder {
	return f.do(http.MethodGet, path, "", "test")
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden: %v (run go test -update)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s: got\n%s\nwant\n%s", name, got, want)
	}
}

// newHTTPServer serves h on a loopback port the system picks and returns
// its base URL.
func newHTTPServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

package gateway

import (
	"regexp"
	"strconv"
	"testing"
	"time"
)

// routed is the shape of every live path the gateway accepts: canonical
// decimal rendition and sequence numbers only.
var routed = regexp.MustCompile(`^/live/(0|[1-9][0-9]*)/((0|[1-9][0-9]*)\.ts|index\.m3u8)$`)

// FuzzRoute checks the gateway's router on arbitrary request paths (players
// and anything else that reaches the local port send them): it accepts the
// fixed routes and canonical live paths in range, nothing else.
func FuzzRoute(f *testing.F) {
	for _, p := range []string{
		"/live/master.m3u8", "/live/0/index.m3u8", "/live/3/17.ts", "/live/255/18446744073709551615.ts",
		"/live/256/1.ts", "/live/0/18446744073709551616.ts", "/live/00/1.ts", "/live/0/01.ts", "/live/+1/1.ts",
		"/live/0/1.ts/", "/live//1.ts", "/live/0/.ts", "/live/0/index.m3u8x", "/api/v1/stats", "/metrics",
		"/healthz", "/", "", "/live/", "/live/0", "/live/0/../1.ts",
	} {
		f.Add(p)
	}
	s, err := New(Config{Stream: newMemStream(), Now: time.Now})
	if err != nil {
		f.Fatal(err)
	}
	fixed := map[string]bool{"/live/master.m3u8": true, "/api/v1/stats": true, "/metrics": true, "/healthz": true}
	f.Fuzz(func(t *testing.T, path string) {
		h, err := s.match(path)
		if (h == nil) == (err == nil) {
			t.Fatalf("match(%q) = handler %v, error %v: want exactly one", path, h != nil, err)
		}
		if err != nil || fixed[path] {
			return
		}
		m := routed.FindStringSubmatch(path)
		if m == nil {
			t.Fatalf("match accepted %q", path)
		}
		if _, err := strconv.ParseUint(m[1], 10, 8); err != nil {
			t.Fatalf("match accepted rendition %q", m[1])
		}
		if m[3] != "" {
			if _, err := strconv.ParseUint(m[3], 10, 64); err != nil {
				t.Fatalf("match accepted sequence %q", m[3])
			}
		}
	})
}

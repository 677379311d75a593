package tracker

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shoal-p2p/shoal/internal/piece"
)

// testClock is a manually advanced clock.
type testClock struct{ now time.Time }

func (c *testClock) Now() time.Time          { return c.now }
func (c *testClock) Advance(d time.Duration) { c.now = c.now.Add(d) }

// newTestServer returns a Server with a test clock and a seeded generator.
func newTestServer(t *testing.T, cfg Config) (*Server, *testClock) {
	t.Helper()
	clk := &testClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	cfg.Now = clk.Now
	cfg.Rand = rand.New(rand.NewPCG(1, 2))
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s, clk
}

// serve sends one GET to s from remote and returns the recorded answer.
func serve(s *Server, remote, target string, header http.Header) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	r.RemoteAddr = remote
	for k, v := range header {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

// announceTo announces req to s from remote and returns the peers' IDs and
// addresses, failing the test on anything but 200.
func announceTo(t *testing.T, s *Server, remote string, req AnnounceRequest) []PeerInfo {
	t.Helper()
	w := serve(s, remote, "/announce?"+req.query().Encode(), nil)
	if w.Code != http.StatusOK {
		t.Fatalf("announce %s: got status %d (%s), want 200", req.PeerID, w.Code, w.Body)
	}
	resp, err := parseResponse(w.Body.Bytes())
	if err != nil {
		t.Fatalf("announce %s: %v", req.PeerID, err)
	}
	return resp.Peers
}

func ids(peers []PeerInfo) []string {
	out := make([]string, 0, len(peers))
	for _, p := range peers {
		out = append(out, p.ID)
	}
	sort.Strings(out)
	return out
}

func req(swarm piece.ID, i int) AnnounceRequest {
	return AnnounceRequest{Swarm: swarm, PeerID: pid(i), Port: 4000 + i, QUICPort: 5000 + i}
}

func TestAnnouncePeersSeeEachOther(t *testing.T) {
	s, _ := newTestServer(t, Config{})
	if got := announceTo(t, s, "10.0.0.1:999", req(testSwarm, 1)); len(got) != 0 {
		t.Fatalf("first peer: got %v, want no peers", got)
	}
	got := announceTo(t, s, "[2001:db8::2]:999", req(testSwarm, 2))
	want := []PeerInfo{{ID: pid(1), Addrs: []string{"/ip4/10.0.0.1/tcp/4001", "/ip4/10.0.0.1/udp/5001/quic-v1"}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("second peer: got %v, want %v", got, want)
	}
	got = announceTo(t, s, "10.0.0.1:999", req(testSwarm, 1))
	want = []PeerInfo{{ID: pid(2), Addrs: []string{"/ip6/2001:db8::2/tcp/4002", "/ip6/2001:db8::2/udp/5002/quic-v1"}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("first peer again: got %v, want %v", got, want)
	}
	if got := announceTo(t, s, "10.0.0.3:1", req(piece.ID{9}, 3)); len(got) != 0 {
		t.Fatalf("other swarm: got %v, want no peers", got)
	}
}

func TestAnnounceAddress(t *testing.T) {
	tests := []struct {
		name   string
		trust  bool
		remote string
		xff    []string
		want   string
	}{
		{"ipv4", false, "192.0.2.7:5555", nil, "/ip4/192.0.2.7/tcp/4001"},
		{"ipv6", false, "[2001:db8::7]:5555", nil, "/ip6/2001:db8::7/tcp/4001"},
		{"mapped v4", false, "[::ffff:192.0.2.7]:5555", nil, "/ip4/192.0.2.7/tcp/4001"},
		{"xff ignored", false, "192.0.2.7:5555", []string{"198.51.100.1"}, "/ip4/192.0.2.7/tcp/4001"},
		{"xff trusted", true, "127.0.0.1:5555", []string{"203.0.113.9, 198.51.100.1"}, "/ip4/198.51.100.1/tcp/4001"},
		{"xff last header", true, "127.0.0.1:5555", []string{"203.0.113.9", "2001:db8::9"}, "/ip6/2001:db8::9/tcp/4001"},
		{"no xff", true, "192.0.2.7:5555", nil, "/ip4/192.0.2.7/tcp/4001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, Config{TrustForwardedFor: tt.trust})
			r := AnnounceRequest{Swarm: testSwarm, PeerID: pid(1), Port: 4001}
			w := serve(s, tt.remote, "/announce?"+r.query().Encode()+"&ip=1.1.1.1", http.Header{"X-Forwarded-For": tt.xff})
			if w.Code != http.StatusOK {
				t.Fatalf("got status %d (%s), want 200", w.Code, w.Body)
			}
			got := announceTo(t, s, "10.9.9.9:1", req(testSwarm, 2))
			if len(got) != 1 || !reflect.DeepEqual(got[0].Addrs, []string{tt.want}) {
				t.Fatalf("got %v, want one peer at %s", got, tt.want)
			}
		})
	}
}

func TestAnnounceBadForwardedFor(t *testing.T) {
	s, _ := newTestServer(t, Config{TrustForwardedFor: true})
	w := serve(s, "127.0.0.1:1", "/announce?"+req(testSwarm, 1).query().Encode(), http.Header{"X-Forwarded-For": {"bogus"}})
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "X-Forwarded-For") {
		t.Fatalf("got %d %s, want 400 naming X-Forwarded-For", w.Code, w.Body)
	}
}

func TestAnnounceExpiry(t *testing.T) {
	s, clk := newTestServer(t, Config{Interval: 10 * time.Second})
	announceTo(t, s, "10.0.0.1:1", req(testSwarm, 1))
	clk.Advance(19 * time.Second)
	if got := ids(announceTo(t, s, "10.0.0.2:1", req(testSwarm, 2))); !reflect.DeepEqual(got, []string{pid(1)}) {
		t.Fatalf("after 19s: got %v, want [%s]", got, pid(1))
	}
	clk.Advance(time.Second) // peer 1 is now 20s = 2×interval old
	if got := ids(announceTo(t, s, "10.0.0.2:1", req(testSwarm, 2))); len(got) != 0 {
		t.Fatalf("after 20s: got %v, want no peers", got)
	}
	if got, want := s.Stats(), (Stats{Swarms: 1, Peers: 1}); got != want {
		t.Fatalf("stats: got %+v, want %+v", got, want)
	}
	// The sweep also clears swarms nobody announces to any more.
	announceTo(t, s, "10.0.0.3:1", req(piece.ID{7}, 3))
	clk.Advance(20 * time.Second)
	announceTo(t, s, "10.0.0.4:1", req(piece.ID{8}, 4))
	if got, want := s.Stats(), (Stats{Swarms: 1, Peers: 1}); got != want {
		t.Fatalf("stats after sweep: got %+v, want %+v", got, want)
	}
}

func TestAnnounceStopped(t *testing.T) {
	s, _ := newTestServer(t, Config{})
	announceTo(t, s, "10.0.0.1:1", req(testSwarm, 1))
	announceTo(t, s, "10.0.0.2:1", req(testSwarm, 2))
	stop := req(testSwarm, 1)
	stop.Event = EventStopped
	// A stop from another address does not remove the peer.
	if got := announceTo(t, s, "10.6.6.6:1", stop); len(got) != 0 {
		t.Fatalf("stopped answer: got %v, want no peers", got)
	}
	if got := ids(announceTo(t, s, "10.0.0.2:1", req(testSwarm, 2))); !reflect.DeepEqual(got, []string{pid(1)}) {
		t.Fatalf("after foreign stop: got %v, want [%s]", got, pid(1))
	}
	announceTo(t, s, "10.0.0.1:1", stop)
	if got := ids(announceTo(t, s, "10.0.0.2:1", req(testSwarm, 2))); len(got) != 0 {
		t.Fatalf("after stop: got %v, want no peers", got)
	}
	stop2 := req(testSwarm, 2)
	stop2.Event = EventStopped
	announceTo(t, s, "10.0.0.2:1", stop2)
	if got, want := s.Stats(), (Stats{}); got != want {
		t.Fatalf("stats: got %+v, want %+v", got, want)
	}
}

func TestAnnounceNumWant(t *testing.T) {
	tests := []struct {
		numwant, peers, want int
	}{
		{0, 80, 50},     // default
		{3, 80, 3},      // asked
		{500, 250, 200}, // capped
		{100, 10, 9},    // all others
	}
	for _, tt := range tests {
		s, _ := newTestServer(t, Config{})
		for i := 0; i < tt.peers; i++ {
			announceTo(t, s, "10.0.0.1:1", req(testSwarm, i))
		}
		r := req(testSwarm, 0)
		r.NumWant = tt.numwant
		got := announceTo(t, s, "10.0.0.1:1", r)
		seen := map[string]bool{}
		for _, p := range got {
			if p.ID == r.PeerID || seen[p.ID] {
				t.Fatalf("numwant %d: got requester or duplicate %s", tt.numwant, p.ID)
			}
			seen[p.ID] = true
		}
		if len(got) != tt.want {
			t.Errorf("numwant %d of %d peers: got %d peers, want %d", tt.numwant, tt.peers, len(got), tt.want)
		}
	}
}

func TestAnnounceLimits(t *testing.T) {
	s, clk := newTestServer(t, Config{MaxSwarms: 2, MaxPeersPerSwarm: 2, MaxPeers: 3})
	step := func(swarm byte, i int) []string {
		clk.Advance(time.Second)
		return ids(announceTo(t, s, "10.0.0.1:1", req(piece.ID{swarm}, i)))
	}
	step(1, 1)
	step(1, 2)
	if got, want := step(1, 3), []string{pid(2)}; !reflect.DeepEqual(got, want) {
		t.Fatalf("full swarm: got %v, want %v (stalest evicted)", got, want)
	}
	step(2, 4) // 3 peers: at MaxPeers
	if got, want := step(1, 5), []string{pid(3)}; !reflect.DeepEqual(got, want) {
		t.Fatalf("global cap: got %v, want %v (peer 2, stalest overall, evicted)", got, want)
	}
	// A third swarm: the stalest peer overall (3) goes for MaxPeers, then
	// swarm 2, announced to least recently, goes for MaxSwarms.
	step(3, 6)
	if got, want := s.Stats(), (Stats{Swarms: 2, Peers: 2}); got != want {
		t.Fatalf("stats: got %+v, want %+v", got, want)
	}
	if got := step(2, 7); len(got) != 0 {
		t.Fatalf("evicted swarm: got %v, want no peers", got)
	}
}

func TestAnnounceMalformed(t *testing.T) {
	s, _ := newTestServer(t, Config{})
	for _, tt := range parseAnnounceTests {
		if tt.err == "" {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			w := serve(s, "10.0.0.1:1", "/announce?"+tt.query, nil)
			var eb errorBody
			if err := json.Unmarshal(w.Body.Bytes(), &eb); err != nil {
				t.Fatalf("body %q: %v", w.Body, err)
			}
			if w.Code != http.StatusBadRequest || !strings.Contains(eb.Error, tt.err) {
				t.Fatalf("got %d %q, want 400 containing %q", w.Code, eb.Error, tt.err)
			}
		})
	}
}

func TestRoutes(t *testing.T) {
	s, _ := newTestServer(t, Config{})
	tests := []struct {
		method, target string
		code           int
		body           string
	}{
		{http.MethodGet, "/healthz", 200, "ok"},
		{http.MethodGet, "/nope", 404, `{"error":"tracker: not found"}`},
		{http.MethodPost, "/announce", 405, `{"error":"tracker: method not allowed"}`},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, tt.target, nil)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != tt.code || w.Body.String() != tt.body {
			t.Errorf("%s %s: got %d %q, want %d %q", tt.method, tt.target, w.Code, w.Body, tt.code, tt.body)
		}
	}
}

func TestNewConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"zero", Config{}, true},
		{"short interval", Config{Interval: time.Millisecond}, false},
		{"negative swarms", Config{MaxSwarms: -1}, false},
		{"negative numwant", Config{NumWant: -1}, false},
	}
	for _, tt := range tests {
		_, err := New(tt.cfg)
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrConfig)) {
			t.Errorf("%s: got error %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

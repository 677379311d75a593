package node

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"

	"github.com/shoal-p2p/shoal/internal/tracker"
)

// originProxy stands between the viewers and the broadcaster's origin, so
// a test can take the origin away (Close) or make it hang.
func originProxy(t *testing.T, origin string, hang bool) *httptest.Server {
	t.Helper()
	u, err := url.Parse(origin)
	if err != nil {
		t.Fatal(err)
	}
	fwd := httputil.NewSingleHostReverseProxy(u)
	done := make(chan struct{})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hang {
			fwd.ServeHTTP(w, r)
			return
		}
		select { // slower than any deadline
		case <-done:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(done); hs.Close() })
	return hs
}

// startTrackedBroadcaster starts a broadcaster of the synthetic clip that
// announces itself to trackers.
func startTrackedBroadcaster(t *testing.T, trackers []string) *liveSwarm {
	t.Helper()
	pub, priv, src := synthChannel(t)
	b := start(t, Config{Trackers: trackers, Live: &LiveConfig{Name: liveName, Key: pub, Signer: priv, Source: src, ChunkSize: 16 << 10}})
	return &liveSwarm{pub: pub, b: b, origin: "http://" + b.HTTPAddr().String()}
}

// waitSegments waits until every viewer holds the segments seqs, then
// checks their bytes against the broadcaster's.
func (s *liveSwarm) waitSegments(t *testing.T, seqs ...uint64) {
	t.Helper()
	for i, v := range s.viewers {
		for _, seq := range seqs {
			waitFor(t, fmt.Sprintf("viewer %d to hold segment %d", i, seq), func() bool { return hasSegment(t, v, seq) })
		}
		s.sameSegments(t, v, seqs...)
	}
}

// With the tracker and the origin gone mid-stream, viewers that already
// met keep getting every new segment from the broadcaster and each other.
func TestLiveTrackerAndOriginDown(t *testing.T) {
	srv, err := tracker.New(tracker.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ths := httptest.NewServer(srv)
	defer ths.Close()
	tr := []string{ths.URL + "/announce"}
	s := startTrackedBroadcaster(t, tr)
	proxy := originProxy(t, s.origin, false)
	for range 2 {
		v := start(t, Config{Trackers: tr, Live: &LiveConfig{Name: liveName, Key: s.pub, Origins: []string{proxy.URL}}})
		s.viewers = append(s.viewers, v)
	}
	waitFor(t, "viewers to meet the broadcaster and each other", func() bool {
		return s.viewers[0].LiveStats().Peers == 2 && s.viewers[1].LiveStats().Peers == 2
	})
	ths.Close()
	proxy.Close()
	next := uint64(s.b.LiveStats().Published) // numbered from 0
	s.waitSegments(t, next, next+1)
	for i, v := range s.viewers {
		if st := v.LiveStats(); st.Peers != 2 {
			t.Errorf("viewer %d: %d peers after the outage, want 2", i, st.Peers)
		}
	}
}

// An origin that never answers costs viewers nothing while peers serve:
// every segment comes from them in time, none from the origin.
func TestLiveSlowOrigin(t *testing.T) {
	s := startBroadcaster(t)
	slow := originProxy(t, s.origin, true)
	for range 2 {
		peers := tcpAddrs(s.b.Addrs())
		v := start(t, Config{Peers: peers, Live: &LiveConfig{Name: liveName, Key: s.pub, Origins: []string{slow.URL}}})
		s.viewers = append(s.viewers, v)
	}
	next := uint64(s.b.LiveStats().Published)
	s.waitSegments(t, next)
	// Joining may count the segment at the playhead late or missed.
	joined := make([]LiveStats, len(s.viewers))
	for i, v := range s.viewers {
		joined[i] = v.LiveStats()
	}
	s.waitSegments(t, next+1, next+2)
	for i, v := range s.viewers {
		st := v.LiveStats()
		if st.BytesFromOrigin != 0 || st.Missed != joined[i].Missed || st.Late != joined[i].Late {
			t.Errorf("viewer %d: %+v, want nothing from the origin, no segment missed or late after joining", i, st)
		}
	}
}

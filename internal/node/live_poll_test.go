package node

import (
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestPollerStale(t *testing.T) {
	p := &poller{interval: time.Second} // 2 s segments
	t0 := time.Unix(1000, 0)
	steps := []struct {
		after time.Duration // since t0
		edge  int64
		want  bool
	}{
		{0, 0, true},                   // nothing known yet
		{0, 5000, false},               // peers told us of a segment
		{2 * time.Second, 7000, false}, // and of the next one
		{4900 * time.Millisecond, 7000, false},
		{5 * time.Second, 7000, true}, // no new segment for 1.5 durations: ask the origin
		{5100 * time.Millisecond, 9000, false},
	}
	for _, st := range steps {
		if got := p.stale(st.edge, t0.Add(st.after)); got != st.want {
			t.Errorf("at %v with edge %d: stale = %t, want %t", st.after, st.edge, got, st.want)
		}
	}
}

// TestPollerCatchUp checks that the cursors follow what the engine already
// knows: a viewer that never polled asks only for what follows its newest
// segment, and a cursor never moves back.
func TestPollerCatchUp(t *testing.T) {
	var (
		mu    sync.Mutex
		asked []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.URL.RawQuery)
		mu.Unlock()
		_, _ = w.Write([]byte(`{"renditions":[0,1],"announcements":[]}`))
	}))
	defer srv.Close()
	p := newPoller([]string{srv.URL}, slog.New(slog.DiscardHandler))
	p.catchUp([]rendSeq{{0, 41}, {1, 40}})
	p.poll(context.Background())
	mu.Lock()
	slices.Sort(asked)
	if want := []string{"r=0&after=41", "r=1&after=40"}; !slices.Equal(asked, want) {
		t.Errorf("first poll after catching up asked %q, want %q", asked, want)
	}
	asked = asked[:0]
	mu.Unlock()
	p.catchUp([]rendSeq{{0, 39}})
	p.poll(context.Background())
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(asked)
	if want := []string{"r=0&after=41", "r=1&after=40"}; !slices.Equal(asked, want) {
		t.Errorf("after an older edge, asked %q, want %q (cursors never move back)", asked, want)
	}
}

// TestPollerCursorIgnoresUnverified checks that an announcement the origin
// hands out does not move a cursor by itself: one forged far ahead would
// make the poller skip the real ones. Only catchUp, with what the engine
// verified, moves it.
func TestPollerCursorIgnoresUnverified(t *testing.T) {
	var (
		mu    sync.Mutex
		asked []string
	)
	forged := base64.StdEncoding.EncodeToString(fuzzAnnouncement(99))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.URL.RawQuery)
		mu.Unlock()
		_, _ = w.Write([]byte(`{"renditions":[0],"announcements":["` + forged + `"]}`))
	}))
	defer srv.Close()
	p := newPoller([]string{srv.URL}, slog.New(slog.DiscardHandler))
	p.catchUp([]rendSeq{{0, 5}})
	for range 2 {
		if got := p.poll(context.Background()); len(got) != 1 {
			t.Fatalf("poll passed on %d announcements, want the 1 answered (the engine judges it)", len(got))
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"r=0&after=5", "r=0&after=5"}; !slices.Equal(asked, want) {
		t.Errorf("asked %q, want %q: the forged sequence 99 moved the cursor", asked, want)
	}
}

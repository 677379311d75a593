package gateway

import (
	"net"
	"net/http"
	"time"
)

// Player accounting.
const (
	playerTTL  = 30 * time.Second // a player counts while seen this recently
	maxPlayers = 4096             // distinct players remembered at most
)

// Stats are the gateway's figures since New. Durations are measured on
// Config.Now.
type Stats struct {
	PlaylistsServed uint64 // master and media playlists answered 200
	SegmentsServed  uint64 // segment GETs answered with bytes
	BytesServed     uint64 // segment bytes written
	// Players counts distinct players (remote host and User-Agent) that
	// requested a playlist or segment in the last 30 s.
	Players int
	// Started reports that a segment has been served: Startup and
	// BroadcasterLag are set.
	Started bool
	// Startup is the time from the first playlist request to the first
	// segment served.
	Startup time.Duration
	// Stalls counts the times a playlist was held back by a segment the
	// playhead had passed that was not Ready.
	Stalls uint64
	// StallTime is the total time playlists were held back, including the
	// stall under way. A stall is seen when a player polls the playlist, so
	// its end is known to the poll interval.
	StallTime time.Duration
	// Stalled reports a stall under way.
	Stalled bool
	// Listed reports that a segment has been listed: LiveEdgeLag is set.
	Listed bool
	// LiveEdgeLag is now minus the end of the newest segment listed.
	LiveEdgeLag time.Duration
	// BroadcasterLag is now minus the broadcaster time at the start of the
	// segment a player fetched last.
	BroadcasterLag time.Duration
	// TargetLatency is the configured latency behind the broadcaster.
	TargetLatency time.Duration
}

// tally holds the counters behind Stats. Server.mu guards it.
type tally struct {
	playlists     uint64
	segments      uint64
	bytes         uint64
	stalls        uint64
	stallTime     time.Duration // stalls that ended
	firstPlaylist time.Time
	firstSegment  time.Time
	lastFetched   time.Time            // broadcaster time of the last segment served
	players       map[string]time.Time // player key → last seen
}

// seen records a request from a player. Server.mu must be held.
func (t *tally) seen(r *http.Request, now time.Time) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	key := host + " " + r.UserAgent()
	if _, ok := t.players[key]; !ok && len(t.players) >= maxPlayers {
		t.prune(now)
		if len(t.players) >= maxPlayers {
			return
		}
	}
	t.players[key] = now
}

// prune forgets players not seen within playerTTL.
func (t *tally) prune(now time.Time) {
	for k, at := range t.players {
		if now.Sub(at) > playerTTL {
			delete(t.players, k)
		}
	}
}

// apply folds a window's stall change into the counters.
func (t *tally) apply(ch change) {
	if ch.started {
		t.stalls++
	}
	if ch.ended {
		t.stallTime += ch.stalled
	}
}

// Stats returns the gateway's figures now. It is safe to call concurrently
// with requests.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	t := &s.tally
	t.prune(now)
	st := Stats{
		PlaylistsServed: t.playlists,
		SegmentsServed:  t.segments,
		BytesServed:     t.bytes,
		Players:         len(t.players),
		Stalls:          t.stalls,
		TargetLatency:   s.cfg.TargetLatency,
	}
	if !t.firstSegment.IsZero() {
		st.Started = true
		st.Startup = t.firstSegment.Sub(t.firstPlaylist)
		st.BroadcasterLag = now.Sub(t.lastFetched)
	}
	var newest time.Time
	for _, w := range s.windows {
		if d, ok := w.abandon(now, playerTTL); ok {
			t.stallTime += d
		}
		if w.stall.active {
			st.Stalled = true
			st.StallTime += now.Sub(w.stall.since)
		}
		if w.listed && w.lastEnd.After(newest) {
			newest = w.lastEnd
		}
	}
	st.StallTime += t.stallTime
	if !newest.IsZero() {
		st.Listed = true
		st.LiveEdgeLag = now.Sub(newest)
	}
	return st
}

// fields returns the figures as the JSON API names them; durations are in
// seconds, figures not measured yet are null.
func (st Stats) fields() map[string]any {
	m := map[string]any{
		"playlists_served":        st.PlaylistsServed,
		"segments_served":         st.SegmentsServed,
		"bytes_served":            st.BytesServed,
		"players":                 st.Players,
		"startup_seconds":         nil,
		"stalls":                  st.Stalls,
		"stall_seconds":           st.StallTime.Seconds(),
		"stalled":                 st.Stalled,
		"live_edge_lag_seconds":   nil,
		"broadcaster_lag_seconds": nil,
		"target_latency_seconds":  st.TargetLatency.Seconds(),
	}
	if st.Started {
		m["startup_seconds"] = st.Startup.Seconds()
		m["broadcaster_lag_seconds"] = st.BroadcasterLag.Seconds()
	}
	if st.Listed {
		m["live_edge_lag_seconds"] = st.LiveEdgeLag.Seconds()
	}
	return m
}

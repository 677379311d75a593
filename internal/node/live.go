package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-p2p/shoal/internal/gateway"
	"github.com/shoal-p2p/shoal/internal/swarm"
)

// shutdownTimeout bounds how long the live HTTP server waits for open
// requests when the node stops.
const shutdownTimeout = 2 * time.Second

// liveNode is the live part of a node (Config.Live set): the HTTP server
// (the broadcaster's origin or the viewer's gateway) and the state the
// loop shares with it. The engine itself stays with the loop.
type liveNode struct {
	cfg     *LiveConfig // filled by Config.fillLive
	log     *slog.Logger
	ln      net.Listener // opened by New, so a busy port fails early
	handler http.Handler
	store   *originStore    // broadcaster: what the origin serves
	seq     *sequencer      // broadcaster: published numbering (live_sequence.go)
	view    *liveView       // viewer: what the gateway reads
	gw      *gateway.Server // viewer

	rejected int          // origin announcements that failed; touched only by the loop goroutine
	edge     atomic.Int64 // engine's LiveEdge in Unix ms, 0 before any or without peers: set by the loop, read by the poller

	mu     sync.Mutex // guards stats and newest
	stats  LiveStats
	newest []rendSeq // the engine's newest sequence per known rendition: set by the loop, read by the poller
}

// rendSeq names a segment: a rendition and a sequence number.
type rendSeq struct {
	r   uint8
	seq uint64
}

// newestKnown appends to dst the engine's newest sequence per rendition as
// of the loop's last tick.
func (ln *liveNode) newestKnown(dst []rendSeq) []rendSeq {
	ln.mu.Lock()
	defer ln.mu.Unlock()
	return append(dst, ln.newest...)
}

// LiveStats are a live node's figures at one moment.
type LiveStats struct {
	Published       int    // broadcaster: segments published
	PublishedBytes  int64  // broadcaster: bytes of those segments
	OriginServed    int64  // broadcaster: segment bytes its HTTP origin served
	Ready           int    // viewer: wanted segments fully received and verified
	Late            int    // viewer: of those, Ready after their playback deadline
	Missed          int    // viewer: given up or evicted before Ready
	Rejected        int    // viewer: origin announcements that failed verification
	OriginFailures  int    // viewer: failed segment fetches from the origin
	Peers           int    // connected peers
	BytesFromPeers  int64  // verified chunk bytes received from peers
	BytesFromOrigin int64  // segment bytes received from the origin
	BytesUploaded   int64  // chunk bytes sent to peers
	BytesWasted     int64  // duplicate, unrequested or failed bytes
	Stalls          uint64 // viewer: playlist stalls the gateway counted
	Stalled         bool   // viewer: a stall is under way
}

// newLiveNode opens the live HTTP listener and builds what it serves.
func newLiveNode(cfg *Config) (*liveNode, error) {
	lc := cfg.Live
	n := &liveNode{cfg: lc, log: cfg.Logger}
	if lc.broadcaster() {
		n.store = newOriginStore(lc.OriginWindow)
		n.handler = n.store
		path := ""
		if cfg.DataDir != "" {
			path = sequenceFile(cfg.DataDir, cfg.Swarm)
		}
		seq, err := loadSequencer(path)
		if err != nil {
			return nil, err
		}
		n.seq = seq
	} else {
		n.view = newLiveView()
		gw, err := gateway.New(gateway.Config{
			Stream: n.view, TargetLatency: lc.TargetLatency, Now: time.Now,
			Logger: cfg.Logger, StatsExtra: n.statsExtra,
			PlaylistHold: playlistHold, // ffplay and mpv give up on a 503 at start
		})
		if err != nil {
			return nil, fmt.Errorf("node: %w", err)
		}
		n.gw, n.handler = gw, gw
	}
	ln, err := net.Listen("tcp", lc.HTTP)
	if err != nil {
		return nil, fmt.Errorf("node: live http: %w", err)
	}
	n.ln = ln
	return n, nil
}

// HTTPAddr returns the address of a live node's HTTP server (the origin on
// a broadcaster, the player gateway on a viewer); nil for other nodes.
func (n *Node) HTTPAddr() net.Addr {
	if n.live == nil {
		return nil
	}
	return n.live.ln.Addr()
}

// LiveStats returns a live node's figures; zero for other nodes.
func (n *Node) LiveStats() LiveStats {
	ln := n.live
	if ln == nil {
		return LiveStats{}
	}
	ln.mu.Lock()
	st := ln.stats
	ln.mu.Unlock()
	if ln.store != nil {
		st.OriginServed = ln.store.servedBytes()
	}
	if ln.gw != nil {
		gs := ln.gw.Stats()
		st.Stalls, st.Stalled = gs.Stalls, gs.Stalled
	}
	return st
}

// statsExtra is merged into the gateway's /api/v1/stats.
func (ln *liveNode) statsExtra() map[string]any {
	ln.mu.Lock()
	st := ln.stats
	ln.mu.Unlock()
	offload := 0.0
	if got := st.BytesFromPeers + st.BytesFromOrigin; got > 0 {
		offload = float64(st.BytesFromPeers) / float64(got)
	}
	return map[string]any{
		"peers":             st.Peers,
		"bytes_from_peers":  st.BytesFromPeers,
		"bytes_from_origin": st.BytesFromOrigin,
		"bytes_uploaded":    st.BytesUploaded,
		"peer_offload":      offload,
		"segments_ready":    st.Ready,
		"segments_late":     st.Late,
		"segments_missed":   st.Missed,
	}
}

// start runs the live goroutines, all owned by the loop's WaitGroup: the
// HTTP server, and the source (broadcaster) or the announcement poller
// (viewer with an origin).
func (ln *liveNode) start(ctx context.Context, l *loop) {
	srv := &http.Server{Handler: ln.handler, ReadHeaderTimeout: 10 * time.Second}
	l.go_(func() {
		if err := srv.Serve(ln.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			l.send(evLiveFatal{err: fmt.Errorf("node: live http: %w", err)})
		}
	})
	l.go_(func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		if srv.Shutdown(sctx) != nil {
			srv.Close()
		}
	})
	switch {
	case ln.cfg.broadcaster():
		l.runSource(ctx, ln)
	case len(ln.cfg.Origins) > 0:
		l.go_(func() { newPoller(ln.cfg.Origins, ln.log).run(ctx, l) })
	}
}

// Live events, handled by the loop goroutine.
type (
	evPublish struct {
		seg published
	}
	evSourceDone     struct{ err error }
	evLiveEnd        struct{}
	evLiveFatal      struct{ err error }
	evAnnounced      struct{ raws [][]byte }
	evSegmentFetched struct {
		r    uint8
		seq  uint64
		data []byte
		err  error
	}
)

// handleLive handles the live events; others are ignored.
func (l *loop) handleLive(ev event, now time.Time) {
	switch ev := ev.(type) {
	case evPublish:
		l.publish(ev.seg, now)
	case evSourceDone:
		l.sourceDone(ev.err)
	case evLiveEnd:
		l.n.log.Info("live: stream ended; stopping")
		l.finished = true
	case evLiveFatal:
		l.engErr = ev.err
	case evAnnounced:
		l.announced(ev.raws, now)
	case evSegmentFetched:
		l.segmentFetched(ev, now)
	}
}

// announced hands announcements polled from the origin to the engine. The
// stats are updated before the warning is logged, so whoever reads the
// warning sees the count.
func (l *loop) announced(raws [][]byte, now time.Time) {
	ln := l.n.live
	var last error
	warn := false
	for _, raw := range raws {
		if err := l.eng.LiveAnnounce(raw, now); err != nil {
			ln.rejected++
			last = err
			warn = warn || ln.rejected == 1 || ln.rejected%30 == 0
		}
	}
	ln.mu.Lock()
	ln.stats.Rejected = ln.rejected
	ln.mu.Unlock()
	if warn {
		l.n.log.Warn("live: rejected an announcement from the origin (wrong key in the link, or a tampered origin?)",
			"err", last, "rejected", ln.rejected)
	}
}

// actLive carries out the engine's live actions.
func (l *loop) actLive(ctx context.Context, a swarm.Action) {
	ln := l.n.live
	switch a := a.(type) {
	case swarm.FetchSegment:
		l.fetchSegment(ctx, a)
	case swarm.SegmentReady:
		if ln.view == nil {
			return // the broadcaster's own segments: its origin has them
		}
		if b, ok := l.eng.LiveSegment(a.Rendition, a.Sequence); ok {
			l.viewReady(a.Rendition, a.Sequence, b) // opens it first on a private channel (access_seal.go)
			ln.view.setSegments(a.Rendition, l.eng.LiveSegments(a.Rendition))
		}
	case swarm.Evicted:
		if ln.view != nil {
			ln.view.evict(a.Rendition, a.Sequence)
		}
	}
}

// liveTick refreshes the gateway's copy of the window and the figures.
func (l *loop) liveTick() {
	ln := l.n.live
	if ln.view != nil {
		for _, r := range l.eng.LiveRenditions() {
			ln.view.setSegments(r, l.eng.LiveSegments(r))
		}
	}
	// The poller asks the origin only while the edge stands still; without
	// peers nobody relays announcements, so it always asks.
	var edge int64
	if e := l.eng.LiveEdge(); !e.IsZero() && len(l.peers) > 0 {
		edge = e.UnixMilli()
	}
	ln.edge.Store(edge)
	es := l.eng.Stats()
	ln.mu.Lock()
	defer ln.mu.Unlock()
	ln.newest = ln.newest[:0]
	for _, r := range l.eng.LiveRenditions() {
		if seq, ok := l.eng.LiveNewest(r); ok {
			ln.newest = append(ln.newest, rendSeq{r, seq})
		}
	}
	st := &ln.stats
	st.Ready, st.Late, st.Missed = es.LiveReady, es.LiveLate, es.LiveMissed
	st.Peers = len(l.peers)
	st.BytesFromPeers, st.BytesFromOrigin = es.BytesFromPeers, es.BytesFromOrigin
	st.BytesUploaded, st.BytesWasted = es.BytesUploaded, es.BytesWasted
}

package gateway

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// serveMaster answers the multivariant playlist (RFC 8216 section 4.3.4),
// or 503 while no rendition is known.
func (s *Server) serveMaster(w http.ResponseWriter, r *http.Request) error {
	s.playlistRequested(r)
	rends := s.cfg.Stream.Renditions()
	vars := make([]variant, 0, len(rends))
	for _, rd := range rends {
		bw := rd.Bandwidth
		if bw <= 0 {
			bw = peakBandwidth(s.cfg.Stream.Segments(rd.Index))
		}
		if bw <= 0 {
			return notReady(retryAfter, fmt.Sprintf("rendition %d: bandwidth not known yet", rd.Index))
		}
		vars = append(vars, variant{Rendition: rd, bandwidth: bw})
	}
	if len(vars) == 0 {
		return notReady(retryAfter, "no rendition yet")
	}
	return s.writePlaylist(w, marshalMaster(vars))
}

// serveMedia answers the media playlist of a rendition at the playhead (see
// window). A playlist must list at least one segment for players (ffmpeg
// and gohlslib refuse an empty one), so until one is listed it answers 503
// with Retry-After, which players retry.
func (s *Server) serveMedia(w http.ResponseWriter, r *http.Request, rend uint8) error {
	s.playlistRequested(r)
	if !s.hasRendition(rend) {
		return fmt.Errorf("%w: rendition %d", ErrNotFound, rend)
	}
	s.mu.Lock()
	win := s.windows[rend]
	if win == nil {
		win = &window{}
		s.windows[rend] = win
	}
	s.tally.apply(win.update(s.cfg.Stream.Segments(rend), s.now(), s.cfg.TargetLatency))
	m := win.snapshot()
	s.mu.Unlock()
	if len(m.entries) == 0 {
		return notReady(retryAfter, fmt.Sprintf("rendition %d: no segment playable yet", rend))
	}
	return s.writePlaylist(w, marshalMedia(m))
}

func (s *Server) hasRendition(rend uint8) bool {
	for _, rd := range s.cfg.Stream.Renditions() {
		if rd.Index == rend {
			return true
		}
	}
	return false
}

// writePlaylist writes a playlist that players must not cache.
func (s *Server) writePlaylist(w http.ResponseWriter, body []byte) error {
	h := w.Header()
	h.Set("Content-Type", playlistType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-cache")
	s.write(w, body)
	s.mu.Lock()
	s.tally.playlists++
	s.mu.Unlock()
	return nil
}

// playlistRequested notes a player and the start of the startup clock.
func (s *Server) playlistRequested(r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.tally.firstPlaylist.IsZero() {
		s.tally.firstPlaylist = now
	}
	s.tally.seen(r, now)
}

// serveSegment answers a segment's bytes: 404 when unknown or evicted, 503
// with Retry-After when announced but not Ready. Range requests work.
func (s *Server) serveSegment(w http.ResponseWriter, r *http.Request, rend uint8, seq uint64) error {
	info, ok := find(s.cfg.Stream.Segments(rend), seq)
	if !ok {
		return fmt.Errorf("%w: segment %d of rendition %d", ErrNotFound, seq, rend)
	}
	if !info.Ready {
		return notReady(retryAfter, fmt.Sprintf("segment %d of rendition %d not held yet", seq, rend))
	}
	data, err := s.cfg.Stream.ReadSegment(r.Context(), rend, seq)
	if err != nil {
		return fmt.Errorf("gateway: read segment %d of rendition %d: %w", seq, rend, err)
	}
	w.Header().Set("Content-Type", "video/mp2t")
	cw := &countingWriter{ResponseWriter: w}
	http.ServeContent(cw, r, "", time.Time{}, bytes.NewReader(data))
	s.segmentServed(r, info, cw)
	return nil
}

// segmentServed records a segment GET that sent bytes.
func (s *Server) segmentServed(r *http.Request, info SegmentInfo, cw *countingWriter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.tally.seen(r, now)
	if r.Method == http.MethodHead || cw.status >= 300 {
		return
	}
	t := &s.tally
	t.segments++
	t.bytes += uint64(cw.n)
	if t.firstSegment.IsZero() {
		t.firstSegment = now
		if t.firstPlaylist.IsZero() {
			t.firstPlaylist = now
		}
	}
	t.lastFetched = info.Time
}

// countingWriter counts the body bytes written and keeps the status.
type countingWriter struct {
	http.ResponseWriter
	n      int64
	status int
}

func (c *countingWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	n, err := c.ResponseWriter.Write(p)
	c.n += int64(n)
	return n, err
}

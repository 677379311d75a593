package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// retryAfter is what a 503 asks players to wait: HLS players poll about
// once a target duration, so a second is short enough not to add latency.
const retryAfter = time.Second

// Server is the gateway's http.Handler:
//
//	GET /live/master.m3u8         multivariant playlist
//	GET /live/<r>/index.m3u8      media playlist of rendition r
//	GET /live/<r>/<seq>.ts        segment bytes
//	GET /api/v1/stats             figures as JSON
//	GET /metrics                  Prometheus metrics
//	GET /healthz                  liveness
//
// HEAD works wherever GET does. A Ready segment is served even before the
// media playlist lists it; players only fetch what playlists list.
type Server struct {
	cfg     Config
	log     *slog.Logger
	metrics http.Handler

	mu      sync.Mutex        // guards the fields below
	windows map[uint8]*window // media playlist state per rendition
	tally   tally
}

var _ http.Handler = (*Server)(nil)

// New returns a Server reading cfg.Stream. It registers the gateway's
// metrics in cfg.Registry.
func New(cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:     cfg,
		log:     cfg.Logger,
		metrics: promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{}),
		windows: make(map[uint8]*window),
		tally:   tally{players: make(map[string]time.Time)},
	}
	if err := cfg.Registry.Register(newCollector(s)); err != nil {
		return nil, fmt.Errorf("gateway: register metrics: %w", err)
	}
	return s, nil
}

// handler serves one route; errors go to the adapter in ServeHTTP.
type handler func(w http.ResponseWriter, r *http.Request) error

// ServeHTTP routes a request and maps a handler's error to a status code.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, err := s.route(r)
	if err == nil {
		err = h(w, r)
	}
	if err != nil {
		s.writeError(w, r, err)
	}
}

// route picks the handler for a request: ErrNotFound for an unknown path,
// errMethod for a known path with a method other than GET or HEAD.
func (s *Server) route(r *http.Request) (handler, error) {
	h, err := s.match(r.URL.Path)
	if err != nil {
		return nil, err
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return nil, fmt.Errorf("%w: %s %s", errMethod, r.Method, r.URL.Path)
	}
	return h, nil
}

func (s *Server) match(path string) (handler, error) {
	switch path {
	case "/live/master.m3u8":
		return s.held(s.serveMaster), nil
	case "/api/v1/stats":
		return s.serveStats, nil
	case "/metrics":
		return func(w http.ResponseWriter, r *http.Request) error { s.metrics.ServeHTTP(w, r); return nil }, nil
	case "/healthz":
		return s.serveHealth, nil
	}
	rest, ok := strings.CutPrefix(path, "/live/")
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, path)
	}
	dir, name, ok := strings.Cut(rest, "/")
	rend, okR := parseUint(dir, 8)
	if !ok || !okR {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, path)
	}
	if name == "index.m3u8" {
		return s.held(func(w http.ResponseWriter, r *http.Request) error { return s.serveMedia(w, r, uint8(rend)) }), nil
	}
	if seq, ok := parseUint(strings.TrimSuffix(name, ".ts"), 64); ok && strings.HasSuffix(name, ".ts") {
		return func(w http.ResponseWriter, r *http.Request) error { return s.serveSegment(w, r, uint8(rend), seq) }, nil
	}
	return nil, fmt.Errorf("%w: %s", ErrNotFound, path)
}

// parseUint parses a canonical decimal number: no sign, no leading zeros.
func parseUint(s string, bits int) (uint64, bool) {
	v, err := strconv.ParseUint(s, 10, bits)
	return v, err == nil && strconv.FormatUint(v, 10) == s
}

// writeError is the one place errors become status codes.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := http.StatusInternalServerError
	var retry *retryError
	switch {
	case errors.Is(err, ErrNotFound):
		code = http.StatusNotFound
	case errors.Is(err, errMethod):
		code = http.StatusMethodNotAllowed
		w.Header().Set("Allow", "GET, HEAD")
	case errors.As(err, &retry):
		code = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", strconv.Itoa(max(int(retry.after/time.Second), 1)))
	case errors.Is(err, context.Canceled):
		s.log.Debug("gateway: request abandoned", "path", r.URL.Path, "err", err)
		code = http.StatusServiceUnavailable
	default:
		s.log.Error("gateway: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	w.Header().Del("Content-Length")
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, err.Error(), code)
}

func (s *Server) serveHealth(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	s.write(w, []byte("ok\n"))
	return nil
}

// write writes a response body. Once the status is sent an error can only
// mean the client went away, so it is logged, not returned.
func (s *Server) write(w http.ResponseWriter, body []byte) {
	if _, err := w.Write(body); err != nil {
		s.log.Debug("gateway: write response", "err", err)
	}
}

// serveStats answers the figures as one JSON object, StatsExtra merged in.
func (s *Server) serveStats(w http.ResponseWriter, _ *http.Request) error {
	out := map[string]any{}
	if s.cfg.StatsExtra != nil {
		for k, v := range s.cfg.StatsExtra() {
			out[k] = v
		}
	}
	for k, v := range s.Stats().fields() {
		out[k] = v
	}
	body, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("gateway: encode stats: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	s.write(w, append(body, '\n'))
	return nil
}

// now reads the configured clock.
func (s *Server) now() time.Time { return s.cfg.Now() }

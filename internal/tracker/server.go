package tracker

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/shoal-p2p/shoal/internal/piece"
)

// Config configures a Server. The zero value is a working tracker with the
// defaults given below.
type Config struct {
	// Interval is how often peers are told to re-announce; default 30s,
	// at least 1s, rounded down to whole seconds. Peers that do not announce for 2×Interval expire.
	Interval time.Duration
	// MaxSwarms caps the swarms tracked; default 100,000. When full, the
	// swarm announced to least recently is dropped.
	MaxSwarms int
	// MaxPeersPerSwarm caps the peers of one swarm; default 10,000. When
	// full, the swarm's stalest peer is dropped.
	MaxPeersPerSwarm int
	// MaxPeers caps the peers across all swarms; default 1,000,000. When
	// full, the stalest peer is dropped.
	MaxPeers int
	// NumWant is how many peers an announce gets when it does not say;
	// default 50.
	NumWant int
	// MaxNumWant caps how many peers an announce gets; default 200.
	MaxNumWant int
	// TrustForwardedFor takes the peer's IP from the last X-Forwarded-For
	// entry (the one the proxy in front appended) instead of the
	// connection. Enable only behind a proxy that sets it.
	TrustForwardedFor bool
	// Now returns the current time; default time.Now.
	Now func() time.Time
	// Rand picks peer samples; default a randomly seeded PCG. The Server
	// uses it only under its lock.
	Rand *rand.Rand
	// Logger receives request errors; default slog.Default().
	Logger *slog.Logger
}

// ErrConfig is returned by New for an invalid Config.
var ErrConfig = errors.New("tracker: invalid config")

// Sentinel errors the HTTP adapter maps to status codes.
var (
	// ErrNotFound answers 404.
	ErrNotFound = errors.New("tracker: not found")
	// ErrMethod answers 405.
	ErrMethod = errors.New("tracker: method not allowed")
)

// Server is the tracker: an http.Handler serving /announce and /healthz
// (routes are registered on an internal mux, leaving room for a public
// directory later). It is safe for concurrent use and owns no goroutines:
// expired peers are removed lazily on access, and each announce also sweeps
// a bounded number of expired peers of other swarms.
type Server struct {
	cfg Config
	log *slog.Logger
	mux *http.ServeMux

	mu      sync.Mutex // guards reg and private
	reg     *registry
	private map[piece.ID]time.Time // private swarms (private.go): when last proven
}

var _ http.Handler = (*Server)(nil)

// Stats is a snapshot of the tracker's state.
type Stats struct {
	Swarms int
	Peers  int
}

// New returns a Server for cfg, with defaults filled in.
func New(cfg Config) (*Server, error) {
	if err := cfg.populate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, mux: http.NewServeMux(), private: make(map[piece.ID]time.Time)}
	s.reg = newRegistry(limits{
		ttl:         2 * cfg.Interval,
		maxSwarms:   cfg.MaxSwarms,
		maxPerSwarm: cfg.MaxPeersPerSwarm,
		maxPeers:    cfg.MaxPeers,
	}, cfg.Rand)
	s.mux.Handle("/announce", s.adapt(get(s.serveAnnounce)))
	s.mux.Handle("/healthz", s.adapt(get(serveHealth)))
	s.mux.Handle("/", s.adapt(func(http.ResponseWriter, *http.Request) error { return ErrNotFound }))
	return s, nil
}

// populate fills defaults into c and validates it.
func (c *Config) populate() error {
	ints := []struct {
		name string
		v    *int
		def  int
	}{
		{"MaxSwarms", &c.MaxSwarms, 100_000},
		{"MaxPeersPerSwarm", &c.MaxPeersPerSwarm, 10_000},
		{"MaxPeers", &c.MaxPeers, 1_000_000},
		{"NumWant", &c.NumWant, 50},
		{"MaxNumWant", &c.MaxNumWant, 200},
	}
	for _, f := range ints {
		if *f.v < 0 {
			return fmt.Errorf("%w: %s %d is negative", ErrConfig, f.name, *f.v)
		}
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	if c.Interval == 0 {
		c.Interval = 30 * time.Second
	}
	if c.Interval < time.Second {
		return fmt.Errorf("%w: Interval %v is under 1s", ErrConfig, c.Interval)
	}
	c.Interval = c.Interval.Truncate(time.Second)
	c.NumWant = min(c.NumWant, c.MaxNumWant)
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Rand == nil {
		c.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

// ServeHTTP routes requests to the announce and health handlers.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Stats returns the current number of swarms and peers.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	sw, p := s.reg.counts()
	return Stats{Swarms: sw, Peers: p}
}

// serveAnnounce handles GET /announce.
func (s *Server) serveAnnounce(w http.ResponseWriter, r *http.Request) error {
	req, err := parseAnnounce(r.URL.RawQuery)
	if err != nil {
		return err
	}
	addr, err := s.remoteAddr(r)
	if err != nil {
		return err
	}
	now := s.cfg.Now()
	if req.Swarm, err = s.admit(req, now); err != nil {
		return err
	}
	want := req.NumWant
	if want == 0 {
		want = s.cfg.NumWant
	}
	want = min(want, s.cfg.MaxNumWant)
	s.mu.Lock()
	peers := s.reg.announce(now, announce{AnnounceRequest: req, addr: addr}, want)
	s.mu.Unlock()
	body, err := encodeResponse(AnnounceResponse{Interval: s.cfg.Interval, Peers: peers})
	if err != nil {
		return fmt.Errorf("tracker: encode response: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(body) // a failed write means the client left; nothing to answer
	return nil
}

// serveHealth handles GET /healthz.
func serveHealth(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok"))
	return nil
}

// remoteAddr returns the IP the request came from: the connection's, or
// the last X-Forwarded-For entry when the Config trusts it.
func (s *Server) remoteAddr(r *http.Request) (netip.Addr, error) {
	if s.cfg.TrustForwardedFor {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			all := strings.Split(xff[len(xff)-1], ",")
			last := strings.TrimSpace(all[len(all)-1])
			ip, err := netip.ParseAddr(last)
			if err != nil {
				return netip.Addr{}, fmt.Errorf("%w: X-Forwarded-For %q is not an IP address", ErrBadAnnounce, clip(last))
			}
			return ip.Unmap().WithZone(""), nil
		}
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("tracker: remote address %q: %w", r.RemoteAddr, err)
	}
	return ap.Addr().Unmap().WithZone(""), nil
}

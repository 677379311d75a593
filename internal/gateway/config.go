package gateway

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// DefaultTargetLatency is how far behind the broadcaster's clock viewers
// play when Config.TargetLatency is zero: swarm.DefaultTargetLatency's
// value (a node always passes its own).
const DefaultTargetLatency = 8 * time.Second

// maxTargetLatency bounds Config.TargetLatency.
const maxTargetLatency = 10 * time.Minute

// Config configures a Server. Its zero value, with a Stream, is ready to use.
type Config struct {
	// Stream is the live channel served. Required.
	Stream Stream
	// TargetLatency is how far behind the broadcaster's clock every viewer
	// plays; 0 means DefaultTargetLatency.
	TargetLatency time.Duration
	// Now returns the current time on the broadcaster's clock (the clock
	// SegmentInfo.Time is read on); nil means time.Now.
	Now func() time.Time
	// Logger receives the gateway's logs; nil means slog.Default().
	Logger *slog.Logger
	// Registry is where the gateway registers its metrics and what
	// /metrics serves; nil means a new registry.
	Registry *prometheus.Registry
	// StatsExtra, if set, returns figures merged into the /api/v1/stats
	// JSON (peers, origin, ...). The gateway's own keys win on a clash.
	StatsExtra func() map[string]any
	// PlaylistHold is how long a playlist request that finds nothing to
	// list yet waits for a first segment before the 503 answer. Players
	// built on ffmpeg (ffplay, mpv) give up on a 503 at start where hls.js
	// and VLC retry, so a viewer should hold; 0 answers at once.
	PlaylistHold time.Duration
}

// withDefaults validates c and fills in the defaults.
func (c Config) withDefaults() (Config, error) {
	if c.Stream == nil {
		return c, errors.New("gateway: config: Stream is required")
	}
	if c.PlaylistHold < 0 {
		return c, fmt.Errorf("gateway: config: negative playlist hold %v", c.PlaylistHold)
	}
	if c.TargetLatency < 0 || c.TargetLatency > maxTargetLatency {
		return c, fmt.Errorf("gateway: config: target latency %v outside [0, %v]", c.TargetLatency, maxTargetLatency)
	}
	if c.TargetLatency == 0 {
		c.TargetLatency = DefaultTargetLatency
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Registry == nil {
		c.Registry = prometheus.NewRegistry()
	}
	return c, nil
}

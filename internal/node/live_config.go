package node

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net/url"
	"time"

	"github.com/shoal-p2p/shoal/internal/live"
	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/swarm"
)

// playlistHold is how long a viewer's gateway holds a playlist request that
// comes before the first segment can be listed.
const playlistHold = 10 * time.Second

// Live defaults applied to zero-valued LiveConfig fields.
const (
	DefaultLiveChunkSize     = 64 << 10
	DefaultLiveTargetLatency = swarm.DefaultTargetLatency
	DefaultLiveHTTP          = "127.0.0.1:0"
	DefaultOriginWindow      = 30
)

// Source produces a live stream's segments: live.DirSource, live.URLSource
// and live.SynthSource fit. Run emits segments on out, never closes it, and
// returns nil when the stream ended (EXT-X-ENDLIST), ctx.Err() when ctx
// ends, or the error that stopped it.
type Source interface {
	Run(ctx context.Context, out chan<- live.Segment) error
}

// LiveConfig turns a node into a live channel node (docs/live.md): the
// broadcaster when Signer and Source are set, a viewer otherwise. Zero
// fields mean the defaults above.
type LiveConfig struct {
	// Name is the channel name; with Key it makes the channel ID
	// live.ChannelID(Key, Name), which becomes Config.Swarm.
	Name string
	// Key is the broadcaster's Ed25519 public key. Required.
	Key ed25519.PublicKey
	// Signer is the broadcaster's private key (broadcaster only); its
	// public half must be Key.
	Signer ed25519.PrivateKey
	// Source produces the segments (broadcaster only, required there).
	Source Source
	// ChunkSize is the unit of verification and transfer inside a segment
	// (broadcaster; default 64 KiB).
	ChunkSize int
	// TargetLatency is how far behind the broadcaster's clock viewers play
	// (default 6 s). The broadcaster uses it for its end-of-stream grace.
	TargetLatency time.Duration
	// HTTP is the listen address of the node's HTTP server: the origin on
	// a broadcaster, the player gateway on a viewer. Default 127.0.0.1:0.
	HTTP string
	// Origins are origin base URLs (viewer): segments are fetched from
	// BASE/live/<r>/<seq>.ts and announcements polled from
	// BASE/live/announce (see live_origin.go).
	Origins []string
	// OriginWindow is how many recent segments per rendition the
	// broadcaster's origin keeps (default 30).
	OriginWindow int
}

// broadcaster reports whether the node publishes the channel.
func (lc *LiveConfig) broadcaster() bool { return lc.Signer != nil }

// fillLive validates the live part of c, fills its defaults and sets
// c.Swarm to the channel ID. c.Live is replaced by a filled copy.
func (c *Config) fillLive() error {
	lc := *c.Live
	c.Live = &lc
	if c.SharePath != "" || c.OutDir != "" || c.Manifest != nil {
		return fmt.Errorf("%w: a live node has no SharePath, OutDir or Manifest", ErrConfig)
	}
	if len(lc.Key) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: live channel key of %d bytes, want %d", ErrConfig, len(lc.Key), ed25519.PublicKeySize)
	}
	if err := lc.checkRole(); err != nil {
		return err
	}
	if lc.ChunkSize == 0 {
		lc.ChunkSize = DefaultLiveChunkSize
	}
	if lc.ChunkSize < live.MinChunkSize || lc.ChunkSize > live.MaxChunkSize {
		return fmt.Errorf("%w: live chunk size %d outside [%d, %d]", ErrConfig, lc.ChunkSize, live.MinChunkSize, live.MaxChunkSize)
	}
	if lc.TargetLatency < 0 || lc.OriginWindow < 0 {
		return fmt.Errorf("%w: negative live latency or window", ErrConfig)
	}
	setDefault(&lc.TargetLatency, DefaultLiveTargetLatency)
	setDefault(&lc.HTTP, DefaultLiveHTTP)
	setDefault(&lc.OriginWindow, DefaultOriginWindow)
	for _, o := range lc.Origins {
		if u, err := url.Parse(o); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%w: origin %q: want an http or https URL", ErrConfig, o)
		}
	}
	ch := live.ChannelID(lc.Key, lc.Name)
	if !c.Swarm.IsZero() && c.Swarm != ch {
		return fmt.Errorf("%w: swarm %s is not the channel of this key and name (%s): wrong key in the link?", ErrConfig, c.Swarm, ch)
	}
	c.Swarm = ch
	return nil
}

// checkRole checks that a broadcaster has a matching signer and a source,
// and a viewer neither.
func (lc *LiveConfig) checkRole() error {
	if !lc.broadcaster() {
		if lc.Source != nil {
			return fmt.Errorf("%w: a live source needs the broadcaster's Signer", ErrConfig)
		}
		return nil
	}
	if len(lc.Signer) != ed25519.PrivateKeySize {
		return fmt.Errorf("%w: live signer of %d bytes, want %d", ErrConfig, len(lc.Signer), ed25519.PrivateKeySize)
	}
	if !lc.Key.Equal(lc.Signer.Public()) {
		return fmt.Errorf("%w: live signer does not match the channel key", ErrConfig)
	}
	if lc.Source == nil {
		return fmt.Errorf("%w: a broadcaster needs a Source", ErrConfig)
	}
	return nil
}

// engineConfig returns the engine's live configuration.
func (lc *LiveConfig) engineConfig(channel piece.ID, uploadRate int64) *swarm.LiveConfig {
	return &swarm.LiveConfig{
		Channel:       channel,
		Key:           lc.Key,
		Broadcaster:   lc.broadcaster(),
		TargetLatency: lc.TargetLatency,
		Origin:        len(lc.Origins) > 0,
		UploadRate:    uploadRate,
	}
}

// setDefault sets *v to def when it is the zero value.
func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

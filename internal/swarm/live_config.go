package swarm

import (
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/shoal-p2p/shoal/internal/piece"
)

// Live defaults applied by New to zero-valued LiveConfig fields.
//
// DefaultTargetLatency is 4 segments of 2 s. With 3 (6 s), a 1,000-viewer
// swarm in the simulator leaves almost every segment to the origin (255
// copies of a one-minute stream, against 1.9 at 7 s and 1.0 at 8 s;
// docs/live.md): a segment is published once it is whole, 2 s after its
// start, spreading it through the mesh took about 3.5 s when measured
// (100 viewers), and the origin stage begins before the deadline.
const (
	DefaultWindowSegments = 10
	DefaultTargetLatency  = 8 * time.Second
	DefaultPushPeers      = 3
)

// maxWindowSegments bounds LiveConfig.WindowSegments.
const maxWindowSegments = 1024

// LiveConfig turns an Engine into a live channel engine (see docs/live.md).
// Segments are addressed by rendition and media sequence number, cut into
// the chunks their signed announcement lists.
type LiveConfig struct {
	// Channel is the channel's swarm ID (live.ChannelID of Key and the
	// channel name). Config.Swarm must be zero or equal to it.
	Channel piece.ID
	// Key is the broadcaster's Ed25519 public key; every announcement must
	// verify under it. Required.
	Key ed25519.PublicKey
	// Broadcaster makes this engine the source: segments come in through
	// Publish and are never fetched.
	Broadcaster bool
	// WindowSegments is how many segments per rendition the engine keeps
	// (default 10); the oldest is evicted when a newer one is announced.
	WindowSegments int
	// TargetLatency is how far behind the broadcaster's clock playback runs
	// (default 6s): a segment is due at its announced Time plus it.
	TargetLatency time.Duration
	// PushPeers is how many peers the broadcaster pushes each new chunk to
	// when it has spare upload (default 3); the first copy is always pushed.
	PushPeers int
	// Origin reports that an HTTP origin serving whole segments is
	// available, so the engine may emit FetchSegment.
	Origin bool
	// UploadRate caps what the engine sends, in bytes/s: chunk data is
	// paced to 90% of it (the rest is for control messages), and requests
	// beyond that wait in a queue shared fairly between peers, weighted by
	// reciprocity. 0 means no cap: every valid request is answered at once.
	UploadRate int64
	// Renditions lists the renditions this node downloads; nil means every
	// announced one. Announcements of all renditions are relayed.
	Renditions []uint8
	// Verifier checks announcements and chunks; nil means the real
	// Ed25519 and SHA-256 checks (see LiveVerifier).
	Verifier LiveVerifier
}

// withLiveDefaults fills and validates the live part of cfg.
func (cfg Config) withLiveDefaults() (Config, error) {
	lc := *cfg.Live
	switch {
	case cfg.Manifest != nil || cfg.Have.Len() != 0:
		return cfg, fmt.Errorf("%w: live mode with a manifest", ErrConfig)
	case lc.Channel.IsZero():
		return cfg, fmt.Errorf("%w: live mode without a channel", ErrConfig)
	case !cfg.Swarm.IsZero() && cfg.Swarm != lc.Channel:
		return cfg, fmt.Errorf("%w: swarm %s is not channel %s", ErrConfig, cfg.Swarm, lc.Channel)
	case len(lc.Key) != ed25519.PublicKeySize:
		return cfg, fmt.Errorf("%w: channel key of %d bytes, want %d", ErrConfig, len(lc.Key), ed25519.PublicKeySize)
	case lc.WindowSegments < 0 || lc.WindowSegments > maxWindowSegments:
		return cfg, fmt.Errorf("%w: window of %d segments outside 0..%d", ErrConfig, lc.WindowSegments, maxWindowSegments)
	case lc.TargetLatency < 0 || lc.PushPeers < 0 || lc.UploadRate < 0:
		return cfg, fmt.Errorf("%w: negative live limit", ErrConfig)
	}
	cfg.Swarm = lc.Channel
	setDefault(&lc.WindowSegments, DefaultWindowSegments)
	setDefault(&lc.TargetLatency, DefaultTargetLatency)
	setDefault(&lc.PushPeers, DefaultPushPeers)
	if lc.Verifier == nil {
		lc.Verifier = cryptoVerifier{}
	}
	lc.Renditions = append([]uint8(nil), lc.Renditions...)
	cfg.Live = &lc
	return cfg, nil
}

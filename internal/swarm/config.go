package swarm

import (
	"errors"
	"fmt"
	"time"

	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/wire"
)

// PeerID names a connected peer. The runtime chooses the form (for example
// the libp2p peer ID string); the engine only compares and sorts them.
type PeerID string

// Defaults applied by New to zero-valued Config fields.
const (
	DefaultBlockSize         = 64 << 10
	DefaultUploadSlots       = 4
	DefaultMaxInflightPieces = 64
	DefaultMaxOriginInflight = 4
	DefaultOriginDelay       = 2 * time.Second
	DefaultRequestTimeout    = 10 * time.Second
	DefaultPeerGrace         = 2 * time.Second
)

// MaxBlockSize is the largest request the engine issues or serves: the wire
// protocol's limit on a Data payload.
const MaxBlockSize = wire.MaxBlockSize

// ErrConfig is wrapped by every error New returns.
var ErrConfig = errors.New("swarm: invalid config")

// Config configures an Engine. Its zero value, with Swarm set, is a leecher
// that fetches the manifest from peers and uses the defaults above.
type Config struct {
	// Swarm is the content ID: SHA-256 of the manifest encoding.
	Swarm piece.ID
	// Manifest is the content description. Nil: fetch it from peers and
	// accept it only if its bytes hash to Swarm. When given it is trusted.
	Manifest *piece.Manifest
	// Have lists pieces already verified locally; the zero value means none.
	// When Manifest is nil it must be the zero value.
	Have piece.Bitfield
	// Origin reports that an HTTP origin or web seed is available, so the
	// engine may emit FetchOrigin.
	Origin bool
	// BlockSize is the request size (default 64 KiB, at most MaxBlockSize).
	// It is clamped to the piece size; the last block of a piece may be short.
	BlockSize uint32
	// UploadSlots is the number of regular unchoke slots (default 4); one
	// optimistic unchoke comes on top.
	UploadSlots int
	// MaxInflightPieces bounds partially downloaded pieces held in memory
	// (default 64).
	MaxInflightPieces int
	// MaxOriginInflight bounds concurrent origin fetches (default 4).
	MaxOriginInflight int
	// OriginDelay is how long a missing piece may lack any unchoking peer
	// source before the origin is used (default 2s). With no peers connected
	// the origin is used at once.
	OriginDelay time.Duration
	// RequestTimeout is how long a request may stay unanswered before it is
	// cancelled and re-requested elsewhere (default 10s).
	RequestTimeout time.Duration
	// PeerGrace is how long a new peer is kept before Replaceable may name
	// it to make room for a newcomer (default 2s).
	PeerGrace time.Duration
	// Seed seeds the engine's random choices (tie-breaks, optimistic unchoke).
	Seed uint64
	// Live, when set, makes the engine a live channel engine: Manifest and
	// Have must be zero and Swarm zero or Live.Channel. Live.Origin then
	// stands for Origin, and MaxOriginInflight bounds concurrent
	// FetchSegment actions (see docs/live.md).
	Live *LiveConfig
}

// withDefaults returns cfg with zero fields replaced by defaults, or an error
// wrapping ErrConfig.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Live != nil {
		var err error
		if cfg, err = cfg.withLiveDefaults(); err != nil {
			return cfg, err
		}
	}
	if cfg.Manifest == nil && cfg.Swarm.IsZero() {
		return cfg, fmt.Errorf("%w: no swarm id and no manifest", ErrConfig)
	}
	if cfg.UploadSlots < 0 || cfg.MaxInflightPieces < 0 || cfg.MaxOriginInflight < 0 ||
		cfg.OriginDelay < 0 || cfg.RequestTimeout < 0 || cfg.PeerGrace < 0 {
		return cfg, fmt.Errorf("%w: negative limit", ErrConfig)
	}
	if cfg.BlockSize > MaxBlockSize {
		return cfg, fmt.Errorf("%w: block size %d above %d", ErrConfig, cfg.BlockSize, MaxBlockSize)
	}
	setDefault(&cfg.BlockSize, DefaultBlockSize)
	setDefault(&cfg.UploadSlots, DefaultUploadSlots)
	setDefault(&cfg.MaxInflightPieces, DefaultMaxInflightPieces)
	setDefault(&cfg.MaxOriginInflight, DefaultMaxOriginInflight)
	setDefault(&cfg.OriginDelay, DefaultOriginDelay)
	setDefault(&cfg.RequestTimeout, DefaultRequestTimeout)
	setDefault(&cfg.PeerGrace, DefaultPeerGrace)
	if cfg.Manifest == nil {
		if cfg.Have.Len() != 0 {
			return cfg, fmt.Errorf("%w: have bitfield without a manifest", ErrConfig)
		}
		return cfg, nil
	}
	if err := checkManifest(cfg.Manifest); err != nil {
		return cfg, err
	}
	n := cfg.Manifest.NumPieces()
	if cfg.Have.Len() != 0 && cfg.Have.Len() != n {
		return cfg, fmt.Errorf("%w: have bitfield of %d pieces, manifest has %d", ErrConfig, cfg.Have.Len(), n)
	}
	return cfg, nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// checkManifest verifies the geometry the engine relies on: a positive piece
// size and a piece count matching the content length.
func checkManifest(m *piece.Manifest) error {
	if m.PieceSize <= 0 {
		return fmt.Errorf("%w: piece size %d", ErrConfig, m.PieceSize)
	}
	total := m.Length()
	want := (total + m.PieceSize - 1) / m.PieceSize
	if total < 0 || int64(m.NumPieces()) != want {
		return fmt.Errorf("%w: %d pieces for %d bytes of %d-byte pieces", ErrConfig, m.NumPieces(), total, m.PieceSize)
	}
	return nil
}

package live

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/bluenviron/gohlslib/v2/pkg/playlist"
)

// Segment is one media segment of a live HLS stream, read once its playlist
// listed it.
type Segment struct {
	Rendition uint8 // index of the variant in the multivariant playlist; 0 for a media playlist
	// Sequence is the media sequence number (RFC 8216 section 6.3.2). It is
	// strictly increasing per rendition: after an encoder restart resets the
	// numbering, the source adds an offset so that it keeps growing.
	Sequence        uint64
	Duration        time.Duration // EXTINF
	Data            []byte        // the segment bytes; owned by the receiver
	ProgramDateTime time.Time     // EXT-X-PROGRAM-DATE-TIME (or derived from a previous one), else the clock at discovery
	Discontinuity   bool          // EXT-X-DISCONTINUITY, or the first segment after a restart or a skipped discontinuity
	URI             string        // the segment URI as the playlist lists it
}

var (
	// ErrNoPlaylist is returned by Run when the playlist, or a media
	// playlist a multivariant playlist names, does not exist at start.
	ErrNoPlaylist = errors.New("live: playlist not found")
	// ErrStalled is returned by Run when a rendition has listed no new
	// segment for more than three target durations.
	ErrStalled = errors.New("live: stream stalled")
	// ErrBadPlaylist is returned for a playlist that cannot be parsed at
	// start, or that has the wrong kind or too many variants.
	ErrBadPlaylist = errors.New("live: malformed playlist")
	// ErrUnsupported is returned for playlists using features the ingest does
	// not carry yet: EXT-X-MAP (fMP4), byte-range segments, encryption.
	ErrUnsupported = errors.New("live: unsupported playlist feature")
)

const (
	maxPlaylistSize = 4 << 20         // largest playlist read
	maxRenditions   = 256             // Segment.Rendition is a uint8
	recentSegments  = 16              // emitted segments remembered per rendition for change detection
	stallFactor     = 3               // target durations without a new segment before ErrStalled
	defaultTarget   = 6 * time.Second // target duration before a playlist has told us
)

var (
	errPartial  = errors.New("live: segment still being written")
	errTooLarge = errors.New("live: too large")
)

// fetcher reads playlists and segments for a follower: a folder or HTTP.
type fetcher interface {
	// read returns the content of ref, at most limit bytes, and the
	// reference relative URIs inside it resolve against. Missing content
	// wraps fs.ErrNotExist; content still being written wraps errPartial.
	read(ctx context.Context, ref string, limit int64) (data []byte, base string, err error)
	// resolve resolves a URI found in the playlist at base.
	resolve(base, uri string) (string, error)
	// size returns the current size of ref if that is cheap to learn.
	size(ref string) (int64, bool)
}

// options are the settings both sources share, filled with defaults.
type options struct {
	log        *slog.Logger
	now        func() time.Time
	after      func(time.Duration) <-chan time.Time
	backlog    int
	maxSegment int64
}

func newOptions(log *slog.Logger, now func() time.Time, after func(time.Duration) <-chan time.Time, backlog int, maxSegment int64) (options, error) {
	o := options{log: log, now: now, after: after, backlog: backlog, maxSegment: maxSegment}
	if backlog < 0 {
		return o, fmt.Errorf("live: backlog %d is negative", backlog)
	}
	if maxSegment < 0 || maxSegment > MaxSegmentSize {
		return o, fmt.Errorf("live: max segment size %d outside [0, %d]", maxSegment, MaxSegmentSize)
	}
	if o.log == nil {
		o.log = slog.Default()
	}
	if o.now == nil {
		o.now = time.Now
	}
	if o.after == nil {
		o.after = time.After
	}
	if o.maxSegment == 0 {
		o.maxSegment = MaxSegmentSize
	}
	return o, nil
}

// follower is the core both sources share: it discovers the renditions,
// polls their media playlists and emits new segments in order.
type follower struct {
	opts  options
	fetch fetcher
	root  string // reference of the playlist the user named
}

func (f *follower) run(ctx context.Context, out chan<- Segment) error {
	rends, err := f.discover(ctx)
	if err != nil {
		return err
	}
	for {
		wait, active := time.Duration(0), 0
		for _, r := range rends {
			if r.ended {
				continue
			}
			if err := f.poll(ctx, r, out); err != nil {
				return err
			}
			if !r.ended {
				active++
				if iv := r.interval(); wait == 0 || iv < wait {
					wait = iv
				}
			}
		}
		if active == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-f.opts.after(wait):
		}
	}
}

// discover reads the root playlist: a media playlist is one rendition, a
// multivariant playlist names one rendition per variant, in order.
func (f *follower) discover(ctx context.Context) ([]*rendition, error) {
	data, base, err := f.fetch.read(ctx, f.root, maxPlaylistSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoPlaylist, f.root)
	}
	if err != nil {
		return nil, fmt.Errorf("live: read playlist: %w", err)
	}
	pl, err := parsePlaylist(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadPlaylist, f.root, err)
	}
	mv, ok := pl.(*playlist.Multivariant)
	if !ok {
		return []*rendition{{ref: f.root}}, nil
	}
	if len(mv.Variants) == 0 || len(mv.Variants) > maxRenditions {
		return nil, fmt.Errorf("%w: %s: %d variants, want 1..%d", ErrBadPlaylist, f.root, len(mv.Variants), maxRenditions)
	}
	if len(mv.Renditions) > 0 {
		f.opts.log.Warn("live: alternative renditions (EXT-X-MEDIA) are ignored", "playlist", f.root, "count", len(mv.Renditions))
	}
	rends := make([]*rendition, len(mv.Variants))
	for i, v := range mv.Variants {
		ref, err := f.fetch.resolve(base, v.URI)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: variant %d: %v", ErrBadPlaylist, f.root, i, err)
		}
		rends[i] = &rendition{index: uint8(i), ref: ref}
	}
	return rends, nil
}

// parsePlaylist decodes a playlist. A live media playlist that lists no
// segment yet is returned as an empty Media, which gohlslib refuses.
func parsePlaylist(data []byte) (playlist.Playlist, error) {
	if !bytes.Contains(data, []byte("#EXTINF:")) && !bytes.Contains(data, []byte("#EXT-X-STREAM-INF:")) {
		if bytes.HasPrefix(bytes.TrimLeft(data, "\ufeff \t\r\n"), []byte("#EXTM3U")) {
			return &playlist.Media{}, nil
		}
	}
	return playlist.Unmarshal(data)
}

// checkSupported rejects what the ingest cannot carry faithfully yet.
func checkSupported(m *playlist.Media) error {
	if m.Map != nil {
		return fmt.Errorf("%w: EXT-X-MAP (fMP4 init section)", ErrUnsupported)
	}
	for _, s := range m.Segments {
		if s.ByteRangeLength != nil {
			return fmt.Errorf("%w: EXT-X-BYTERANGE on %s", ErrUnsupported, s.URI)
		}
		if s.Key != nil && s.Key.Method != playlist.MediaKeyMethodNone {
			return fmt.Errorf("%w: EXT-X-KEY method %s", ErrUnsupported, s.Key.Method)
		}
	}
	return nil
}

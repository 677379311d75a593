package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Stream is what the gateway serves: a live channel's renditions and the
// segments held locally. The runtime implements it; every method must be
// safe for concurrent use.
type Stream interface {
	// Renditions returns the channel's variants, in the order the
	// multivariant playlist lists them.
	Renditions() []Rendition
	// Segments returns the announced segments of a rendition still in the
	// live window, oldest first (increasing Sequence). Unknown renditions
	// have none.
	Segments(rendition uint8) []SegmentInfo
	// ReadSegment returns the bytes of a Ready segment. It returns an error
	// wrapping ErrNotFound when the segment is gone or unknown.
	ReadSegment(ctx context.Context, rendition uint8, seq uint64) ([]byte, error)
}

// Rendition is one variant stream of the channel (RFC 8216 section 4.3.4.2).
type Rendition struct {
	Index      uint8  // rendition number, as in live.Segment.Rendition and the URL path
	Bandwidth  int    // peak bit rate in bits/s; 0 means unknown, estimated from the segments
	Resolution string // "WIDTHxHEIGHT", optional
	Codecs     string // RFC 6381 codecs list, e.g. "avc1.64001f,mp4a.40.2", optional
}

// SegmentInfo describes one announced segment of a rendition.
type SegmentInfo struct {
	Sequence      uint64        // media sequence number, increasing
	Duration      time.Duration // EXTINF
	Time          time.Time     // broadcaster wall clock at the segment's start
	Discontinuity bool          // EXT-X-DISCONTINUITY before this segment
	Size          int64         // bytes
	Ready         bool          // every byte verified and held locally
	// Skipped marks a segment that will not become Ready here (the engine
	// gave up on it or never wanted it): playlists pass over it, with a
	// discontinuity, instead of stopping before it.
	Skipped bool
}

// passed reports whether a playlist passes over s: skipped and not Ready.
func (s SegmentInfo) passed() bool { return s.Skipped && !s.Ready }

// End returns the broadcaster wall clock at the segment's end.
func (s SegmentInfo) End() time.Time { return s.Time.Add(s.Duration) }

// ErrNotFound reports a rendition or segment that does not exist, or no
// longer does. Stream.ReadSegment returns it for evicted segments; the
// gateway answers 404.
var ErrNotFound = errors.New("gateway: not found")

var (
	// errNotReady is wrapped in a retryError: 503 with Retry-After.
	errNotReady = errors.New("gateway: not ready yet")
	// errMethod is answered 405 with an Allow header.
	errMethod = errors.New("gateway: method not allowed")
)

// retryError asks the client to come back after a delay (503 Retry-After).
type retryError struct {
	err   error
	after time.Duration
}

func (e *retryError) Error() string { return e.err.Error() }
func (e *retryError) Unwrap() error { return e.err }

// notReady returns an error the adapter answers with 503 and Retry-After.
func notReady(after time.Duration, what string) error {
	return &retryError{err: fmt.Errorf("%w: %s", errNotReady, what), after: after}
}

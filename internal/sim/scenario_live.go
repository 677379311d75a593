package sim

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/shoal-p2p/shoal/internal/live"
	"github.com/shoal-p2p/shoal/internal/swarm"
	"github.com/shoal-p2p/shoal/internal/wire"
)

// LiveSpec is a live stream: the broadcaster publishes one segment per
// Segment duration per rendition for Stream, and every viewer plays each
// segment TargetLatency after its start on the broadcaster's clock. Zero
// fields take the defaults below.
type LiveSpec struct {
	// BitrateMbps is the bitrate of rendition 0 (required).
	BitrateMbps float64 `json:"bitrate_mbps"`
	// Segment is the duration of a segment (default 2s, whole milliseconds).
	Segment Duration `json:"segment,omitempty"`
	// ChunkSize is the size of a chunk of a segment (default 64KiB).
	ChunkSize ByteSize `json:"chunk_size,omitempty"`
	// Renditions is how many renditions the broadcaster publishes (default
	// 1): rendition i runs at BitrateMbps / 2^i. Viewers fetch every
	// rendition, as the runtime does today.
	Renditions int `json:"renditions,omitempty"`
	// TargetLatency is how far behind the broadcaster playback runs
	// (default 6s, the engine's).
	TargetLatency Duration `json:"target_latency,omitempty"`
	// Stream is how long the broadcaster publishes (required).
	Stream Duration `json:"stream"`
	// WindowSegments is the engines' window per rendition (default 10).
	WindowSegments int `json:"window_segments,omitempty"`
	// PushPeers is how many peers the broadcaster pushes each chunk to
	// (default 3, the engine's).
	PushPeers int `json:"push_peers,omitempty"`
	// OriginPoll is how often viewers poll the origin's announcements
	// when the origin is enabled: "auto" (default: half a segment, within
	// [250ms, 5s], as the runtime does), "off" or a duration.
	OriginPoll Poll `json:"origin_poll,omitzero"`
}

// Live defaults filled by WithDefaults.
const (
	DefaultSegment        = 2 * time.Second
	DefaultChunkSize      = 64 << 10
	DefaultTargetLatency  = swarm.DefaultTargetLatency
	DefaultWindowSegments = 10
	maxRenditions         = 8
)

// Poll is the origin announcement poll period; its text form is "auto",
// "off" or a duration.
type Poll struct {
	Off   bool
	Every time.Duration // 0: auto
}

// MarshalText formats p.
func (p Poll) MarshalText() ([]byte, error) {
	switch {
	case p.Off:
		return []byte("off"), nil
	case p.Every == 0:
		return []byte("auto"), nil
	}
	return []byte(p.Every.String()), nil
}

// UnmarshalText parses the text form.
func (p *Poll) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	switch s {
	case "auto", "":
		*p = Poll{}
		return nil
	case "off":
		*p = Poll{Off: true}
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return fmt.Errorf("bad origin poll %q (want auto, off or a duration)", text)
	}
	*p = Poll{Every: d}
	return nil
}

// period returns the poll period for segments of duration seg, 0 if off.
func (p Poll) period(seg time.Duration) time.Duration {
	switch {
	case p.Off:
		return 0
	case p.Every > 0:
		return p.Every
	}
	return min(max(seg/2, 250*time.Millisecond), 5*time.Second)
}

func (l LiveSpec) withDefaults() LiveSpec {
	if l.Segment == 0 {
		l.Segment = Duration(DefaultSegment)
	}
	if l.ChunkSize == 0 {
		l.ChunkSize = DefaultChunkSize
	}
	if l.Renditions == 0 {
		l.Renditions = 1
	}
	if l.TargetLatency == 0 {
		l.TargetLatency = Duration(DefaultTargetLatency)
	}
	if l.WindowSegments == 0 {
		l.WindowSegments = DefaultWindowSegments
	}
	return l
}

// rendBitrate returns rendition r's bitrate in bytes/s.
func (l LiveSpec) rendBitrate(r int) float64 { return mbps(l.BitrateMbps) / float64(int(1)<<r) }

// segmentSize returns the size in bytes of a segment of rendition r.
func (l LiveSpec) segmentSize(r int) int {
	return int(math.Round(l.rendBitrate(r) * time.Duration(l.Segment).Seconds()))
}

// segments returns how many segments per rendition the stream has.
func (l LiveSpec) segments() int { return int(time.Duration(l.Stream) / time.Duration(l.Segment)) }

// validateLive checks the live section, the broadcaster and the sections
// that only apply to files.
func (sc Scenario) validateLive(bad func(string, string, ...any) error) error {
	l := sc.Live
	seg := time.Duration(l.Segment)
	switch {
	case sc.Seeder != (Seeder{}):
		return bad("seeder", "is for file scenarios; live uses broadcaster")
	case sc.Engine != (EngineSpec{}):
		return bad("engine", "block_size and upload_slots are for file scenarios")
	case !(sc.Broadcaster.UpMbps > 0 && finite(sc.Broadcaster.UpMbps)):
		return bad("broadcaster.up_mbps", "must be positive")
	case !(l.BitrateMbps > 0 && l.BitrateMbps <= 1000):
		return bad("live.bitrate_mbps", "%v not in (0, 1000]", l.BitrateMbps)
	case seg <= 0 || seg > live.MaxDuration || seg%time.Millisecond != 0:
		return bad("live.segment", "%v is not a whole number of milliseconds in (0, %v]", seg, live.MaxDuration)
	case l.ChunkSize < live.MinChunkSize || l.ChunkSize > live.MaxChunkSize:
		return bad("live.chunk_size", "%d not in [1KiB, 1MiB]", l.ChunkSize)
	case l.Renditions < 1 || l.Renditions > maxRenditions:
		return bad("live.renditions", "%d not in [1, %d]", l.Renditions, maxRenditions)
	case l.TargetLatency <= 0 || l.TargetLatency%Duration(time.Millisecond) != 0:
		return bad("live.target_latency", "must be a positive whole number of milliseconds")
	case l.Stream < l.Segment:
		return bad("live.stream", "%v is shorter than one segment", time.Duration(l.Stream))
	case l.segments() > 1<<20:
		return bad("live.stream", "more than 2^20 segments")
	case l.WindowSegments < 2 || l.WindowSegments > 1024:
		return bad("live.window_segments", "%d not in [2, 1024]", l.WindowSegments)
	case l.PushPeers < 0:
		return bad("live.push_peers", "negative")
	}
	for r := range l.Renditions {
		size := l.segmentSize(r)
		chunks := (size + int(l.ChunkSize) - 1) / int(l.ChunkSize)
		switch {
		case size < 1 || size > live.MaxSegmentSize:
			return bad("live.bitrate_mbps", "rendition %d has segments of %d bytes, want 1..64MiB", r, size)
		case chunks > wire.MaxLiveChunks || 200+32*chunks > wire.MaxAnnounceSize:
			return bad("live.chunk_size", "too small: rendition %d has %d chunks per segment", r, chunks)
		}
	}
	return nil
}

// DefaultLiveScenario returns the live scenario `shoal sim` runs when only
// live flags are given: 100 viewers with mixed uploads watching 3 Mbit/s
// for two minutes, with an origin as safety net.
func DefaultLiveScenario() Scenario {
	return Scenario{
		Name: "live-default",
		Seed: 1,
		Live: &LiveSpec{BitrateMbps: 3, Stream: Duration(2 * time.Minute)},
		Audience: Audience{
			Count: 100,
			Upload: Upload{Classes: []UploadClass{
				{Share: 0.5, UpMbps: 2}, {Share: 0.3, UpMbps: 5}, {Share: 0.2, UpMbps: 10},
			}},
		},
		Broadcaster: Seeder{UpMbps: 20},
		Origin:      Origin{Enabled: true, Mbps: 1000},
	}
}

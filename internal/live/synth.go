package live

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"
)

// synthClip is the clip a SynthSource loops: 4 MPEG-TS segments of 2 s,
// made by the ffmpeg command in testdata/clip/README.txt.
//
//go:embed testdata/clip/*.ts
var synthClip embed.FS

// SynthSegmentDuration is the duration of every segment of the embedded
// clip, and so of every segment a SynthSource emits.
const SynthSegmentDuration = 2 * time.Second

// SynthConfig configures a SynthSource. Its zero value is ready to use.
type SynthConfig struct {
	// SegmentDuration is the duration of each segment. The timestamps in
	// the clip fix it, so zero (the default) and SynthSegmentDuration are
	// the only values accepted.
	SegmentDuration time.Duration
	// Backlog is how many segments are ready at start, emitted at once:
	// the stream behaves as if it had begun Backlog segment durations
	// before Run, so a player can start without waiting. 0 emits none.
	Backlog int
	// Logger receives the start message; nil means slog.Default().
	Logger *slog.Logger
	// Now is the broadcaster's clock; nil means time.Now.
	Now func() time.Time
	// After waits until the next segment is complete; nil means
	// time.After. Tests inject both to step the source.
	After func(time.Duration) <-chan time.Time
}

// SynthSource is a live stream that needs nothing outside the binary: a
// short clip compiled in, replayed forever in real time with its
// timestamps and continuity counters rewritten so that players see one
// continuous stream (for shoal demo and tests).
type SynthSource struct {
	loop    *tsLoop
	dur     time.Duration
	backlog int
	log     *slog.Logger
	now     func() time.Time
	after   func(time.Duration) <-chan time.Time
}

// NewSynthSource validates cfg and prepares the clip.
func NewSynthSource(cfg SynthConfig) (*SynthSource, error) {
	if cfg.SegmentDuration != 0 && cfg.SegmentDuration != SynthSegmentDuration {
		return nil, fmt.Errorf("live: synth source: segment duration %v, the clip is cut in segments of %v", cfg.SegmentDuration, SynthSegmentDuration)
	}
	if cfg.Backlog < 0 {
		return nil, fmt.Errorf("live: synth source: backlog %d is negative", cfg.Backlog)
	}
	clip, err := readSynthClip(synthClip)
	if err != nil {
		return nil, err
	}
	period := uint64(len(clip)) * uint64(SynthSegmentDuration/time.Millisecond) * 90 // 90 kHz
	loop, err := newTSLoop(clip, period)
	if err != nil {
		return nil, fmt.Errorf("live: synth source: %w", err)
	}
	s := &SynthSource{loop: loop, dur: SynthSegmentDuration, backlog: cfg.Backlog, log: cfg.Logger, now: cfg.Now, after: cfg.After}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.after == nil {
		s.after = time.After
	}
	return s, nil
}

// readSynthClip returns the clip's segments seg0.ts, seg1.ts, … in order.
func readSynthClip(fsys fs.FS) ([][]byte, error) {
	var clip [][]byte
	for i := 0; ; i++ {
		data, err := fs.ReadFile(fsys, fmt.Sprintf("testdata/clip/seg%d.ts", i))
		if errors.Is(err, fs.ErrNotExist) && i > 0 {
			return clip, nil
		}
		if err != nil {
			return nil, fmt.Errorf("live: synth source: clip: %w", err)
		}
		clip = append(clip, data)
	}
}

// Run emits segment 0, 1, 2, … of the stream on out, each as soon as its
// end time has passed on the clock, like a live encoder finishing it. The
// stream starts when Run is called (minus the backlog); segment n starts n
// segment durations later, its ProgramDateTime. Run returns ctx.Err() when
// ctx ends and does not close out.
func (s *SynthSource) Run(ctx context.Context, out chan<- Segment) error {
	start := s.now().Add(-time.Duration(s.backlog) * s.dur)
	s.log.Info("live: synthetic stream started", "segment_duration", s.dur, "clip_segments", len(s.loop.segs), "backlog", s.backlog)
	for n := uint64(0); ; n++ {
		begin := start.Add(time.Duration(n) * s.dur)
		if err := s.waitUntil(ctx, begin.Add(s.dur)); err != nil {
			return err
		}
		data, err := s.loop.segment(n)
		if err != nil {
			return fmt.Errorf("live: synth source: segment %d: %w", n, err)
		}
		seg := Segment{
			Sequence:        n,
			Duration:        s.dur,
			Data:            data,
			ProgramDateTime: begin.Round(0), // wall clock only
			URI:             fmt.Sprintf("synth/%d.ts", n),
		}
		select {
		case out <- seg:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// waitUntil returns once the clock reads t or later, or ctx.Err().
func (s *SynthSource) waitUntil(ctx context.Context, t time.Time) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		d := t.Sub(s.now())
		if d <= 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.after(d):
		}
	}
}

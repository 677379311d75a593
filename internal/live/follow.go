package live

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/bluenviron/gohlslib/v2/pkg/playlist"
)

// rendition is the follower's state for one media playlist. Memory is
// bounded: besides a few counters it keeps at most recentSegments records.
type rendition struct {
	index  uint8
	ref    string        // media playlist reference
	base   string        // what segment URIs resolve against
	target time.Duration // EXT-X-TARGETDURATION, 0 until known

	loaded      bool      // a playlist was read and parsed once
	started     bool      // next and prevFirst are set
	next        uint64    // next media sequence number to emit, in playlist numbering
	offset      uint64    // added to playlist numbering after restarts
	prevFirst   uint64    // highest EXT-X-MEDIA-SEQUENCE seen since the last restart
	edge        uint64    // one past the newest listed sequence, output numbering
	progress    time.Time // clock when edge last grew
	pendingDisc bool      // the next emitted segment is a discontinuity
	ended       bool      // ENDLIST seen and everything emitted
	restarts    int       // encoder restarts seen
	recent      []record  // last emitted segments, oldest first
}

// record remembers an emitted segment to notice when its bytes change.
type record struct {
	seq     uint64 // playlist numbering
	uri     string
	ref     string
	size    int64
	warned  bool
	restart int // restarts seen when it was emitted
}

// pending is a listed segment not emitted yet.
type pending struct {
	seq  uint64 // playlist numbering
	seg  *playlist.MediaSegment
	pdt  time.Time
	disc bool
}

func (r *rendition) interval() time.Duration {
	if r.target <= 0 {
		return defaultTarget / 2
	}
	return r.target / 2
}

func (r *rendition) checkStall(now time.Time) error {
	target := r.target
	if target <= 0 {
		target = defaultTarget
	}
	if idle := now.Sub(r.progress); idle > stallFactor*target {
		return fmt.Errorf("%w: rendition %d listed no new segment for %v (target duration %v)", ErrStalled, r.index, idle, target)
	}
	return nil
}

// plan updates the rendition from a freshly read playlist and returns the
// listed segments not emitted yet, in order. It is pure but for logging.
func (r *rendition) plan(m *playlist.Media, now time.Time, backlog int, log *slog.Logger) []pending {
	if m.TargetDuration > 0 {
		r.target = time.Duration(m.TargetDuration) * time.Second
	}
	n := uint64(len(m.Segments))
	if n == 0 {
		return nil
	}
	first := uint64(m.MediaSequence)
	newest := first + n - 1
	switch {
	case !r.started:
		r.started, r.prevFirst = true, first
		r.next = first
		if backlog > 0 && n > uint64(backlog) {
			r.next = newest + 1 - uint64(backlog)
		}
		r.edge, r.progress = r.next, now
	case newest < r.prevFirst:
		// The whole playlist is older than the previous one: the encoder
		// restarted its numbering. Continue ours after the last emitted.
		log.Warn("live: media sequence went back, assuming an encoder restart",
			"rendition", r.index, "from", r.prevFirst, "to", first)
		r.offset = r.next + r.offset - first
		r.next, r.prevFirst, r.pendingDisc = first, first, true
		r.restarts++
	case first > r.next:
		log.Warn("live: segments left the playlist before they could be read",
			"rendition", r.index, "first_missed", r.next+r.offset, "missed", first-r.next)
		r.next = first
	}
	r.prevFirst = max(r.prevFirst, first)
	if edge := newest + 1 + r.offset; edge > r.edge {
		r.edge, r.progress = edge, now
	}
	if r.next > newest {
		return nil
	}
	pdts := programDateTimes(m.Segments)
	batch := make([]pending, 0, newest+1-r.next)
	for i := r.next - first; i < n; i++ {
		s := m.Segments[i]
		pdt := pdts[i]
		if pdt.IsZero() {
			pdt = now
		}
		batch = append(batch, pending{seq: first + i, seg: s, pdt: pdt, disc: s.Discontinuity})
	}
	return batch
}

// programDateTimes returns the EXT-X-PROGRAM-DATE-TIME of each segment,
// derived from an earlier one plus durations when a segment has none (RFC
// 8216 section 4.3.2.6), or zero when unknown.
func programDateTimes(segs []*playlist.MediaSegment) []time.Time {
	out := make([]time.Time, len(segs))
	for i, s := range segs {
		switch {
		case s.DateTime != nil:
			out[i] = *s.DateTime
		case i > 0 && !out[i-1].IsZero() && !s.Discontinuity:
			out[i] = out[i-1].Add(segs[i-1].Duration)
		}
	}
	return out
}

// poll reloads the media playlist of r, emits what is new and reports a
// stall. Errors it returns end Run.
func (f *follower) poll(ctx context.Context, r *rendition, out chan<- Segment) error {
	now := f.opts.now()
	m, err := f.load(ctx, r)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		if !r.loaded {
			return err
		}
		f.opts.log.Warn("live: reload playlist", "rendition", r.index, "playlist", r.ref, "err", err)
		return r.checkStall(now)
	}
	if err := checkSupported(m); err != nil {
		return fmt.Errorf("rendition %d: %w", r.index, err)
	}
	if !r.loaded {
		r.loaded, r.progress = true, now
	}
	batch := r.plan(m, now, f.opts.backlog, f.opts.log)
	f.checkChanged(r, m)
	for _, p := range batch {
		ok, err := f.emit(ctx, r, p, out)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
	}
	if m.Endlist && r.next >= uint64(m.MediaSequence)+uint64(len(m.Segments)) {
		r.ended = true
		return nil
	}
	return r.checkStall(now)
}

// load reads and parses the media playlist of r.
func (f *follower) load(ctx context.Context, r *rendition) (*playlist.Media, error) {
	data, base, err := f.fetch.read(ctx, r.ref, maxPlaylistSize)
	if err != nil {
		if !r.loaded && errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s", ErrNoPlaylist, r.ref)
		}
		return nil, fmt.Errorf("live: read playlist %s: %w", r.ref, err)
	}
	pl, err := parsePlaylist(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadPlaylist, r.ref, err)
	}
	m, ok := pl.(*playlist.Media)
	if !ok {
		return nil, fmt.Errorf("%w: %s: a variant names a multivariant playlist", ErrBadPlaylist, r.ref)
	}
	r.base = base
	return m, nil
}

// emit reads one pending segment and sends it. It reports false when the
// segment cannot be read yet and the rest of the batch must wait for the
// next poll; a segment that is gone or too large is skipped with a warning.
func (f *follower) emit(ctx context.Context, r *rendition, p pending, out chan<- Segment) (bool, error) {
	log := f.opts.log.With("rendition", r.index, "sequence", p.seq+r.offset, "uri", p.seg.URI)
	if p.seg.Gap {
		r.skip(p)
		return true, nil
	}
	ref, err := f.fetch.resolve(r.base, p.seg.URI)
	if err != nil {
		log.Warn("live: segment skipped", "err", err)
		r.skip(p)
		return true, nil
	}
	data, _, err := f.fetch.read(ctx, ref, f.opts.maxSegment)
	switch {
	case ctx.Err() != nil:
		return false, ctx.Err()
	case errors.Is(err, fs.ErrNotExist):
		log.Warn("live: segment left before it could be read", "err", err)
		r.skip(p)
		return true, nil
	case errors.Is(err, errTooLarge):
		log.Warn("live: segment skipped", "err", err, "limit", f.opts.maxSegment)
		r.skip(p)
		return true, nil
	case err != nil:
		log.Warn("live: read segment, retrying at the next poll", "err", err)
		return false, nil
	}
	for _, rec := range r.recent {
		if rec.uri == p.seg.URI && rec.size != int64(len(data)) {
			log.Warn("live: segment URI reused with different content", "size", len(data), "earlier_size", rec.size)
			break
		}
	}
	seg := Segment{
		Rendition:       r.index,
		Sequence:        p.seq + r.offset,
		Duration:        p.seg.Duration,
		Data:            data,
		ProgramDateTime: p.pdt,
		Discontinuity:   p.disc || r.pendingDisc,
		URI:             p.seg.URI,
	}
	select {
	case out <- seg:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	r.pendingDisc = false
	r.next = p.seq + 1
	r.remember(record{seq: p.seq, uri: p.seg.URI, ref: ref, size: int64(len(data)), restart: r.restarts})
	return true, nil
}

// skip passes over a segment that will never be emitted, carrying its
// discontinuity to the next one.
func (r *rendition) skip(p pending) {
	r.pendingDisc = r.pendingDisc || p.disc
	r.next = p.seq + 1
}

func (r *rendition) remember(rec record) {
	if len(r.recent) == recentSegments {
		copy(r.recent, r.recent[1:])
		r.recent = r.recent[:len(r.recent)-1]
	}
	r.recent = append(r.recent, rec)
}

// checkChanged warns, once per segment, when an emitted segment that the
// playlist still lists under the same URI has changed size since. It only
// looks where the size is cheap to learn (a folder). Segments are never
// emitted twice.
func (f *follower) checkChanged(r *rendition, m *playlist.Media) {
	first := uint64(m.MediaSequence)
	for i := range r.recent {
		rec := &r.recent[i]
		if rec.warned || rec.restart != r.restarts || rec.seq < first || rec.seq-first >= uint64(len(m.Segments)) {
			continue
		}
		if m.Segments[rec.seq-first].URI != rec.uri {
			continue
		}
		if size, ok := f.fetch.size(rec.ref); ok && size != rec.size {
			f.opts.log.Warn("live: segment changed after it was emitted; not emitting it again",
				"rendition", r.index, "sequence", rec.seq+r.offset, "uri", rec.uri, "size", size, "emitted_size", rec.size)
			rec.warned = true
		}
	}
}

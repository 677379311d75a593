package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shoal-p2p/shoal/internal/live"
	"github.com/shoal-p2p/shoal/internal/piece"
)

// sourceBuffer is how many segments may wait between the source and the
// signer; the source blocks beyond it.
const sourceBuffer = 8

// published is a segment signed and ready for the engine.
type published struct {
	ann  live.Announcement
	raw  []byte // signed canonical encoding
	data []byte
}

// runSource starts the broadcaster's pipeline on two goroutines owned by
// the loop: the source emits segments; the signer cuts each into chunks,
// signs its announcement (hashing stays off the loop) and hands it to the
// loop, which publishes it. When the source returns, the signer reports
// how it ended once every segment before is handed over.
func (l *loop) runSource(ctx context.Context, ln *liveNode) {
	segs := make(chan live.Segment, sourceBuffer)
	var srcErr error // written before segs is closed, read after
	l.go_(func() {
		srcErr = ln.cfg.Source.Run(ctx, segs)
		close(segs)
	})
	l.go_(func() {
		stopping := false
		for seg := range segs {
			if stopping {
				continue // drain until the source sees ctx end
			}
			if !l.number(ln, &seg) {
				continue // published before a restart
			}
			if !l.sealSegment(&seg) {
				continue // private channel: never published unencrypted (access_seal.go)
			}
			p, err := sign(l.n.cfg.Swarm, ln.cfg, seg)
			if err != nil {
				l.n.log.Warn("live: segment skipped", "rendition", seg.Rendition, "sequence", seg.Sequence, "err", err)
				continue
			}
			stopping = !l.send(evPublish{seg: p})
		}
		if !stopping {
			l.send(evSourceDone{err: srcErr})
		}
	})
}

// number gives seg its published sequence number (live_sequence.go) and
// reports false for a segment published before a restart.
func (l *loop) number(ln *liveNode, seg *live.Segment) bool {
	src := seg.Sequence
	ok, err := ln.seq.assign(seg)
	if err != nil {
		l.n.log.Warn("live: sequence numbering not saved; a restart may reuse numbers", "err", err)
	}
	if !ok {
		l.n.log.Info("live: segment published before the restart skipped", "rendition", seg.Rendition, "source_sequence", src)
	} else if seg.Sequence != src {
		l.n.log.Debug("live: renumbered", "rendition", seg.Rendition, "source_sequence", src, "sequence", seg.Sequence)
	}
	return ok
}

// sign builds and signs the announcement of seg.
func sign(channel piece.ID, lc *LiveConfig, seg live.Segment) (published, error) {
	a, err := live.NewAnnouncement(channel, seg, lc.ChunkSize)
	if err != nil {
		return published{}, err
	}
	if err := a.Sign(lc.Signer); err != nil {
		return published{}, err
	}
	return published{ann: a, raw: a.Append(nil), data: seg.Data}, nil
}

// publish hands a signed segment to the engine and, once it is accepted,
// to the origin.
func (l *loop) publish(p published, now time.Time) {
	ln := l.n.live
	if err := l.eng.Publish(p.ann, p.data, now); err != nil {
		l.n.log.Warn("live: publish refused", "rendition", p.ann.Rendition, "sequence", p.ann.Sequence, "err", err)
		return
	}
	ln.store.add(p.ann.Rendition, p.ann.Sequence, p.raw, p.data)
	ln.mu.Lock()
	ln.stats.Published++
	ln.stats.PublishedBytes += int64(len(p.data))
	ln.mu.Unlock()
	l.n.log.Debug("live: published", "rendition", p.ann.Rendition, "sequence", p.ann.Sequence, "bytes", len(p.data))
}

// sourceDone handles the end of the source: an ended stream stops the node
// after a grace period that lets viewers fetch the last segments; a failed
// source stops it at once with the error.
func (l *loop) sourceDone(err error) {
	switch {
	case err == nil:
		grace := 2 * l.n.live.cfg.TargetLatency
		l.n.log.Info("live: source ended; stopping after a grace period", "grace", grace)
		l.go_(func() {
			t := time.NewTimer(grace)
			defer t.Stop()
			select {
			case <-t.C:
				l.send(evLiveEnd{})
			case <-l.done:
			}
		})
	case errors.Is(err, context.Canceled):
		// The node is stopping.
	case errors.Is(err, live.ErrStalled):
		l.engErr = fmt.Errorf("node: live source: no new segment for three target durations (is the encoder still running?): %w", err)
	case errors.Is(err, live.ErrNoPlaylist):
		l.engErr = fmt.Errorf("node: live source: %w (start the encoder first, or check the path)", err)
	default:
		l.engErr = fmt.Errorf("node: live source: %w", err)
	}
}

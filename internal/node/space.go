package node

import (
	"errors"
	"strings"
	"time"

	"github.com/shoal-p2p/shoal/internal/store"
)

// defaultSpacePoll is how often a download paused on a full disk checks
// free space again (Config.SpacePoll).
const defaultSpacePoll = 5 * time.Second

// A full disk pauses a download instead of ending it (docs/design.md):
//
//   - A piece that verified but could not be written is not reported to
//     the engine, so it is never marked held; its blocks stay in memory
//     (within the engine's bound on pieces in flight) until they can be
//     written. Whatever part of it reached the disk is rewritten then, and
//     a restart would re-verify it and find it missing.
//   - The engine is paused: no new requests or web-seed fetches; blocks
//     already requested are still taken, and serving peers goes on.
//   - Free space is checked every Config.SpacePoll. When the rest of the
//     download fits, what setup was left undone is finished, the waiting
//     pieces are written, and the engine resumes once they all are.
type spacePause struct {
	err      error       // why fetching is paused; nil while it runs
	pending  []*storeJob // verified pieces waiting to be written
	polling  bool        // a space poller runs
	retrying int         // pending pieces being written again
}

// storeJob is a verified piece to write into storage.
type storeJob struct {
	index  int
	off    int64
	blocks [][]byte
	retry  bool // a write again after the disk was full
}

type (
	// evSpace reports the poller's finding: nil when the rest of the
	// download fits, else the current shortfall.
	evSpace struct{ err error }
)

// onVerified hands a piece's verification and write result to the engine.
// A piece that could not be written for lack of space waits, and the
// download pauses; any other write error ends the node.
func (l *loop) onVerified(ev evVerified, now time.Time) {
	sp := &l.space
	if ev.job != nil && ev.job.retry {
		sp.retrying--
	}
	switch {
	case ev.err == nil:
		l.eng.PieceVerified(ev.index, ev.ok, now)
	case store.IsNoSpace(ev.err) && ev.job != nil:
		sp.pending = append(sp.pending, ev.job)
		l.pauseForSpace(ev.err, now)
	default:
		l.engErr = ev.err
		return
	}
	if ev.job != nil && ev.job.retry && sp.retrying == 0 {
		l.afterRetry(now)
	}
}

// pauseForSpace pauses fetching because of err, a lack of space, and
// starts checking for space unless it is already doing so.
func (l *loop) pauseForSpace(err error, now time.Time) {
	sp := &l.space
	if sp.err == nil {
		l.n.log.Warn("disk full: download paused; it resumes when space is freed", "dir", l.n.cfg.OutDir, "err", err)
		l.eng.Pause(true, now)
	}
	sp.err = err
	if !sp.polling && sp.retrying == 0 {
		l.pollSpace()
	}
}

// pauseIfSetUpShort pauses when the content's setup stopped short for
// lack of space (the pre-check, or saving the manifest).
func (l *loop) pauseIfSetUpShort(now time.Time) {
	if err := l.n.content.takeSpaceErr(); err != nil {
		l.pauseForSpace(err, now)
	}
}

// pollSpace checks every SpacePoll, off the loop, whether the rest of the
// download fits, and reports each finding until one is nil.
func (l *loop) pollSpace() {
	l.space.polling = true
	need := l.remaining()
	check, dir, every := l.n.cfg.SpaceCheck, l.n.cfg.OutDir, l.n.cfg.SpacePoll
	l.go_(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
			case <-l.done:
				return
			}
			err := check(dir, need)
			if !store.IsNoSpace(err) {
				err = nil // unknown: try writing, which tells
			}
			if !l.send(evSpace{err: err}) || err == nil {
				return
			}
		}
	})
}

// onSpace handles a poller's finding: a shortfall updates the reason; room
// finishes setup and writes the waiting pieces again.
func (l *loop) onSpace(ev evSpace, now time.Time) {
	sp := &l.space
	if ev.err != nil {
		sp.err = ev.err
		return
	}
	sp.polling = false
	if err := l.n.content.finishSetUp(); err != nil {
		if !store.IsNoSpace(err) {
			l.engErr = err
			return
		}
		l.pauseForSpace(err, now)
		return
	}
	jobs := sp.pending
	sp.pending = nil
	if len(jobs) == 0 {
		l.afterRetry(now)
		return
	}
	sp.retrying = len(jobs)
	for _, j := range jobs {
		j.retry = true
		l.go_(func() {
			err := l.n.content.writePiece(j.index, j.off, j.blocks)
			l.send(evVerified{index: j.index, ok: true, err: err, job: j})
		})
	}
}

// afterRetry resumes fetching if every waiting piece is written, or goes
// back to checking for space.
func (l *loop) afterRetry(now time.Time) {
	sp := &l.space
	if len(sp.pending) > 0 {
		l.pollSpace()
		return
	}
	if sp.err != nil {
		l.n.log.Info("space available again: download resumed", "dir", l.n.cfg.OutDir)
	}
	sp.err = nil
	l.eng.Pause(false, now)
}

// remaining returns the bytes of content not yet verified and stored.
func (l *loop) remaining() int64 {
	m := l.eng.Manifest()
	if m == nil {
		return 0
	}
	return m.Length() - haveBytes(m, l.eng.Have())
}

// pausedReason is the message Stats.Paused shows, empty while running.
func (sp *spacePause) pausedReason() string {
	if sp.err == nil {
		return ""
	}
	why := "no space left on device"
	var se *store.SpaceError
	if errors.As(sp.err, &se) {
		why = strings.TrimPrefix(se.Error(), "store: ")
	}
	return "paused, disk full (" + why + "); resumes when space is freed"
}

// takeSpaceErr returns, once, why setting up storage stopped short for
// lack of space; nil if it did not.
func (c *content) takeSpaceErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	err := c.spaceErr
	c.spaceErr = nil
	return err
}

// finishSetUp does what a full disk left undone: saving the manifest and
// creating the staging area. An error wrapping store.ErrNoSpace means the
// disk is still full.
func (c *content) finishSetUp() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.unsaved {
		if err := c.saveManifest(); err != nil {
			return err
		}
	}
	if c.unopened {
		if err := c.prepare(c.m); err != nil {
			return err
		}
	}
	err := c.spaceErr
	c.spaceErr = nil
	return err
}

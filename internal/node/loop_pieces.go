package node

import (
	"context"
	"time"

	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/swarm"
)

// The loop's work on file pieces: verifying and storing them, fetching
// them from web seeds, finishing the download, and the figures.

// verify hashes a completed piece off the loop, stores it when it matches,
// and reports back. Hashing runs on at most GOMAXPROCS goroutines at once.
func (l *loop) verify(a swarm.Verify) {
	m := l.n.content.manifest()
	want := m.Pieces[a.Index]
	job := &storeJob{index: a.Index, off: m.PieceOffset(a.Index), blocks: a.Blocks}
	l.go_(func() {
		select {
		case l.cpu <- struct{}{}:
		case <-l.done:
			return
		}
		ok := piece.VerifyPiece(want, a.Blocks...)
		<-l.cpu
		var err error
		if ok {
			err = l.n.content.writePiece(job.index, job.off, job.blocks)
		}
		l.send(evVerified{index: a.Index, ok: ok, err: err, job: job})
	})
}

func (l *loop) fetchOrigin(ctx context.Context, index int) {
	m := l.n.content.manifest()
	origins := l.n.cfg.Origins
	base := origins[index%len(origins)]
	l.go_(func() {
		ctx, cancel := context.WithTimeout(ctx, webSeedTimeout(m.PieceLen(index)))
		defer cancel()
		data, err := l.n.origin.Fetch(ctx, base, m, m.PieceOffset(index), m.PieceLen(index))
		l.send(evOrigin{index: index, data: data, err: err})
	})
}

// webSeedTimeout bounds one web-seed fetch of n bytes: 30 s, more for a
// piece that needs it at 128 KiB/s. A hung web seed then frees its slot
// and is retried after a back-off; peers race it meanwhile (the engine).
func webSeedTimeout(n int64) time.Duration {
	return max(30*time.Second, time.Duration(n/(128<<10))*time.Second)
}

// complete finishes a download: the content moves into place and, unless
// the node keeps seeding, the loop ends.
func (l *loop) complete() error {
	l.updateStats(time.Now())
	if l.n.cfg.OutDir == "" {
		return nil
	}
	l.n.log.Debug("every piece verified; moving into place", "elapsed", time.Since(l.started))
	final, err := l.n.content.finalize()
	if err != nil {
		return err
	}
	l.n.setFinal()
	l.n.log.Info("download complete", "path", final, "elapsed", time.Since(l.started))
	l.updateStats(time.Now())
	if !l.n.cfg.Seed {
		l.finished = true
	}
	return nil
}

func (l *loop) updateStats(now time.Time) {
	es := l.eng.Stats()
	st := Stats{
		PiecesHave:      es.PiecesHave,
		PiecesTotal:     es.PiecesTotal,
		BytesFromPeers:  es.BytesFromPeers,
		BytesFromOrigin: es.BytesFromOrigin,
		BytesUploaded:   es.BytesUploaded,
		BytesWasted:     es.BytesWasted,
		DownRate:        es.DownRate,
		UpRate:          es.UpRate,
		Peers:           len(l.peers),
		Complete:        l.eng.Done(),
		Elapsed:         now.Sub(l.started),
		Paused:          l.space.pausedReason(),
	}
	if m := l.eng.Manifest(); m != nil {
		st.Total = m.Length()
		st.Have = haveBytes(m, l.eng.Have())
	}
	l.n.mu.Lock()
	l.n.stats = st
	l.n.mu.Unlock()
}

func haveBytes(m *piece.Manifest, b piece.Bitfield) int64 {
	if b.Full() {
		return m.Length()
	}
	var n int64
	for i := 0; i < m.NumPieces(); i++ {
		if b.Has(i) {
			n += m.PieceLen(i)
		}
	}
	return n
}

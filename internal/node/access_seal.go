package node

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/shoal-p2p/shoal/internal/access"
	"github.com/shoal-p2p/shoal/internal/live"
	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/wire"
)

// Live segments of a private channel are sealed by the broadcaster before
// they are chunked and signed (so chunk hashes are over the ciphertext, and
// every peer verifies and relays without a key) and opened by a member's
// node when they are Ready, before the gateway serves them.

const (
	keyringEpochs = 4  // epochs a member keeps keys of
	maxPending    = 64 // Ready segments waiting for their epoch's key
)

// sealSegment encrypts seg's data under the current epoch's key on a
// private channel's broadcaster and reports false when it cannot (the
// segment is then skipped, never published in the clear). Called by the
// signer goroutine once the segment has its published sequence number.
func (l *loop) sealSegment(seg *live.Segment) bool {
	a := l.n.access
	if a == nil {
		return true
	}
	epoch := access.EpochAt(time.Now(), a.cfg.Rotation)
	key := access.EpochKey(a.secret, l.n.cfg.Swarm, epoch)
	sealed, err := access.Seal(key, epoch, access.SegmentAAD(l.n.cfg.Swarm, seg.Rendition, seg.Sequence), seg.Data, nil)
	if err != nil {
		l.n.log.Error("private: segment not sealed; skipped", "rendition", seg.Rendition, "sequence", seg.Sequence, "err", err)
		return false
	}
	seg.Data = sealed
	return true
}

// viewReady hands a Ready segment (a copy the loop owns) to the viewer's
// gateway: as it is on a public channel, its plaintext on a private one (once the epoch's key is
// known). Sealed segments on a node without a token stop the node: the
// channel is private.
func (l *loop) viewReady(r uint8, seq uint64, data []byte) {
	view := l.n.live.view
	switch acc := l.n.access; {
	case acc != nil && acc.keys != nil:
		acc.keys.ready(r, seq, data)
	case access.IsSealed(data):
		l.engErr = fmt.Errorf("node: the channel's segments are encrypted: %w", ErrPrivate)
	default:
		view.ready(r, seq, data)
	}
}

// segRef names a segment of a rendition.
type segRef struct {
	r   uint8
	seq uint64
}

// decryptor opens a member's sealed segments into the viewer's window. The
// loop hands it Ready segments; the key client hands it keys and asks for
// them through want when a segment's epoch has none yet.
type decryptor struct {
	channel piece.ID
	view    *liveView
	log     *slog.Logger
	want    chan struct{} // capacity 1: the key client should fetch now

	mu      sync.Mutex // guards ring, pending and failed
	ring    *access.Keyring
	pending map[segRef][]byte // sealed, waiting for a key
	failed  int
}

func newDecryptor(channel piece.ID, view *liveView, log *slog.Logger) *decryptor {
	return &decryptor{channel: channel, view: view, log: log, want: make(chan struct{}, 1),
		ring: access.NewKeyring(keyringEpochs), pending: make(map[segRef][]byte)}
}

// ready opens a Ready segment, or keeps it until its key arrives.
func (d *decryptor) ready(r uint8, seq uint64, sealed []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.open(segRef{r, seq}, sealed) {
		if len(d.pending) >= maxPending {
			d.dropOldest()
		}
		d.pending[segRef{r, seq}] = sealed
		select {
		case d.want <- struct{}{}:
		default:
		}
	}
}

// add keeps keys and opens the segments that waited for them.
func (d *decryptor) add(keys []wire.EpochKey) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, k := range keys {
		d.ring.Add(k.Epoch, access.Key(k.Key))
	}
	for ref, sealed := range d.pending {
		if d.open(ref, sealed) {
			delete(d.pending, ref)
		}
	}
}

// open decrypts into the view and reports whether the segment is done
// with: opened, or found bad. It reports false only when the epoch's key
// is missing. d.mu must be held.
func (d *decryptor) open(ref segRef, sealed []byte) bool {
	epoch, err := access.SealedEpoch(sealed)
	if err != nil {
		d.fail(ref, err)
		return true
	}
	key, ok := d.ring.Key(epoch)
	if !ok {
		return false
	}
	plain, err := access.Open(key, access.SegmentAAD(d.channel, ref.r, ref.seq), sealed)
	if err != nil {
		d.fail(ref, err)
		return true
	}
	d.view.ready(ref.r, ref.seq, plain)
	return true
}

// fail notes a segment that will never open. d.mu must be held.
func (d *decryptor) fail(ref segRef, err error) {
	d.failed++
	if d.failed == 1 || d.failed%30 == 0 {
		d.log.Warn("private: a segment does not decrypt; skipped", "rendition", ref.r, "sequence", ref.seq, "err", err, "failed", d.failed)
	}
}

// dropOldest forgets the pending segment with the lowest sequence. d.mu
// must be held.
func (d *decryptor) dropOldest() {
	var oldest segRef
	first := true
	for ref := range d.pending {
		if first || ref.seq < oldest.seq {
			oldest, first = ref, false
		}
	}
	delete(d.pending, oldest)
}

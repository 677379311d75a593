package node

import (
	"testing"
	"time"
)

// TestLiveConnectionFlood makes TestConnectionFlood's 10,000 connection
// attempts from 127.0.0.1 (1,000 in -short mode) at a live broadcaster
// while a viewer watches its channel over libp2p: a burst held open past
// the caps, raw TCP connections closed at once or after junk, and full
// libp2p dials. The broadcaster's connections must stay within its caps,
// the memory its resource manager reserves under Limits.Memory, the
// process heap under floodHeapCap; and the viewer must keep playing: no
// segment late or missed, every segment published during the flood but
// the last Ready by its end, one published after it Ready too, and bytes
// still coming from the broadcaster as a peer, not only from its origin.
func TestLiveConnectionFlood(t *testing.T) {
	attempts := 10_000
	if testing.Short() {
		attempts = 1_000
	}
	s := startBroadcaster(t)
	v := s.addViewer(t, s.pub, nil)
	waitFor(t, "the viewer to play two segments", func() bool { return v.LiveStats().Ready >= 2 })
	lim, err := s.b.cfg.Limits.withDefaults(s.b.cfg.MaxPeers)
	if err != nil {
		t.Fatal(err)
	}
	w := watch(t, s.b.host)
	before, published := v.LiveStats(), s.b.LiveStats().Published

	f := newFlood(t, s.b.host, attempts)
	f.burst(lim.ConnsLoopback + lim.transientInbound())
	f.churn()
	duringPub := s.b.LiveStats().Published - published
	during := v.LiveStats() // read second: the last segment counted may still be on its way

	want := before.Ready + duringPub + 1 // one published after the flood
	waitFor(t, "a segment published after the flood at the viewer", func() bool { return v.LiveStats().Ready >= want })
	waitUntil(t, "flood connections gone", func() bool { return w.stat().transientIn == 0 })
	peak := w.stop()
	after := v.LiveStats()

	t.Logf("%d attempts in %s (%d raw TCP, %d libp2p of which %d refused); peak: %d conns (%d inbound, %d handshaking), %d established, reserved %d KiB of %d MiB, heap %d MiB",
		f.made.Load(), f.elapsed.Round(time.Millisecond), f.made.Load()-f.p2p.Load(), f.p2p.Load(), f.p2pFailed.Load(),
		peak.conns, peak.connsIn, peak.transientIn, peak.established, peak.mem>>10, lim.Memory>>20, peak.heap>>20)
	t.Logf("viewer: %d segments published during the flood, %d Ready by its end; before %+v; after %+v",
		duringPub, during.Ready-before.Ready, before, after)
	if got := f.made.Load(); got < int64(attempts) {
		t.Errorf("made %d of %d attempts within %s", got, attempts, floodLimit)
	}
	checkPeak(t, peak, lim)
	if got := during.Ready - before.Ready; got < duringPub-1 {
		t.Errorf("viewer: %d segments Ready during the flood, want at least %d of the %d published", got, duringPub-1, duringPub)
	}
	if after.Late != before.Late || after.Missed != before.Missed {
		t.Errorf("viewer: late %d→%d, missed %d→%d across the flood, want no change", before.Late, after.Late, before.Missed, after.Missed)
	}
	if after.BytesFromPeers <= before.BytesFromPeers {
		t.Errorf("viewer: %d bytes from peers before the flood, %d after; want the broadcaster still serving it", before.BytesFromPeers, after.BytesFromPeers)
	}
}

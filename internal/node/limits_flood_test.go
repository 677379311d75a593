package node

import (
	"context"
	"net"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

const (
	floodLimit     = 60 * time.Second // every attempt must be made within this
	floodRawDialer = 32               // goroutines making raw TCP attempts
	floodP2PDialer = 4                // throwaway libp2p hosts, one goroutine each
	floodP2PEvery  = 50               // one attempt in this many is a full libp2p dial
	// floodHeapCap bounds the test process's heap in use (the seed, the
	// downloader and the flooders together) during and after the flood.
	// With the default limits it peaks near 22 MiB; with the connection
	// caps lifted the same flood leaves ~9,800 connections handshaking at
	// once and the heap passes 80 MiB.
	floodHeapCap = 64 << 20
)

// TestConnectionFlood makes 10,000 connection attempts from 127.0.0.1 at a
// seed with default limits while it serves a real downloader: a burst of
// connections held open past the caps, then raw TCP connections that close
// at once or after a few junk bytes, and full libp2p dials (Noise, yamux,
// identify) from throwaway hosts. The seed's connections must stay within
// its caps, the process heap under floodHeapCap, and the download must
// complete and verify. In -short mode it makes 1,000 attempts.
func TestConnectionFlood(t *testing.T) {
	attempts := 10_000
	if testing.Short() {
		attempts = 1_000
	}
	dir := t.TempDir()
	src, m := fileAndManifest(t, dir, 8<<20, 0)
	// The upload cap stretches the download over the flood.
	seed := start(t, Config{Manifest: m, SharePath: src, UploadRate: 2 << 20})
	lim, err := seed.cfg.Limits.withDefaults(seed.cfg.MaxPeers)
	if err != nil {
		t.Fatal(err)
	}
	w := watch(t, seed.host)
	d := start(t, Config{Swarm: m.ID(), OutDir: filepath.Join(dir, "out"), Peers: seed.Addrs()[:1]})
	waitUntil(t, "download under way", func() bool { return d.Stats().Have > 0 })

	f := newFlood(t, seed.host, attempts)
	if d.Stats().Complete {
		t.Fatal("the download completed before the flood began")
	}
	f.burst(lim.ConnsLoopback + lim.transientInbound())
	f.churn()
	if d.Stats().Complete {
		t.Log("the download completed before the flood ended")
	}
	waitComplete(t, d)
	sameTree(t, src, d.FinalPath())
	waitUntil(t, "flood connections gone", func() bool { return w.stat().transientIn == 0 })
	// The seed still accepts a newcomer.
	if err := f.dialP2P(context.Background(), newFloodHost(t)); err != nil {
		t.Errorf("dial after the flood: %v", err)
	}
	peak := w.stop()

	t.Logf("%d attempts in %s (%d raw TCP, %d libp2p of which %d refused); peak: %d conns (%d inbound, %d handshaking), %d established, reserved %d KiB, heap %d MiB",
		f.made.Load(), f.elapsed.Round(time.Millisecond), f.made.Load()-f.p2p.Load(), f.p2p.Load(), f.p2pFailed.Load(),
		peak.conns, peak.connsIn, peak.transientIn, peak.established, peak.mem>>10, peak.heap>>20)
	if got := f.made.Load(); got < int64(attempts) {
		t.Errorf("made %d of %d attempts within %s", got, attempts, floodLimit)
	}
	checkPeak(t, peak, lim)
}

// closingSlack is how far a sample of the system scope may exceed the
// loopback cap while connections close and others take their place (see
// checkPeak); far below the thousands of attempts a broken cap would let
// in.
const closingSlack = 8

// checkPeak fails if the peaks exceed the limits lim or floodHeapCap.
func checkPeak(t *testing.T, peak usage, lim LimitsConfig) {
	t.Helper()
	checks := []struct {
		name      string
		got, want int64
	}{
		// The system scope's count may run a little ahead of the prefix
		// limiter's: libp2p's connection scope (resource-manager, v0.51.0
		// connectionScope.Done) gives its slot back to the limiter before
		// it releases the scope, so a sample can count a closing connection
		// and the one admitted in its place. Seen: 129 (session 2, CI
		// rehearsal) and 130 (session 6, beside a simulation) against 128.
		{"connections (all loopback)", int64(peak.conns), int64(lim.ConnsLoopback) + closingSlack},
		{"inbound connections", int64(peak.connsIn), int64(lim.ConnsInbound)},
		{"handshaking connections", int64(peak.transientIn), int64(lim.transientInbound())},
		{"established connections", int64(peak.established), int64(lim.ConnsLoopback)},
		{"memory reserved by the resource manager", peak.mem, lim.Memory},
		{"heap in use", int64(peak.heap), floodHeapCap},
	}
	for _, c := range checks {
		if c.got > c.want {
			t.Errorf("peak %s: got %d, want at most %d", c.name, c.got, c.want)
		}
	}
}

// waitUntil polls cond until it holds; the deadline only guards failure.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(testTimeout)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("%s: not after %s", what, testTimeout)
		}
	}
}

// usage is the seed's connection counts, the memory its resource manager
// has reserved and the process heap at one moment, or their peaks.
type usage struct {
	conns, connsIn, transientIn, established int
	mem                                      int64 // resource manager, system scope
	heap                                     uint64
}

// watcher samples a host's resource manager and the heap until stopped,
// and counts established connections from network notifications, so
// their peak is exact.
type watcher struct {
	h           host.Host
	established atomic.Int64
	peakEst     atomic.Int64
	done        chan struct{}
	finished    chan struct{}
	stopOnce    sync.Once

	mu   sync.Mutex // guards peak
	peak usage
}

func watch(t *testing.T, h host.Host) *watcher {
	w := &watcher{h: h, done: make(chan struct{}), finished: make(chan struct{})}
	h.Network().Notify(&network.NotifyBundle{
		ConnectedF: func(network.Network, network.Conn) {
			n := w.established.Add(1)
			for p := w.peakEst.Load(); n > p && !w.peakEst.CompareAndSwap(p, n); p = w.peakEst.Load() {
			}
		},
		DisconnectedF: func(network.Network, network.Conn) { w.established.Add(-1) },
	})
	go w.run()
	t.Cleanup(func() { w.stop() })
	return w
}

// stat reads the seed's connection counts from its resource manager.
func (w *watcher) stat() usage {
	var u usage
	rm := w.h.Network().ResourceManager()
	rm.ViewSystem(func(s network.ResourceScope) error {
		st := s.Stat()
		u.conns, u.connsIn = st.NumConnsInbound+st.NumConnsOutbound, st.NumConnsInbound
		u.mem = st.Memory
		return nil
	})
	rm.ViewTransient(func(s network.ResourceScope) error {
		u.transientIn = s.Stat().NumConnsInbound
		return nil
	})
	return u
}

func heapInUse() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// run samples connections every 2 ms and the heap every 50 ms (reading
// it stops the world) until stop.
func (w *watcher) run() {
	defer close(w.finished)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		u := w.stat()
		if i%25 == 0 {
			u.heap = heapInUse()
		}
		w.record(u)
		select {
		case <-w.done:
			return
		case <-tick.C:
		}
	}
}

func (w *watcher) record(u usage) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.peak.conns = max(w.peak.conns, u.conns)
	w.peak.connsIn = max(w.peak.connsIn, u.connsIn)
	w.peak.transientIn = max(w.peak.transientIn, u.transientIn)
	w.peak.mem = max(w.peak.mem, u.mem)
	w.peak.heap = max(w.peak.heap, u.heap)
}

// stop ends sampling, takes a last heap reading and returns the peaks.
func (w *watcher) stop() usage {
	w.stopOnce.Do(func() { close(w.done) })
	<-w.finished
	w.record(usage{heap: heapInUse()})
	w.mu.Lock()
	defer w.mu.Unlock()
	p := w.peak
	p.established = int(w.peakEst.Load())
	return p
}

// flood makes a bounded number of connection attempts at one host within
// floodLimit; each loop stops by itself when its budget or time runs out.
type flood struct {
	t        *testing.T
	target   peer.AddrInfo // the host, by its TCP address only
	tcpAddr  string
	started  time.Time
	deadline time.Time
	elapsed  time.Duration

	rawLeft, p2pLeft     atomic.Int64 // attempts not yet claimed
	made, p2p, p2pFailed atomic.Int64
}

func newFlood(t *testing.T, h host.Host, total int) *flood {
	t.Helper()
	f := &flood{t: t, target: peer.AddrInfo{ID: h.ID()}, started: time.Now()}
	f.deadline = f.started.Add(floodLimit)
	for _, a := range h.Network().ListenAddresses() {
		if _, err := a.ValueForProtocol(ma.P_TCP); err != nil {
			continue
		}
		na, err := manet.ToNetAddr(a)
		if err != nil {
			t.Fatal(err)
		}
		f.tcpAddr, f.target.Addrs = na.String(), []ma.Multiaddr{a}
	}
	if f.tcpAddr == "" {
		t.Fatal("seed listens on no TCP address")
	}
	p2p := total / floodP2PEvery
	f.p2pLeft.Store(int64(p2p))
	f.rawLeft.Store(int64(total - p2p))
	return f
}

// claim takes one attempt from left; false once it is spent or time is up.
func (f *flood) claim(left *atomic.Int64) bool {
	return time.Now().Before(f.deadline) && left.Add(-1) >= 0
}

// rawDial opens a TCP connection as a flooder does; closing it resets it,
// leaving no TIME_WAIT behind on either side.
func (f *flood) rawDial() (*net.TCPConn, error) {
	c, err := net.DialTimeout("tcp", f.tcpAddr, handshakeTimeout)
	f.made.Add(1)
	if err != nil {
		return nil, err
	}
	tc := c.(*net.TCPConn)
	tc.SetLinger(0)
	return tc, nil
}

// burst opens n raw connections together and holds them until all are
// open: more than the seed may have handshaking, so the rest are refused
// at accept. They count among the attempts.
func (f *flood) burst(n int) {
	var left atomic.Int64
	left.Store(int64(n))
	var mu sync.Mutex
	var held []*net.TCPConn
	var wg sync.WaitGroup
	for range floodRawDialer {
		wg.Go(func() {
			for f.claim(&left) && f.claim(&f.rawLeft) {
				if c, err := f.rawDial(); err == nil {
					mu.Lock()
					held = append(held, c)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	for _, c := range held {
		c.Close()
	}
}

// churn spends the remaining attempts: raw TCP connections closed at once
// or after a line of junk, and full libp2p dials from throwaway hosts.
func (f *flood) churn() {
	var wg sync.WaitGroup
	junk := []byte("GET / HTTP/1.1\r\nHost: shoal\r\n\r\n")
	for i := range floodRawDialer {
		wg.Go(func() {
			for f.claim(&f.rawLeft) {
				if c, err := f.rawDial(); err == nil {
					if i%2 == 1 {
						c.Write(junk)
					}
					c.Close()
				}
			}
		})
	}
	for range floodP2PDialer {
		h := newFloodHost(f.t)
		wg.Go(func() {
			for f.claim(&f.p2pLeft) {
				ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout)
				if err := f.dialP2P(ctx, h); err != nil {
					f.p2pFailed.Add(1)
				}
				cancel()
				f.made.Add(1)
				f.p2p.Add(1)
			}
		})
	}
	wg.Wait()
	f.elapsed = time.Since(f.started)
}

// dialP2P connects h to the target (Noise, yamux, identify) and closes
// the connection again. A refused dial's backoff is cleared so the next
// attempt dials again.
func (f *flood) dialP2P(ctx context.Context, h host.Host) error {
	err := h.Connect(ctx, f.target)
	h.Network().ClosePeer(f.target.ID)
	if err != nil {
		h.Network().(*swarm.Swarm).Backoff().Clear(f.target.ID)
	}
	return err
}

// newFloodHost returns a libp2p host that only dials TCP, without limits
// of its own.
func newFloodHost(t *testing.T) host.Host {
	t.Helper()
	h, err := libp2p.New(
		libp2p.NoListenAddrs,
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Security(noise.ID, noise.New),
		libp2p.Muxer(yamux.ID, yamux.DefaultTransport),
		libp2p.ResourceManager(&network.NullResourceManager{}),
		libp2p.DisableRelay(),
		libp2p.DisableMetrics(),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

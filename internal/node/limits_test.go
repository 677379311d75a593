package node

import (
	"errors"
	"testing"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	ma "github.com/multiformats/go-multiaddr"
)

func TestLimitsDefaults(t *testing.T) {
	tests := []struct {
		name     string
		in       LimitsConfig
		maxPeers int
		want     LimitsConfig
	}{
		{"zero", LimitsConfig{}, defaultMaxPeers,
			LimitsConfig{256, 128, 8, 128, 16, 32 << 20, 256 << 20}},
		{"many peers raise connection caps", LimitsConfig{}, 500,
			LimitsConfig{1000, 1000, 8, 1000, 16, 32 << 20, 256 << 20}},
		{"set fields kept", LimitsConfig{ConnsInbound: 10, ConnsPerIP: 2, MemoryPerPeer: 1 << 30}, defaultMaxPeers,
			LimitsConfig{10, 128, 2, 128, 16, 1 << 30, 1 << 30}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.in.withDefaults(tt.maxPeers)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestLimitsErrors(t *testing.T) {
	for _, in := range []LimitsConfig{
		{ConnsInbound: -1},
		{ConnsLoopback: -1},
		{StreamsPerPeer: -1},
		{Memory: -1},
		{MemoryPerPeer: 64 << 20, Memory: 32 << 20},
	} {
		if _, err := in.withDefaults(defaultMaxPeers); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: got %v, want ErrConfig", in, err)
		}
	}
}

func TestLimitsScopes(t *testing.T) {
	l, _ := LimitsConfig{}.withDefaults(defaultMaxPeers)
	got := l.scopes().ToPartialLimitConfig()
	checks := []struct {
		name      string
		got, want rcmgr.LimitVal
	}{
		{"system inbound conns", got.System.ConnsInbound, 256},
		{"system conns", got.System.Conns, 384},
		{"transient inbound conns", got.Transient.ConnsInbound, 64},
		{"peer conns", got.PeerDefault.Conns, connsPerPeer},
		{"peer streams", got.PeerDefault.Streams, 16},
		{"shoal streams per peer", got.ProtocolPeer[protocolID].Streams, shoalStreamsPerPeer},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %d, want %d", c.name, c.got, c.want)
		}
	}
	if m := got.System.Memory; m != 256<<20 {
		t.Errorf("system memory: got %d, want %d", m, 256<<20)
	}
	if m := got.PeerDefault.Memory; m != 32<<20 {
		t.Errorf("peer memory: got %d, want %d", m, 32<<20)
	}
}

// openConns opens n inbound connection scopes from addr and returns how
// many the resource manager allowed.
func openConns(t *testing.T, rm network.ResourceManager, addr string, n int) int {
	t.Helper()
	a := ma.StringCast(addr)
	ok := 0
	for range n {
		if _, err := rm.OpenConnection(network.DirInbound, true, a); err == nil {
			ok++
		}
	}
	return ok
}

func newTestRM(t *testing.T, l LimitsConfig) network.ResourceManager {
	t.Helper()
	l, err := l.withDefaults(defaultMaxPeers)
	if err != nil {
		t.Fatal(err)
	}
	rm, err := l.resourceManager()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rm.Close() })
	return rm
}

func TestLimitsPerIP(t *testing.T) {
	rm := newTestRM(t, LimitsConfig{})
	tests := []struct {
		addr     string
		try, got int
	}{
		{"/ip4/203.0.113.7/tcp/4001", 9, 8},
		{"/ip4/203.0.113.8/tcp/4001", 3, 3}, // another address has its own cap
		{"/ip6/2001:db8:0:1::1/tcp/4001", 9, 8},
		{"/ip6/2001:db8:0:1::2/tcp/4001", 1, 0}, // same /56
	}
	for _, tt := range tests {
		if got := openConns(t, rm, tt.addr, tt.try); got != tt.got {
			t.Errorf("%s: %d of %d connections allowed, want %d", tt.addr, got, tt.try, tt.got)
		}
	}
}

func TestLimitsLoopbackShared(t *testing.T) {
	rm := newTestRM(t, LimitsConfig{ConnsLoopback: 10})
	got := openConns(t, rm, "/ip4/127.0.0.1/tcp/4001", 6) + openConns(t, rm, "/ip4/127.0.0.2/tcp/4001", 6)
	if got != 10 {
		t.Errorf("loopback: %d of 12 connections allowed, want 10", got)
	}
	if got := openConns(t, rm, "/ip6/::1/tcp/4001", 12); got != 10 {
		t.Errorf("::1: %d of 12 connections allowed, want 10", got)
	}
}

func TestLimitsTransientInbound(t *testing.T) {
	rm := newTestRM(t, LimitsConfig{ConnsInbound: 40, ConnsPerIP: 100}) // 10 may handshake at once
	if got := openConns(t, rm, "/ip4/203.0.113.7/tcp/4001", 20); got != 10 {
		t.Errorf("%d handshaking connections allowed, want 10", got)
	}
}

func TestLimitsPerPeer(t *testing.T) {
	rm := newTestRM(t, LimitsConfig{})
	p := peer.ID("peer-a")
	c, err := rm.OpenConnection(network.DirInbound, true, ma.StringCast("/ip4/203.0.113.7/tcp/4001"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetPeer(p); err != nil {
		t.Fatal(err)
	}
	opened := 0
	for range 20 {
		if _, err := rm.OpenStream(p, network.DirInbound); err == nil {
			opened++
		}
	}
	if opened != 16 {
		t.Errorf("%d streams opened with one peer, want 16", opened)
	}
	// No buffers are reserved yet: the peer's whole memory cap is free,
	// and not a byte more.
	err = rm.ViewPeer(p, func(s network.PeerScope) error {
		if err := s.ReserveMemory(32<<20+1, network.ReservationPriorityAlways); err == nil {
			return errors.New("reserved 32 MiB + 1 for one peer, want refused")
		}
		if err := s.ReserveMemory(32<<20, network.ReservationPriorityAlways); err != nil {
			return err
		}
		s.ReleaseMemory(32 << 20)
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

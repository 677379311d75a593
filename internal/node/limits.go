package node

import (
	"fmt"
	"net/netip"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/protocol"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
)

// LimitsConfig bounds what other peers can make a node spend: connections,
// streams and the memory behind them (DESIGN.md, principle 4). They are
// enforced by libp2p's resource manager before any handshake work is done
// for a connection, so a flood is refused at accept time. There is no "off"
// switch; every zero field means the default below.
//
// The defaults assume a home or small server node with Config.MaxPeers
// swarm peers. Connection figures grow with MaxPeers so that raising it
// never starves the swarm of connections. libp2p's connection rate limit
// stays on as well: beyond a burst of 16, one new connection per IPv4
// address (IPv6 /56) every five seconds; loopback is exempt from that rate,
// not from ConnsLoopback.
type LimitsConfig struct {
	// ConnsInbound caps inbound connections, handshaking or established.
	// Default 256, or 2×MaxPeers when that is larger. A quarter of it may
	// be still handshaking at once.
	ConnsInbound int
	// ConnsOutbound caps connections this node dials. Default 128, or
	// 2×MaxPeers when that is larger.
	ConnsOutbound int
	// ConnsPerIP caps connections, in either direction, with one IPv4
	// address or one IPv6 /56 (eight times as many per IPv6 /48). Default
	// 8, libp2p's own figure: a peer needs one, and a few more cover
	// simultaneous TCP and QUIC dials. Peers behind one NAT share it.
	ConnsPerIP int
	// ConnsLoopback caps connections with loopback addresses, counted
	// together for 127.0.0.0/8 and apart for ::1, instead of ConnsPerIP.
	// Every process on this machine shares the one loopback address, so a
	// per-IP cap there would cap how many local nodes can swarm (shoal demo
	// runs up to 65 on 127.0.0.1; the tests and benchmarks several); and
	// only this machine can use it. Default 128, or 2×MaxPeers when larger.
	ConnsLoopback int
	// StreamsPerPeer caps the streams open with one peer, in each
	// direction and in total. A peer needs one Shoal stream (two for a
	// moment when both sides dial at once) and a few for libp2p's identify
	// and ping. Default 16.
	StreamsPerPeer int
	// MemoryPerPeer caps the receive buffers reserved for one peer, in
	// bytes. yamux reserves 256 KiB per stream and grows a busy stream's
	// window towards 16 MiB only while the peer's reservations stay under
	// half of this cap, so the default, 32 MiB, lets one download stream
	// reach the full window.
	MemoryPerPeer int64
	// Memory caps the receive buffers reserved across all peers, in bytes.
	// Window growth stops at half of it. Default 256 MiB.
	Memory int64
}

// Fixed figures that need no knob.
const (
	defaultMaxPeers       = 50 // Config.MaxPeers when unset
	connsPerPeer          = 8  // libp2p's figure: parallel dials of one peer's addresses
	shoalStreamsPerPeer   = 4  // one Shoal stream per peer, slack for simultaneous dials
	streamsPerConn        = 4  // streams across the node per connection allowed
	defaultConnsInbound   = 256
	defaultConnsOutbound  = 128
	defaultConnsPerIP     = 8
	defaultConnsLoopback  = 128
	defaultStreamsPerPeer = 16
	defaultMemoryPerPeer  = 32 << 20
	defaultMemory         = 256 << 20
)

// loopback4 and loopback6 are the prefixes ConnsLoopback applies to.
var (
	loopback4 = netip.MustParsePrefix("127.0.0.0/8")
	loopback6 = netip.MustParsePrefix("::1/128")
)

// withDefaults returns l with zero fields set to their defaults for a node
// of maxPeers swarm peers, or an ErrConfig error for a negative field or a
// per-peer memory cap above the total.
func (l LimitsConfig) withDefaults(maxPeers int) (LimitsConfig, error) {
	ints := []struct {
		name string
		v    *int
		def  int
	}{
		{"ConnsInbound", &l.ConnsInbound, max(defaultConnsInbound, 2*maxPeers)},
		{"ConnsOutbound", &l.ConnsOutbound, max(defaultConnsOutbound, 2*maxPeers)},
		{"ConnsPerIP", &l.ConnsPerIP, defaultConnsPerIP},
		{"ConnsLoopback", &l.ConnsLoopback, max(defaultConnsLoopback, 2*maxPeers)},
		{"StreamsPerPeer", &l.StreamsPerPeer, defaultStreamsPerPeer},
	}
	for _, f := range ints {
		if *f.v < 0 {
			return l, fmt.Errorf("%w: limits: negative %s", ErrConfig, f.name)
		}
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	if l.MemoryPerPeer < 0 || l.Memory < 0 {
		return l, fmt.Errorf("%w: limits: negative memory", ErrConfig)
	}
	if l.MemoryPerPeer == 0 {
		l.MemoryPerPeer = defaultMemoryPerPeer
	}
	if l.Memory == 0 {
		l.Memory = max(defaultMemory, l.MemoryPerPeer)
	}
	if l.MemoryPerPeer > l.Memory {
		return l, fmt.Errorf("%w: limits: MemoryPerPeer %d exceeds Memory %d", ErrConfig, l.MemoryPerPeer, l.Memory)
	}
	return l, nil
}

// transientInbound is how many inbound connections may be handshaking at
// once: a quarter of the inbound cap, so a handshake flood cannot take
// every slot from established peers.
func (l LimitsConfig) transientInbound() int { return max(1, l.ConnsInbound/4) }

// scopes returns the resource manager's limits for l. Scopes it does not
// set (libp2p's own services and protocols) keep libp2p's defaults, scaled
// to l.Memory rather than to the machine, so a node's limits do not depend
// on where it runs.
func (l LimitsConfig) scopes() rcmgr.ConcreteLimitConfig {
	conns := l.ConnsInbound + l.ConnsOutbound
	transientOut := max(1, l.ConnsOutbound/4)
	transient := l.transientInbound() + transientOut
	peer := rcmgr.LimitVal(l.StreamsPerPeer)
	partial := rcmgr.PartialLimitConfig{
		System: rcmgr.ResourceLimits{
			Conns:           rcmgr.LimitVal(conns),
			ConnsInbound:    rcmgr.LimitVal(l.ConnsInbound),
			ConnsOutbound:   rcmgr.LimitVal(l.ConnsOutbound),
			Streams:         rcmgr.LimitVal(streamsPerConn * conns),
			StreamsInbound:  rcmgr.LimitVal(streamsPerConn * l.ConnsInbound),
			StreamsOutbound: rcmgr.LimitVal(streamsPerConn * l.ConnsOutbound),
			FD:              rcmgr.LimitVal(conns),
			Memory:          rcmgr.LimitVal64(l.Memory),
		},
		Transient: rcmgr.ResourceLimits{
			Conns:           rcmgr.LimitVal(transient),
			ConnsInbound:    rcmgr.LimitVal(l.transientInbound()),
			ConnsOutbound:   rcmgr.LimitVal(transientOut),
			Streams:         rcmgr.LimitVal(streamsPerConn * transient),
			StreamsInbound:  rcmgr.LimitVal(streamsPerConn * l.transientInbound()),
			StreamsOutbound: rcmgr.LimitVal(streamsPerConn * transientOut),
			FD:              rcmgr.LimitVal(transient),
			Memory:          rcmgr.LimitVal64(l.Memory / 8),
		},
		PeerDefault: rcmgr.ResourceLimits{
			Conns: connsPerPeer, ConnsInbound: connsPerPeer, ConnsOutbound: connsPerPeer,
			Streams: peer, StreamsInbound: peer, StreamsOutbound: peer,
			FD:     connsPerPeer,
			Memory: rcmgr.LimitVal64(l.MemoryPerPeer),
		},
		Conn: rcmgr.ResourceLimits{Memory: rcmgr.LimitVal64(l.MemoryPerPeer)},
		Protocol: map[protocol.ID]rcmgr.ResourceLimits{protocolID: {
			Streams:         rcmgr.LimitVal(conns),
			StreamsInbound:  rcmgr.LimitVal(l.ConnsInbound),
			StreamsOutbound: rcmgr.LimitVal(l.ConnsOutbound),
		}},
		ProtocolPeer: map[protocol.ID]rcmgr.ResourceLimits{protocolID: {
			Streams: shoalStreamsPerPeer, StreamsInbound: shoalStreamsPerPeer, StreamsOutbound: shoalStreamsPerPeer,
		}},
	}
	scaling := rcmgr.DefaultLimits // a copy; its maps are nil until set below
	libp2p.SetDefaultServiceLimits(&scaling)
	return partial.Build(scaling.Scale(l.Memory, conns))
}

// resourceManager builds libp2p's resource manager enforcing l, with the
// per-IP and loopback connection caps.
func (l LimitsConfig) resourceManager() (network.ResourceManager, error) {
	perIP4 := []rcmgr.ConnLimitPerSubnet{{PrefixLength: 32, ConnCount: l.ConnsPerIP}}
	perIP6 := []rcmgr.ConnLimitPerSubnet{
		{PrefixLength: 56, ConnCount: l.ConnsPerIP},
		{PrefixLength: 48, ConnCount: 8 * l.ConnsPerIP},
	}
	// libp2p exempts loopback from the per-IP caps by default; Shoal
	// caps it too, with its own figure.
	lo4 := []rcmgr.NetworkPrefixLimit{{Network: loopback4, ConnCount: l.ConnsLoopback}}
	lo6 := []rcmgr.NetworkPrefixLimit{{Network: loopback6, ConnCount: l.ConnsLoopback}}
	rm, err := rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(l.scopes()),
		rcmgr.WithLimitPerSubnet(perIP4, perIP6),
		rcmgr.WithNetworkPrefixLimit(lo4, lo6),
		rcmgr.WithMetricsDisabled())
	if err != nil {
		return nil, fmt.Errorf("node: resource manager: %w", err)
	}
	return rm, nil
}

// connManager returns the connection manager for a node of maxPeers swarm
// peers. Above 2×maxPeers connections it closes connections down to
// maxPeers, idle ones (no stream open: peers that never registered or were
// turned away at MaxPeers) before those carrying a Shoal stream, and none
// younger than libp2p's one-minute grace period.
func connManager(maxPeers int) (*connmgr.BasicConnMgr, error) {
	cm, err := connmgr.NewConnManager(maxPeers, 2*maxPeers)
	if err != nil {
		return nil, fmt.Errorf("node: connection manager: %w", err)
	}
	return cm, nil
}

package tracker

import (
	"container/list"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"time"

	"github.com/shoal-p2p/shoal/internal/piece"
)

// sweepBatch bounds how many expired peers one announce removes from swarms
// other than its own.
const sweepBatch = 64

// limits are the registry's bounds, filled from Config.
type limits struct {
	ttl         time.Duration // a peer expires this long after its last announce
	maxSwarms   int
	maxPerSwarm int
	maxPeers    int
}

// registry holds every swarm and peer the tracker knows. It is not safe for
// concurrent use; Server guards it with a mutex. Time and randomness are
// inputs, so it is deterministic under test.
type registry struct {
	lim    limits
	rand   *rand.Rand
	swarms map[piece.ID]*swarm
	byAge  list.List // of *swarm, least recently announced first
	peers  list.List // of *peer across all swarms, least recently seen first
}

// swarm is the set of live peers of one swarm ID.
type swarm struct {
	id    piece.ID
	byID  map[string]*peer
	slots []*peer   // the same peers, for uniform sampling
	byAge list.List // of *peer, least recently seen first
	elem  *list.Element
}

// peer is one announced peer.
type peer struct {
	id          string
	addr        netip.Addr
	port, qport int
	seen        time.Time
	sw          *swarm
	slot        int
	inSwarm     *list.Element
	inAll       *list.Element
}

// announce is a validated request plus the address it came from.
type announce struct {
	AnnounceRequest
	addr netip.Addr
}

func newRegistry(lim limits, r *rand.Rand) *registry {
	return &registry{lim: lim, rand: r, swarms: make(map[piece.ID]*swarm)}
}

// announce records a and returns up to want other live peers of its swarm,
// chosen uniformly at random. A stopped event removes the peer and returns
// no peers.
func (g *registry) announce(now time.Time, a announce, want int) []PeerInfo {
	g.sweep(now, sweepBatch)
	s := g.swarms[a.Swarm]
	if s != nil {
		g.expire(s, now)
	}
	if a.Event == EventStopped {
		if s = g.swarms[a.Swarm]; s != nil {
			if p := s.byID[a.PeerID]; p != nil && p.addr == a.addr {
				g.remove(p)
			}
		}
		return []PeerInfo{}
	}
	p := g.upsert(now, a)
	return g.sample(p.sw, p, want)
}

// upsert adds or refreshes the peer of a, evicting the stalest peers or
// swarm when a limit is reached.
func (g *registry) upsert(now time.Time, a announce) *peer {
	s := g.swarms[a.Swarm]
	p := (*peer)(nil)
	if s != nil {
		p = s.byID[a.PeerID]
	}
	if p == nil {
		if g.peers.Len() >= g.lim.maxPeers {
			g.remove(g.peers.Front().Value.(*peer))
		}
		s = g.swarm(a.Swarm)
		if len(s.slots) >= g.lim.maxPerSwarm {
			g.detach(s.byAge.Front().Value.(*peer))
		}
		p = &peer{id: a.PeerID, sw: s, slot: len(s.slots)}
		s.byID[p.id] = p
		s.slots = append(s.slots, p)
		p.inSwarm = s.byAge.PushBack(p)
		p.inAll = g.peers.PushBack(p)
	}
	p.addr, p.port, p.qport, p.seen = a.addr, a.Port, a.QUICPort, now
	s.byAge.MoveToBack(p.inSwarm)
	g.peers.MoveToBack(p.inAll)
	g.byAge.MoveToBack(s.elem)
	return p
}

// swarm returns the swarm with the given ID, creating it (and evicting the
// least recently announced swarm if at the limit) when needed.
func (g *registry) swarm(id piece.ID) *swarm {
	if s := g.swarms[id]; s != nil {
		return s
	}
	if len(g.swarms) >= g.lim.maxSwarms {
		g.drop(g.byAge.Front().Value.(*swarm))
	}
	s := &swarm{id: id, byID: make(map[string]*peer)}
	s.elem = g.byAge.PushBack(s)
	g.swarms[id] = s
	return s
}

// expire removes the expired peers of s, and s itself if it empties.
func (g *registry) expire(s *swarm, now time.Time) {
	for e := s.byAge.Front(); e != nil; e = s.byAge.Front() {
		p := e.Value.(*peer)
		if now.Sub(p.seen) < g.lim.ttl {
			return
		}
		g.remove(p)
	}
}

// sweep removes at most max expired peers, stalest first, across swarms.
func (g *registry) sweep(now time.Time, max int) {
	for i := 0; i < max; i++ {
		e := g.peers.Front()
		if e == nil || now.Sub(e.Value.(*peer).seen) < g.lim.ttl {
			return
		}
		g.remove(e.Value.(*peer))
	}
}

// remove deletes p, and its swarm if that leaves it empty.
func (g *registry) remove(p *peer) {
	s := p.sw
	g.detach(p)
	if len(s.slots) == 0 {
		g.byAge.Remove(s.elem)
		delete(g.swarms, s.id)
	}
}

// detach deletes p from its swarm and the registry, leaving the swarm in
// place even if empty.
func (g *registry) detach(p *peer) {
	s := p.sw
	last := s.slots[len(s.slots)-1]
	s.slots[p.slot], last.slot = last, p.slot
	s.slots[len(s.slots)-1] = nil
	s.slots = s.slots[:len(s.slots)-1]
	delete(s.byID, p.id)
	s.byAge.Remove(p.inSwarm)
	g.peers.Remove(p.inAll)
}

// drop deletes s and all its peers.
func (g *registry) drop(s *swarm) {
	for len(s.slots) > 0 {
		g.detach(s.slots[len(s.slots)-1])
	}
	g.byAge.Remove(s.elem)
	delete(g.swarms, s.id)
}

// sample returns up to want peers of s other than self, uniformly at random.
// It runs a partial Fisher-Yates shuffle over s.slots, which reorders them.
func (g *registry) sample(s *swarm, self *peer, want int) []PeerInfo {
	out := make([]PeerInfo, 0, min(want, len(s.slots)))
	n := len(s.slots)
	for i := 0; i < n && len(out) < want; i++ {
		j := i + g.rand.IntN(n-i)
		s.slots[i], s.slots[j] = s.slots[j], s.slots[i]
		s.slots[i].slot, s.slots[j].slot = i, j
		if p := s.slots[i]; p != self {
			out = append(out, p.info())
		}
	}
	return out
}

// info returns p's ID and multiaddrs.
func (p *peer) info() PeerInfo {
	ip := "/ip4/"
	if p.addr.Is6() {
		ip = "/ip6/"
	}
	ip += p.addr.String()
	addrs := []string{ip + "/tcp/" + strconv.Itoa(p.port)}
	if p.qport != 0 {
		addrs = append(addrs, ip+"/udp/"+strconv.Itoa(p.qport)+"/quic-v1")
	}
	return PeerInfo{ID: p.id, Addrs: addrs}
}

// counts returns the number of swarms and peers.
func (g *registry) counts() (swarms, peers int) { return len(g.swarms), g.peers.Len() }

package tracker

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/shoal-p2p/shoal/internal/piece"
)

// checkRegistry verifies that the maps, slot slices and age lists agree.
func checkRegistry(t *testing.T, g *registry) {
	t.Helper()
	total := 0
	if g.byAge.Len() != len(g.swarms) {
		t.Fatalf("got %d swarms in age list, want %d", g.byAge.Len(), len(g.swarms))
	}
	for id, s := range g.swarms {
		if s.id != id || len(s.slots) == 0 {
			t.Fatalf("swarm %v: id %v with %d peers, want matching id and peers", id, s.id, len(s.slots))
		}
		if len(s.byID) != len(s.slots) || s.byAge.Len() != len(s.slots) {
			t.Fatalf("swarm %v: %d by id, %d by age, %d slots, want equal", id, len(s.byID), s.byAge.Len(), len(s.slots))
		}
		for i, p := range s.slots {
			if p.slot != i || s.byID[p.id] != p || p.sw != s {
				t.Fatalf("swarm %v slot %d: peer %s has slot %d, want consistent", id, i, p.id, p.slot)
			}
		}
		total += len(s.slots)
	}
	if g.peers.Len() != total {
		t.Fatalf("got %d peers in global list, want %d", g.peers.Len(), total)
	}
}

func TestRegistryRandomOperations(t *testing.T) {
	lim := limits{ttl: 20 * time.Second, maxSwarms: 4, maxPerSwarm: 6, maxPeers: 15}
	g := newRegistry(lim, rand.New(rand.NewPCG(3, 4)))
	ops := rand.New(rand.NewPCG(5, 6))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 20_000; i++ {
		now = now.Add(time.Duration(ops.IntN(500)) * time.Millisecond)
		a := announce{
			AnnounceRequest: AnnounceRequest{Swarm: piece.ID{byte(ops.IntN(6))}, PeerID: pid(ops.IntN(30)), Port: 1, Event: EventEmpty},
			addr:            netip.AddrFrom4([4]byte{10, 0, 0, 1}),
		}
		if ops.IntN(10) == 0 {
			a.Event = EventStopped
		}
		want := ops.IntN(8)
		got := g.announce(now, a, want)
		if len(got) > want {
			t.Fatalf("op %d: got %d peers, want at most %d", i, len(got), want)
		}
		for _, p := range got {
			if p.ID == a.PeerID {
				t.Fatalf("op %d: got the requester back", i)
			}
		}
		checkRegistry(t, g)
		sw, peers := g.counts()
		if sw > lim.maxSwarms || peers > lim.maxPeers {
			t.Fatalf("op %d: got %d swarms, %d peers, want at most %d, %d", i, sw, peers, lim.maxSwarms, lim.maxPeers)
		}
	}
}

func TestRegistrySampleUniform(t *testing.T) {
	g := newRegistry(limits{ttl: time.Hour, maxSwarms: 1, maxPerSwarm: 100, maxPeers: 100}, rand.New(rand.NewPCG(7, 8)))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := announce{AnnounceRequest: AnnounceRequest{Swarm: testSwarm, Port: 1}, addr: netip.AddrFrom4([4]byte{10, 0, 0, 1})}
	for i := 0; i < 10; i++ {
		a.PeerID = pid(i)
		g.announce(now, a, 0)
	}
	counts := map[string]int{}
	const rounds = 9000
	a.PeerID = pid(0)
	for i := 0; i < rounds; i++ {
		for _, p := range g.announce(now, a, 3) {
			counts[p.ID]++
		}
	}
	// Each of the 9 others should appear in a third of the answers.
	for i := 1; i < 10; i++ {
		if got, want := counts[pid(i)], rounds/3; got < want*9/10 || got > want*11/10 {
			t.Errorf("peer %d: got %d appearances, want about %d", i, got, want)
		}
	}
}

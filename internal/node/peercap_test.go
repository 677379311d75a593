package node

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/shoal-p2p/shoal/internal/swarm"
)

// TestNewcomerReplacesAPeerAtTheCap: a seed that allows one peer is held
// by a downloader that finished and stays to seed. A newcomer that knows
// only the seed must still get in: the seed replaces the peer that trades
// least (here its only one, past a grace period shortened for the test)
// instead of turning the newcomer away for as long as the other stays.
func TestNewcomerReplacesAPeerAtTheCap(t *testing.T) {
	dir := t.TempDir()
	src, m := fileAndManifest(t, dir, 1_000_000, 0)
	seed := start(t, Config{Manifest: m, SharePath: src, MaxPeers: 1, Engine: swarm.Config{PeerGrace: time.Nanosecond}})
	first := start(t, Config{Swarm: m.ID(), OutDir: filepath.Join(dir, "first"), Seed: true, Peers: seed.Addrs()[:1]})
	waitComplete(t, first)
	newcomer := start(t, Config{Swarm: m.ID(), OutDir: filepath.Join(dir, "newcomer"), Peers: seed.Addrs()[:1]})
	waitComplete(t, newcomer)
	sameTree(t, src, newcomer.FinalPath())
	if n := seed.Stats().Peers; n > 1 {
		t.Errorf("the seed has %d peers, above its cap of 1", n)
	}
}

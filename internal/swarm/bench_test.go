package swarm

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkSwarm runs 1 seed and 8 leechers over 64 MiB (256 KiB pieces,
// 64 KiB blocks, 4 MiB per 100 ms tick of upload per node) in the harness and
// reports the time spent inside engine calls per MiB delivered to a leecher;
// hashing and harness work are excluded.
func BenchmarkSwarm(b *testing.B) {
	const size = 64 << 20
	content := newContent(size, 42)
	m := newManifest(content, 256<<10)
	var engine time.Duration
	for b.Loop() {
		h := newHarness(b, content, m.PieceSize)
		h.m = m
		h.measure = true
		ids := []PeerID{"seed"}
		h.add("seed", Config{Seed: 1}, true, 4<<20)
		for i := 0; i < 8; i++ {
			id := PeerID(fmt.Sprintf("leech%d", i))
			h.add(id, Config{Seed: uint64(i) + 2}, false, 4<<20)
			ids = append(ids, id)
		}
		h.mesh(ids...)
		if !h.run(10*time.Minute, ids[1:]...) {
			b.Fatalf("swarm did not complete")
		}
		engine += h.timeIn
	}
	mib := float64(b.N) * 8 * size / (1 << 20)
	b.ReportMetric(float64(engine.Nanoseconds())/mib, "engine-ns/MiB")
}

package sim

import (
	"context"
	"runtime"
	"testing"
	"time"
)

// benchLive runs a live scenario per op and reports its figures against
// the bounds, the wall and CPU time (also per viewer-second of stream) and
// the peak Go heap (sampled at every point of the time series). Wall time
// is noisy on shared machines; the figures are deterministic.
func benchLive(b *testing.B, name string) {
	sc := loadScenario(b, name)
	var r *LiveResult
	var peak uint64
	var ms runtime.MemStats
	opt := Options{Progress: func(p Progress) {
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
		if int(p.Elapsed/time.Second)%30 == 0 {
			b.Logf("%4.0f s virtual: %d viewers, continuity %.4f, heap %d MiB", p.Elapsed.Seconds(), p.Viewers, p.Continuity, ms.HeapAlloc>>20)
		}
	}}
	cpu := startCPU(b)
	for range b.N {
		var err error
		if r, err = RunLive(context.Background(), sc, opt); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu.report(b, "runs/s")
	viewerSecs := float64(sc.Audience.Count) * time.Duration(sc.Live.Stream).Seconds()
	if t, ok := cpuTime(); ok {
		b.ReportMetric(float64(t-cpu.start)/float64(b.N)/viewerSecs, "cpu-ns/viewer-s")
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "wall-s/op")
	b.ReportMetric(float64(peak>>20), "peak-heap-MiB")
	b.ReportMetric(float64(peak)/float64(sc.Audience.Count), "heap-B/viewer")
	b.ReportMetric(r.Continuity, "continuity")
	b.ReportMetric(r.Offload, "offload")
	b.ReportMetric(r.EgressMultiple, "origin-copies")
	b.ReportMetric(r.Bound.OriginFloor, "origin-floor-copies")
	if r.LagP95 != nil {
		b.ReportMetric(*r.LagP95, "lag-p95-s")
	}
	b.Logf("continuity %.5f (worst viewer %.4f), rebuffer %.5f, offload %.4f, origin %.3f copies (bodies %.3f, floor %.3f), overhead %.3f",
		r.Continuity, r.WorstViewer, r.Rebuffer, r.Offload, r.EgressMultiple, r.MediaMultiple, r.Bound.OriginFloor, r.Overhead)
}

// BenchmarkLive100 is 100 viewers of a 3 Mbit/s stream for 5 minutes,
// uploads averaging 1.5× the bitrate (the scale series' first point).
func BenchmarkLive100(b *testing.B) { benchLive(b, "live100") }

// BenchmarkLive1000 is the target: 1,000 viewers, otherwise as
// Live100. Run it once:
//
//	go test -run '^$' -bench 'Live1000$' -benchtime 1x ./internal/sim/
func BenchmarkLive1000(b *testing.B) { benchLive(b, "live1000") }

// BenchmarkLive1000Churn is Live1000 with 30% of viewers leaving per
// minute, each replaced.
func BenchmarkLive1000Churn(b *testing.B) { benchLive(b, "live1000_churn") }

// BenchmarkLive10k is 10,000 viewers (the scale target: < 10 min, < 4 GiB).
func BenchmarkLive10k(b *testing.B) { benchLive(b, "live10k") }

package node

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// benchSize is the content size of the swarm benchmarks; SHOAL_BENCH_MIB
// overrides it (the BENCHMARKS.md figures use the default, 256 MiB).
func benchSize(b *testing.B) int {
	if v := os.Getenv("SHOAL_BENCH_MIB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("SHOAL_BENCH_MIB=%q: want a positive number", v)
		}
		return n << 20
	}
	return 256 << 20
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchSwarm runs one seed and n downloaders of one file on loopback and
// reports wall time, the seed's upload in copies of the file, and the
// process's CPU time per downloaded GiB.
func benchSwarm(b *testing.B, downloaders int, seedUpload int64) {
	size := benchSize(b)
	dir := b.TempDir()
	src := filepath.Join(dir, "content.bin")
	writeBenchFile(b, src, size)
	m, err := buildBench(src)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tr := startBenchTracker(b)
		seed := startBench(b, Config{Manifest: m, SharePath: src, Trackers: []string{tr}, UploadRate: seedUpload})
		cpu0, wall0 := cpuTime(), time.Now()
		var ds []*running
		for j := 0; j < downloaders; j++ {
			ds = append(ds, startBench(b, Config{Swarm: m.ID(), OutDir: filepath.Join(dir, fmt.Sprintf("run%d-%d", i, j)),
				Seed: true, Trackers: []string{tr}, Peers: seed.Addrs()[:1]}))
		}
		for _, d := range ds {
			select {
			case <-d.Completed():
			case err := <-d.err:
				b.Fatalf("downloader stopped: %v", err)
			}
		}
		wall, cpu := time.Since(wall0), cpuTime()-cpu0
		up := float64(seed.Stats().BytesUploaded) / float64(size)
		for _, d := range ds {
			d.cancel()
		}
		seed.cancel()
		b.ReportMetric(wall.Seconds(), "s/swarm")
		b.ReportMetric(up, "seed-copies")
		b.ReportMetric(float64(size)*float64(downloaders)/wall.Seconds()/1e6, "MB/s-delivered")
		b.ReportMetric(cpu.Seconds()/(float64(size)*float64(downloaders)/(1<<30)), "cpu-s/GiB")
		for _, d := range ds {
			<-d.err
		}
		<-seed.err
	}
}

// BenchmarkSingleDownload is one seed and one downloader on loopback.
func BenchmarkSingleDownload(b *testing.B) { benchSwarm(b, 1, 0) }

// BenchmarkSwarm8 is one seed and eight downloaders on loopback.
func BenchmarkSwarm8(b *testing.B) { benchSwarm(b, 8, 0) }

// BenchmarkSwarm8SlowSeed caps the seed's upload at 50 MB/s, as a seed on
// a modest uplink: the downloaders must get most bytes from each other.
func BenchmarkSwarm8SlowSeed(b *testing.B) { benchSwarm(b, 8, 50e6) }

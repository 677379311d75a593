package sim

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

func benchName(key string, v int) string { return fmt.Sprintf("%s=%d", key, v) }

// cpuMeter reports CPU nanoseconds per op, measured from start to Report.
type cpuMeter struct{ start time.Duration }

// startCPU resets the benchmark timer and starts measuring CPU time.
func startCPU(b *testing.B) cpuMeter {
	b.ReportAllocs()
	b.ResetTimer()
	t, _ := cpuTime()
	return cpuMeter{start: t}
}

// report adds the cpu-ns/op metric and a rate metric in unit per wall second.
func (m cpuMeter) report(b *testing.B, unit string) {
	if t, ok := cpuTime(); ok {
		b.ReportMetric(float64(t-m.start)/float64(b.N), "cpu-ns/op")
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), unit)
}

// BenchmarkNetworkSend measures the full cost of one message: Send, its
// collection and arrival, and its delivery event, on 10,000 nodes with
// random pairs, random access latencies and limited links, in one part.
// One op is one delivered message.
func BenchmarkNetworkSend(b *testing.B) {
	const nodes = 10000
	delivered := 0
	n := NewNetwork(epoch, NetConfig{Seed: 1}, func(*Part[struct{}], NodeID, NodeID, *struct{}) { delivered++ })
	rng := rand.New(rand.NewPCG(1, 2))
	for range nodes {
		id := n.AddNode(1e6+rng.Int64N(9e6), 5e6+rng.Int64N(45e6))
		if err := n.SetAccessLatency(id, time.Duration(1+rng.IntN(100))*time.Millisecond); err != nil {
			b.Fatal(err)
		}
	}
	// Senders are drawn from a fixed table so the RNG does not dominate.
	pairs := make([][2]NodeID, 1<<16)
	for i := range pairs {
		pairs[i] = [2]NodeID{NodeID(rng.IntN(nodes)), NodeID(rng.IntN(nodes))}
	}
	const batch = 1000 // messages sent per simulated millisecond
	p := n.Part(0)
	now := epoch
	cpu := startCPU(b)
	for i := range b.N {
		pr := pairs[i&(len(pairs)-1)]
		p.Send(pr[0], pr[1], 1200, struct{}{})
		if i%batch == batch-1 {
			now = now.Add(time.Millisecond)
			n.Run(now, nil)
		}
	}
	n.Run(now.Add(time.Hour), nil)
	b.StopTimer()
	if delivered != b.N {
		b.Fatalf("got %d delivered, want %d", delivered, b.N)
	}
	cpu.report(b, "msgs/s")
}

// BenchmarkSchedulerFunc measures events scheduled with After and a reused
// closure, the path engines use for timers.
func BenchmarkSchedulerFunc(b *testing.B) {
	s := NewScheduler(epoch)
	var state uint64 = 1
	var fn func()
	fn = func() {
		state = state*6364136223846793005 + 1442695040888963407
		s.After(time.Duration(state>>40), fn)
	}
	for range 10000 {
		fn()
	}
	cpu := startCPU(b)
	for range b.N {
		s.Step()
	}
	cpu.report(b, "events/s")
}

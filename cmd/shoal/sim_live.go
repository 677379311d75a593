package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"

	"github.com/shoal-p2p/shoal/internal/sim"
)

// simReport is what runSim prints: a file or a live result.
type simReport interface {
	WriteTable(w io.Writer) error
	WriteSVG(w io.Writer) error
}

// simRun runs sc as a file or a live scenario and returns its result and
// the virtual time it ended at.
func simRun(ctx context.Context, sc sim.Scenario, opt sim.Options) (simReport, float64, error) {
	if sc.Live != nil {
		r, err := sim.RunLive(ctx, sc, opt)
		if err != nil {
			return nil, 0, err
		}
		return r, r.End, nil
	}
	r, err := sim.Run(ctx, sc, opt)
	if err != nil {
		return nil, 0, err
	}
	return r, r.End, nil
}

// liveFlags registers the flags about a live stream into overrides and
// returns their names. Without --scenario, any of them selects the default
// live scenario.
func liveFlags(fs *flag.FlagSet, overrides map[string]func(*sim.Scenario)) map[string]bool {
	var (
		segment, latency, stream sim.Duration
		chunk                    sim.ByteSize
		bitrate, bcastUp         = new(float64), new(float64)
		renditions               = new(int)
	)
	fs.Float64Var(bitrate, "bitrate", 0, "live: bitrate of the stream in Mbit/s")
	fs.Var(textFlag{&stream}, "stream", "live: how long the broadcaster publishes, e.g. 5m (the run then lasts this plus the target latency, unless --duration is given)")
	fs.Var(textFlag{&segment}, "segment", "live: segment duration (default 2s)")
	fs.Var(textFlag{&chunk}, "chunk-size", "live: chunk size (default 64KiB)")
	fs.IntVar(renditions, "renditions", 0, "live: renditions, each half the previous bitrate (default 1)")
	fs.Var(textFlag{&latency}, "target-latency", "live: playback delay behind the broadcaster (default 8s)")
	fs.Float64Var(bcastUp, "broadcaster-up", 0, "live: broadcaster upload Mbit/s")
	spec := func(sc *sim.Scenario) *sim.LiveSpec {
		if sc.Live == nil {
			sc.Live = &sim.LiveSpec{}
		}
		return sc.Live
	}
	add := map[string]func(*sim.Scenario){
		"bitrate":        func(sc *sim.Scenario) { spec(sc).BitrateMbps = *bitrate },
		"stream":         func(sc *sim.Scenario) { spec(sc).Stream = stream },
		"segment":        func(sc *sim.Scenario) { spec(sc).Segment = segment },
		"chunk-size":     func(sc *sim.Scenario) { spec(sc).ChunkSize = chunk },
		"renditions":     func(sc *sim.Scenario) { spec(sc).Renditions = *renditions },
		"target-latency": func(sc *sim.Scenario) { spec(sc).TargetLatency = latency },
		"broadcaster-up": func(sc *sim.Scenario) { sc.Broadcaster.UpMbps = *bcastUp },
	}
	names := make(map[string]bool, len(add))
	for name, apply := range add {
		overrides[name] = apply
		names[name] = true
	}
	return names
}

// startCPUProfile starts profiling the CPU to path, if set, and returns
// the function that stops and writes it.
func startCPUProfile(path string) (func() error, error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}

package main

import (
	"bufio"
	"context"
	"encoding"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"time"

	"github.com/shoal-p2p/shoal/internal/sim"
)

// runSim runs a simulated swarm, file or live: real engines over virtual
// time and emulated links. Figures go to stdout (a table, or JSON with
// --json); progress goes to stderr.
func runSim(ctx context.Context, e *env, args []string) error {
	fs, verbose := newFlags(e, "sim", "[--scenario FILE] [flags]")
	path := fs.String("scenario", "", "scenario file (JSON, see internal/sim/testdata/scenarios); the flags below override its fields")
	asJSON := fs.Bool("json", false, "print the figures as JSON on stdout")
	svg := fs.String("svg", "", "write a plot over time to `FILE` (SVG): completion (files) or offload and continuity (live), and origin egress")
	tracePath := fs.String("trace", "", "write every event and engine action to `FILE`")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to `FILE` (go tool pprof)")
	workers := fs.Int("workers", 0, "goroutines running the nodes' events (default one per CPU); figures do not depend on it")
	heap := heapProfile{}
	fs.StringVar(&heap.path, "memprofile", "", "write a heap profile at the run's peak heap to `FILE` (go tool pprof)")
	overrides := simFlags(fs)
	live := liveFlags(fs, overrides)
	pos, err := parse(e, fs, verbose, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, pos[0])
	}
	sc, err := simScenario(fs, *path, overrides, live)
	if err != nil {
		return err
	}
	if *workers < 0 {
		return fmt.Errorf("%w: --workers %d is negative", errUsage, *workers)
	}
	opt := sim.Options{Progress: heap.wrap(simProgress(e)), Workers: *workers}
	var trace *bufio.Writer
	if *tracePath != "" {
		f, err := os.Create(*tracePath)
		if err != nil {
			return err
		}
		defer f.Close()
		trace = bufio.NewWriterSize(f, 1<<20)
		opt.Trace = trace
	}
	stop, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	start := time.Now()
	r, end, err := simRun(ctx, sc, opt)
	if err := errors.Join(err, stop(), heap.err); err != nil {
		return err
	}
	if heap.path != "" {
		fmt.Fprintf(e.stderr, "sim: peak heap %d MiB at a progress sample (profile in %s)\n", heap.peak>>20, heap.path)
	}
	if trace != nil {
		if err := trace.Flush(); err != nil {
			return fmt.Errorf("trace: %w", err)
		}
	}
	fmt.Fprintf(e.stderr, "sim: %s: %.1f s of virtual time in %s of wall time\n",
		sc.Name, end, time.Since(start).Round(time.Millisecond))
	if *svg != "" {
		if err := writeSVG(*svg, r); err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return r.WriteTable(e.stdout)
}

// simFlags registers the scenario-overriding flags and returns, per flag
// name, how to apply it. Only flags given on the command line are applied.
func simFlags(fs *flag.FlagSet) map[string]func(*sim.Scenario) {
	m := contentFlags(fs)
	maps.Copy(m, crowdFlags(fs))
	return m
}

// contentFlags registers the flags about the content, the engine and the
// run itself.
func contentFlags(fs *flag.FlagSet) map[string]func(*sim.Scenario) {
	var (
		size, pieceSize, blockSize sim.ByteSize
		latency                    sim.Latency
		duration, sample           sim.Duration
		slots                      = new(int)
		seed                       = new(uint64)
	)
	fs.Var(textFlag{&size}, "size", "file size, e.g. 1GiB")
	fs.Var(textFlag{&pieceSize}, "piece-size", "piece size, a power of two (default 1MiB)")
	fs.Var(textFlag{&blockSize}, "block-size", "engine request size (default 64KiB)")
	fs.IntVar(slots, "upload-slots", 0, "engine upload slots (default 4)")
	fs.Var(textFlag{&latency}, "latency", "access latency: DURATION or uniform:LO-HI (default 20ms)")
	fs.Uint64Var(seed, "seed", 0, "random seed")
	fs.Var(textFlag{&duration}, "duration", "cap on virtual time (default 2h)")
	fs.Var(textFlag{&sample}, "sample", "time-series period (default 5s)")
	files := func(sc *sim.Scenario) *sim.FileSpec {
		if sc.Files == nil {
			sc.Files = &sim.FileSpec{}
		}
		return sc.Files
	}
	return map[string]func(*sim.Scenario){
		"size":         func(sc *sim.Scenario) { files(sc).Size = size },
		"piece-size":   func(sc *sim.Scenario) { files(sc).PieceSize = pieceSize },
		"block-size":   func(sc *sim.Scenario) { sc.Engine.BlockSize = blockSize },
		"upload-slots": func(sc *sim.Scenario) { sc.Engine.UploadSlots = *slots },
		"latency":      func(sc *sim.Scenario) { sc.Latency = latency },
		"seed":         func(sc *sim.Scenario) { sc.Seed = *seed },
		"duration":     func(sc *sim.Scenario) { sc.Duration = duration },
		"sample":       func(sc *sim.Scenario) { sc.Sample = sample },
	}
}

// crowdFlags registers the flags about the nodes: audience, seeder, origin,
// churn and hostile shares.
func crowdFlags(fs *flag.FlagSet) map[string]func(*sim.Scenario) {
	var (
		join                          sim.Join
		upload                        sim.Upload
		nodes, peers, maxPeers        = new(int), new(int), new(int)
		down, free, nat, seedUp       = new(float64), new(float64), new(float64), new(float64)
		origin, leave, liars, corrupt = new(float64), new(float64), new(float64), new(float64)
		replaced                      = new(bool)
	)
	fs.IntVar(nodes, "nodes", 0, "audience size, hostile nodes included")
	fs.Var(textFlag{&join}, "join", "flash (default) or ramp:DURATION")
	fs.Var(textFlag{&upload}, "upload", "upload Mbit/s of leechers: SHARE@MBPS,... or uniform:LO-HI (default 1@10)")
	fs.Float64Var(down, "download", 0, "download Mbit/s of every node (default 100)")
	fs.Float64Var(free, "free-riders", 0, "share of leechers that upload nothing")
	fs.Float64Var(nat, "nat", 0, "share of leechers behind NAT (cannot be dialled)")
	fs.IntVar(peers, "peers", 0, "peers the tracker introduces to a joining node (default 30)")
	fs.IntVar(maxPeers, "max-peers", 0, "peers a node keeps at most; a newcomer replaces the one trading least (default 50)")
	fs.Float64Var(seedUp, "seed-up", 0, "seeder upload Mbit/s")
	fs.Float64Var(origin, "origin", 0, "origin (web seed) Mbit/s; 0 disables it")
	fs.Float64Var(leave, "leave-per-min", 0, "churn: share of leechers leaving per minute")
	fs.BoolVar(replaced, "replaced", false, "churn: a fresh leecher replaces each one leaving")
	fs.Float64Var(liars, "liars", 0, "share of the audience claiming every piece and never serving")
	fs.Float64Var(corrupt, "corrupt", 0, "share of the audience serving wrong bytes")
	return map[string]func(*sim.Scenario){
		"nodes":         func(sc *sim.Scenario) { sc.Audience.Count = *nodes },
		"join":          func(sc *sim.Scenario) { sc.Audience.Join = join },
		"upload":        func(sc *sim.Scenario) { sc.Audience.Upload = upload },
		"download":      func(sc *sim.Scenario) { sc.Audience.DownloadMbps = *down },
		"free-riders":   func(sc *sim.Scenario) { sc.Audience.FreeRiderShare = *free },
		"nat":           func(sc *sim.Scenario) { sc.Audience.NATShare = *nat },
		"peers":         func(sc *sim.Scenario) { sc.Audience.Peers = *peers },
		"max-peers":     func(sc *sim.Scenario) { sc.Audience.MaxPeers = *maxPeers },
		"seed-up":       func(sc *sim.Scenario) { sc.Seeder.UpMbps = *seedUp },
		"origin":        func(sc *sim.Scenario) { sc.Origin = sim.Origin{Enabled: *origin > 0, Mbps: *origin} },
		"leave-per-min": func(sc *sim.Scenario) { sc.Churn.LeavePerMin = *leave },
		"replaced":      func(sc *sim.Scenario) { sc.Churn.Replaced = *replaced },
		"liars":         func(sc *sim.Scenario) { sc.Hostile.Liars = *liars },
		"corrupt":       func(sc *sim.Scenario) { sc.Hostile.Corrupt = *corrupt },
	}
}

// simScenario loads the scenario at path (the default scenario when path is
// empty: the live one when a flag in live was given), applies the flags
// given on the command line and validates it.
func simScenario(fs *flag.FlagSet, path string, overrides map[string]func(*sim.Scenario), live map[string]bool) (sim.Scenario, error) {
	sc := sim.DefaultScenario()
	fs.Visit(func(f *flag.Flag) {
		if live[f.Name] && path == "" {
			sc = sim.DefaultLiveScenario()
		}
	})
	if path != "" {
		var err error
		if sc, err = sim.LoadScenario(path); err != nil {
			return sc, err
		}
	}
	timing, duration := false, false
	fs.Visit(func(f *flag.Flag) {
		if apply := overrides[f.Name]; apply != nil {
			apply(&sc)
		}
		timing = timing || f.Name == "stream" || f.Name == "target-latency"
		duration = duration || f.Name == "duration"
	})
	if timing && !duration && sc.Live != nil {
		sc.Duration = 0 // follow the stream: its default is stream + target latency
	}
	sc = sc.WithDefaults()
	if err := sc.Validate(); err != nil {
		var se *sim.ScenarioError
		if errors.As(err, &se) && path != "" {
			se.File = path
		}
		return sc, fmt.Errorf("%w: %v", errUsage, err)
	}
	return sc, nil
}

// textFlag adapts a scenario value type to flag.Value. Its String is
// empty so that usage shows the scenario defaults given in the help text,
// not the type's zero value.
type textFlag struct{ v encoding.TextUnmarshaler }

func (f textFlag) String() string     { return "" }
func (f textFlag) Set(s string) error { return f.v.UnmarshalText([]byte(s)) }

// simProgress returns a progress callback printing to stderr at most once
// per wall-clock second.
func simProgress(e *env) func(sim.Progress) {
	last := time.Now()
	return func(p sim.Progress) {
		if time.Since(last) < time.Second {
			return
		}
		last = time.Now()
		if p.Viewers > 0 {
			fmt.Fprintf(e.stderr, "sim: %8.1f s virtual, %d viewers, continuity %.4f so far\n",
				p.Elapsed.Seconds(), p.Viewers, p.Continuity)
			return
		}
		fmt.Fprintf(e.stderr, "sim: %8.1f s virtual, %d/%d leechers done\n",
			p.Elapsed.Seconds(), p.Completed, p.Leechers)
	}
}

// writeSVG writes r's plot to path.
func writeSVG(path string, r simReport) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := r.WriteSVG(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

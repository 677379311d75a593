package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/shoal-p2p/shoal/internal/sim"
)

// heapProfile writes a heap profile to path whenever a progress sample
// finds the live heap larger than at any sample before, so the file ends
// up holding the allocations at the run's peak (go tool pprof -sample_index
// inuse_space). It reports the peak it saw.
type heapProfile struct {
	path string
	peak uint64
	err  error
}

// wrap returns progress that also samples the heap; progress as is without
// a path.
func (h *heapProfile) wrap(progress func(sim.Progress)) func(sim.Progress) {
	if h.path == "" {
		return progress
	}
	return func(p sim.Progress) {
		h.sample()
		progress(p)
	}
}

// sample checks the heap and writes the profile at a new peak.
func (h *heapProfile) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if ms.HeapAlloc <= h.peak || h.err != nil {
		return
	}
	h.peak = ms.HeapAlloc
	f, err := os.Create(h.path)
	if err != nil {
		h.err = err
		return
	}
	err = pprof.Lookup("heap").WriteTo(f, 0)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		h.err = fmt.Errorf("heap profile: %w", err)
	}
}

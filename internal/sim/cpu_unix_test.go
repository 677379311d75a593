//go:build unix

package sim

import (
	"syscall"
	"time"
)

// cpuTime returns the process's user+system CPU time, or false if unknown.
// Benchmarks report it per op because wall time is unreliable on shared
// machines.
func cpuTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}

//go:build !unix

package sim

import "time"

// cpuTime reports that CPU time is unknown on this platform.
func cpuTime() (time.Duration, bool) { return 0, false }

package swarm

import "time"

// Pause stops (paused true) or resumes fetching content. While paused the
// engine sends no new requests and starts no origin fetches; blocks of
// requests already out are still accepted and verified, and serving peers
// goes on. The runtime pauses a download whose disk is full and resumes it
// when space returns (docs/design.md). Live channels ignore it.
func (e *Engine) Pause(paused bool, now time.Time) {
	if e.paused == paused {
		return
	}
	e.paused = paused
	if !paused && e.live == nil {
		e.fillAll(now)
		e.originFill(now)
	}
}

// Paused reports whether fetching is paused.
func (e *Engine) Paused() bool { return e.paused }

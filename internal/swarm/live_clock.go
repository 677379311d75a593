package swarm

import (
	"math"
	"time"
)

// The live tables that hold times (the slot tables' busy and rollAt, a
// segment's request times) hold them as nanoseconds since the engine's
// epoch, the first input time it was given: 8 bytes instead of a
// time.Time's 24, so the tables a Tick and a schedule scan take a third
// of the cache lines. t.Sub(epoch) keeps the monotonic clock where both
// have one, so comparisons come out as time.Time's do.

// never is a table time before every other: a peer never left alone, a
// meter never rolled.
const never = math.MinInt64

// at returns t as nanoseconds since l's epoch, fixing the epoch at t on
// the first call.
func (l *liveState) at(t time.Time) int64 {
	if !l.hasEpoch {
		l.epoch, l.hasEpoch = t, true
	}
	return int64(t.Sub(l.epoch))
}

// setNow records the latest input time. Its table time is worked out
// when first needed (nowAt): many inputs need none, and time.Time.Sub
// on wall times costs more than the rest of a chunk map's handling.
func (l *liveState) setNow(now time.Time) { l.now, l.nowOK = now, false }

// nowAt returns the latest input time as a table time.
func (l *liveState) nowAt() int64 {
	if !l.nowOK {
		l.nowT, l.nowOK = l.at(l.now), true
	}
	return l.nowT
}

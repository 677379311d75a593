package swarm

import "time"

// originBusy reports whether s is left to its origin fetch: one is out and
// has taken less than liveOriginLead. A fetch that overruns it (a slow or
// hung origin) no longer holds the segment back: peers are asked for the
// missing chunks too, and whichever copy of a chunk arrives first is kept
// (the origin's data fills only chunks still missing).
func (s *liveSeg) originBusy(now time.Time) bool {
	return s.origin && now.Sub(s.originSent) < liveOriginLead
}

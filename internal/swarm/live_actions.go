package swarm

import (
	"fmt"
	"time"
)

// FetchSegment asks the runtime to fetch bytes [Offset, Offset+Length) of
// a live segment from the origin (an HTTP Range request; the whole segment
// when nothing of it is held yet) and report with Engine.LiveOriginData or
// Engine.LiveOriginFailed. The span runs from the first to the last chunk
// still missing. The engine verifies the bytes against the segment's
// signed announcement.
type FetchSegment struct {
	Rendition uint8
	Sequence  uint64
	Offset    int64
	Length    int64
}

// SegmentReady reports that every chunk of a live segment is verified and
// held: Engine.LiveSegment returns its bytes until Evicted. FromPeers and
// FromOrigin split its bytes by where they came from (the broadcaster's
// own segments count neither).
type SegmentReady struct {
	Rendition  uint8
	Sequence   uint64
	FromPeers  int64
	FromOrigin int64
}

// Evicted reports that a live segment left the window: the engine no longer
// holds or serves it.
type Evicted struct {
	Rendition uint8
	Sequence  uint64
}

func (FetchSegment) isAction() {}
func (SegmentReady) isAction() {}
func (Evicted) isAction()      {}

// String formats the action for logs and traces.
func (a FetchSegment) String() string {
	return fmt.Sprintf("fetch-segment %d/%d [%d+%d]", a.Rendition, a.Sequence, a.Offset, a.Length)
}

// String formats the action for logs and traces.
func (a SegmentReady) String() string {
	return fmt.Sprintf("segment-ready %d/%d", a.Rendition, a.Sequence)
}

// String formats the action for logs and traces.
func (a Evicted) String() string { return fmt.Sprintf("evicted %d/%d", a.Rendition, a.Sequence) }

// SegmentState describes one live segment in the engine's window, as
// returned by Engine.LiveSegments.
type SegmentState struct {
	Sequence      uint64
	Duration      time.Duration
	Time          time.Time // broadcaster wall clock at the segment's start
	Discontinuity bool
	Size          int64
	Ready         bool      // every chunk verified and held
	ReadyAt       time.Time // when it became Ready; zero while not
	Deadline      time.Time // playback deadline: Time + TargetLatency
	FromPeers     int64     // verified bytes received from peers
	FromOrigin    int64     // verified bytes received from the origin
	// Skipped: not Ready and never fetched here: learnt of after its
	// deadline, older than the segment this viewer started at, of a
	// rendition it does not follow, or given up at its deadline. A player
	// waiting for it would wait until it leaves the window.
	Skipped bool
}

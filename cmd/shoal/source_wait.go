package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/shoal-p2p/shoal/internal/live"
	"github.com/shoal-p2p/shoal/internal/node"
)

// patientSource gives an encoder time to write its first playlist: ffmpeg
// and OBS write it only once the first segment is complete, and people
// start the broadcaster and the encoder in either order.
type patientSource struct {
	inner node.Source
	wait  time.Duration // how long a missing playlist is waited for
	say   io.Writer     // where the one "waiting" line goes
}

var _ node.Source = patientSource{}

// Run runs the inner source, starting it again while it reports a missing
// playlist and the wait has not run out.
func (s patientSource) Run(ctx context.Context, out chan<- live.Segment) error {
	deadline := time.Now().Add(s.wait)
	said := false
	for {
		err := s.inner.Run(ctx, out)
		if !errors.Is(err, live.ErrNoPlaylist) {
			return err
		}
		if !time.Now().Before(deadline) {
			return fmt.Errorf("%w (waited %s)", err, s.wait)
		}
		if !said {
			fmt.Fprintf(s.say, "waiting up to %s for the encoder's playlist...\n", s.wait)
			said = true
		}
		t := time.NewTimer(250 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

package main

import (
	"context"
	"fmt"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/shoal-p2p/shoal/internal/node"
)

// newBar returns a byte progress bar on stderr (max -1: unknown yet).
func newBar(e *env, max int64, what string) *progressbar.ProgressBar {
	return progressbar.NewOptions64(max,
		progressbar.OptionSetWriter(e.stderr),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionFullWidth(),
		progressbar.OptionClearOnFinish(),
	)
}

// showProgress updates a download bar: bytes, rate and ETA come from the
// bar; peers and sources go in the description.
func showProgress(bar *progressbar.ProgressBar, st node.Stats) {
	if st.Total > 0 && bar.GetMax64() != st.Total {
		bar.ChangeMax64(st.Total)
	}
	if st.Paused != "" {
		bar.Describe(fmt.Sprintf("%d peers, paused (disk full)", st.Peers))
	} else {
		bar.Describe(fmt.Sprintf("%d peers", st.Peers))
	}
	bar.Set64(st.Have)
}

// showPause prints a status line on stderr, above the bar, when a
// download pauses or resumes (node.Stats.Paused), and returns the new
// reason to pass as was next time.
func showPause(e *env, bar *progressbar.ProgressBar, was string, st node.Stats) string {
	line := ""
	switch {
	case (st.Paused != "") == (was != ""): // the figures inside may change
	case st.Paused != "":
		line = st.Paused
	case !st.Complete:
		line = "space available again; download resumed"
	}
	if line != "" {
		bar.Clear() // the bar is drawn again below at its next update
		fmt.Fprintln(e.stderr, line)
	}
	return st.Paused
}

// statusLine prints a seeding node's figures to stderr every interval,
// when they changed, until the returned stop function is called.
func statusLine(ctx context.Context, e *env, n *node.Node, interval time.Duration) func() {
	var last int64 = -1
	return every(ctx, interval, func() {
		st := n.Stats()
		if st.BytesUploaded == last {
			return
		}
		last = st.BytesUploaded
		fmt.Fprintf(e.stderr, "%d peers, uploaded %s (%.2f copies), %s/s\n", st.Peers,
			formatBytes(st.BytesUploaded), float64(st.BytesUploaded)/float64(max(st.Total, 1)),
			formatBytes(int64(st.UpRate)))
	})
}

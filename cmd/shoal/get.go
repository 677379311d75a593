package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/shoal-p2p/shoal/internal/node"
	"github.com/shoal-p2p/shoal/internal/piece"
)

func runGet(ctx context.Context, e *env, args []string) error {
	fs, verbose := newFlags(e, "get", "LINK [flags]")
	out := fs.String("out", ".", "folder to download into")
	seed := fs.Bool("seed", false, "keep serving the content after the download completes")
	listen := fs.String("listen", "0.0.0.0:0", "peer listen address: IP:port (TCP and QUIC) or a multiaddr")
	stall := fs.Duration("stall-timeout", 60*time.Second, "give up when no byte arrives for this long (0: never)")
	asJSON := fs.Bool("json", false, "print the final figures as JSON on stdout")
	var maxUp byteSize
	fs.Var(&maxUp, "max-upload", "cap on upload bytes per second when seeding, e.g. 10MB (0: none)")
	var token tokenFlags // private content (private.go)
	token.register(fs)
	pos, err := parse(e, fs, verbose, args)
	if err != nil {
		return err
	}
	link, err := linkArg(pos)
	if err != nil {
		return err
	}
	if len(link.Trackers)+len(link.Peers) == 0 {
		// Web seeds serve the content, not its manifest: a peer must.
		return fmt.Errorf("%w: the link names no tracker or peer to learn the content's manifest from", errUsage)
	}
	tok, err := token.load(link)
	if err != nil {
		return err
	}
	if err := checkTrackers(ctx, link); err != nil {
		return err
	}
	n, err := node.New(node.Config{
		Swarm: link.ID, OutDir: *out, Seed: *seed, Listen: []string{*listen},
		Trackers: link.Trackers, Origins: link.Origins, Peers: link.Peers, UploadRate: int64(maxUp), Logger: e.log,
		Access: memberAccess(tok, link.Key),
	})
	if err != nil {
		return err
	}
	err = runDownload(ctx, e, n, *stall)
	if err != nil {
		return err
	}
	st := n.Stats()
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(figures(n, st))
	}
	if path := n.FinalPath(); path != "" {
		fmt.Fprintln(e.stdout, path)
	}
	return nil
}

// runDownload runs the node with a progress bar until it completes (and,
// when seeding, until interrupted), failing when no byte arrives for stall
// while it is not paused for lack of disk space.
func runDownload(ctx context.Context, e *env, n *node.Node, stall time.Duration) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	errc := make(chan error, 1)
	go func() { errc <- n.Run(ctx) }()
	bar := newBar(e, -1, "downloading")
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	var last int64
	var paused string
	lastMove := time.Now()
	for {
		select {
		case err := <-errc:
			showProgress(bar, n.Stats())
			bar.Finish()
			if c := context.Cause(ctx); err == nil && c != nil && !errors.Is(c, context.Canceled) {
				return c
			}
			if err == nil && !n.Stats().Complete && ctx.Err() != nil {
				return errors.New("interrupted; run the same command again to resume")
			}
			return err
		case <-t.C:
			st := n.Stats()
			showProgress(bar, st)
			paused = showPause(e, bar, paused, st)
			// A download paused on a full disk waits for space, not data.
			if got := st.BytesFromPeers + st.BytesFromOrigin; got != last || st.Complete || paused != "" {
				last, lastMove = got, time.Now()
			} else if stall > 0 && time.Since(lastMove) > stall {
				cancel(fmt.Errorf("no data for %s (%d peers connected); partial download kept for resuming", stall, st.Peers))
			}
		}
	}
}

// checkTrackers fails early when the link's only sources are trackers and
// none of them answers at all.
func checkTrackers(ctx context.Context, link piece.Link) error {
	if len(link.Trackers) == 0 || len(link.Peers)+len(link.Origins) > 0 {
		return nil
	}
	var errs []error
	for _, u := range link.Trackers {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err == nil {
			var resp *http.Response
			if resp, err = http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
				cancel()
				return nil
			}
		}
		cancel()
		errs = append(errs, fmt.Errorf("tracker %s unreachable: %w", u, err))
	}
	return errors.Join(errs...)
}

// figures is the JSON form of a node's final figures.
func figures(n *node.Node, st node.Stats) map[string]any {
	return map[string]any{
		"swarm":             n.Swarm().String(),
		"path":              n.FinalPath(),
		"complete":          st.Complete,
		"bytes_total":       st.Total,
		"bytes_from_peers":  st.BytesFromPeers,
		"bytes_from_origin": st.BytesFromOrigin,
		"bytes_uploaded":    st.BytesUploaded,
		"bytes_wasted":      st.BytesWasted,
		"seconds":           st.Elapsed.Seconds(),
		"size":              formatBytes(st.Total),
	}
}

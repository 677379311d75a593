package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/shoal-p2p/shoal/internal/live"
	"github.com/shoal-p2p/shoal/internal/node"
	"github.com/shoal-p2p/shoal/internal/piece"
)

// The live demo: a broadcaster of the built-in clip, its origin, a tracker
// and several viewers, all in this process and on loopback.
const (
	// maxDemoViewers bounds --viewers: every viewer is a full node.
	maxDemoViewers = 32
	// demoUploadCap caps the broadcaster's upload to peers in bytes per
	// second: about 3× the built-in clip's bitrate (its 4 segments of 2 s
	// hold 217 kB, ~27 kB/s), so viewers have to relay to each other.
	demoUploadCap = 80 << 10
	// demoStatusEvery is how often the live demo prints its figures.
	demoStatusEvery = 2 * time.Second
	// demoChannel is the demo channel's name.
	demoChannel = "demo"
	// demoLoopback is where every demo node listens.
	demoLoopback = "127.0.0.1:0"
)

// liveDemoConfig holds the live demo's flags.
type liveDemoConfig struct {
	viewers int
	runFor  time.Duration // 0: until interrupted
	http    string        // viewer 1's gateway address
}

// liveDemo is one run of the live demo: the nodes it started and where
// their Run results arrive (each node sends exactly one).
type liveDemo struct {
	e       *env
	cfg     liveDemoConfig
	bcast   *node.Node
	viewers []*node.Node
	exits   chan nodeExit
}

// nodeExit is a demo node's Run result.
type nodeExit struct {
	who string
	err error
}

func runLiveDemo(ctx context.Context, e *env, cfg liveDemoConfig) error {
	// Everything the demo starts runs until it ends: stop cancels the
	// tracker and the nodes, then waits for every one of them.
	var wg sync.WaitGroup
	nodesCtx, cancel := context.WithCancel(ctx)
	stop := func() { cancel(); wg.Wait() }
	defer stop()
	d := &liveDemo{e: e, cfg: cfg, exits: make(chan nodeExit, cfg.viewers+1)}
	link, err := d.start(nodesCtx, &wg)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, playlistURL(d.viewers[0].HTTPAddr().(*net.TCPAddr)))
	d.intro(link)
	start := time.Now()
	err = d.watch(ctx)
	stop()
	if err != nil {
		return err
	}
	fmt.Fprint(e.stderr, d.figures().summary(time.Since(start)))
	return nil
}

// start starts the tracker, the broadcaster and the viewers, each one
// running as soon as it exists so that an error leaves nothing unowned.
// It returns the channel's link.
func (d *liveDemo) start(ctx context.Context, wg *sync.WaitGroup) (piece.Link, error) {
	trackerURL, waitTracker, err := startTracker(ctx, d.e, demoLoopback)
	if err != nil {
		return piece.Link{}, err
	}
	wg.Go(func() { waitTracker() })
	// Two finished segments at start: players can begin at once, and none
	// is already past its deadline even with `watch --latency 6s` (3 × 2 s
	// would equal it, making every viewer's first segment count as late).
	src, err := live.NewSynthSource(live.SynthConfig{Backlog: 2, Logger: d.e.log})
	if err != nil {
		return piece.Link{}, err
	}
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return piece.Link{}, err
	}
	d.bcast, err = node.New(node.Config{
		Listen: []string{demoLoopback}, Trackers: []string{trackerURL}, UploadRate: demoUploadCap, Logger: d.e.log,
		Live: &node.LiveConfig{Name: demoChannel, Key: pub, Signer: priv, Source: src, HTTP: demoLoopback},
	})
	if err != nil {
		return piece.Link{}, fmt.Errorf("broadcaster: %w", err)
	}
	d.run(ctx, wg, "broadcaster", d.bcast)
	link := piece.Link{
		ID: d.bcast.Swarm(), Name: demoChannel, Key: pub, Trackers: []string{trackerURL},
		Origins: []string{"http://" + d.bcast.HTTPAddr().String()}, Peers: linkPeers(d.bcast.Addrs()),
	}
	for i := range d.cfg.viewers {
		gateway := demoLoopback
		if i == 0 {
			gateway = d.cfg.http
		}
		v, err := node.New(node.Config{
			Swarm: link.ID, Listen: []string{demoLoopback}, Trackers: link.Trackers, Peers: link.Peers, Logger: d.e.log,
			Live: &node.LiveConfig{Name: link.Name, Key: link.Key, Origins: link.Origins, HTTP: gateway},
		})
		if err != nil {
			return link, fmt.Errorf("viewer %d: %w", i+1, err)
		}
		d.viewers = append(d.viewers, v)
		d.run(ctx, wg, fmt.Sprintf("viewer %d", i+1), v)
	}
	return link, nil
}

// run runs n until ctx ends and reports its result on d.exits.
func (d *liveDemo) run(ctx context.Context, wg *sync.WaitGroup, who string, n *node.Node) {
	wg.Go(func() { d.exits <- nodeExit{who: who, err: n.Run(ctx)} })
}

// intro tells the person at the terminal what runs and what to do.
func (d *liveDemo) intro(link piece.Link) {
	until := "Ctrl-C to stop"
	if d.cfg.runFor > 0 {
		until = fmt.Sprintf("stopping after %s (or Ctrl-C)", d.cfg.runFor)
	}
	fmt.Fprintf(d.e.stderr, `shoal demo: 1 broadcaster streams the built-in test clip to %d viewers on this machine;
its upload to peers is capped at %s/s (about 3 copies of the stream), so viewers relay to each other
and fetch from its HTTP origin only what peers cannot deliver in time.
open the URL above (viewer 1's gateway) in VLC, mpv, ffplay or a browser with hls.js;
or join from another terminal: shoal watch '%s'
%s
`, len(d.viewers), formatBytes(demoUploadCap), link, until)
}

// watch prints the figures every demoStatusEvery until ctx ends, --for
// has passed or a node fails.
func (d *liveDemo) watch(ctx context.Context) error {
	var deadline <-chan time.Time
	if d.cfg.runFor > 0 {
		t := time.NewTimer(d.cfg.runFor)
		defer t.Stop()
		deadline = t.C
	}
	tick := time.NewTicker(demoStatusEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-deadline:
			return nil
		case x := <-d.exits:
			switch {
			case ctx.Err() != nil:
				return nil // interrupted: the nodes are stopping
			case x.err != nil:
				return fmt.Errorf("%s: %w", x.who, x.err)
			default:
				return fmt.Errorf("%s: stopped before the demo ended", x.who)
			}
		case <-tick.C:
			fmt.Fprintln(d.e.stderr, d.figures().status())
		}
	}
}

// figures collects every node's live figures.
func (d *liveDemo) figures() liveFigures {
	vs := make([]node.LiveStats, len(d.viewers))
	for i, v := range d.viewers {
		vs[i] = v.LiveStats()
	}
	return newLiveFigures(d.bcast.LiveStats(), vs)
}

// liveFigures are the live demo's figures at one moment, summed over the
// viewers.
type liveFigures struct {
	published      int
	publishedBytes int64
	originServed   int64 // segment bytes the broadcaster's origin served
	uploaded       int64 // chunk bytes the broadcaster sent to peers
	fromPeers      int64 // bytes viewers got from peers, the broadcaster included
	fromOrigin     int64
	ready          int
	late           int
	missed         int
	stalls         uint64
	readyPer       []int // segments ready, per viewer
}

func newLiveFigures(b node.LiveStats, viewers []node.LiveStats) liveFigures {
	f := liveFigures{
		published: b.Published, publishedBytes: b.PublishedBytes, originServed: b.OriginServed, uploaded: b.BytesUploaded,
		readyPer: make([]int, len(viewers)),
	}
	for i, v := range viewers {
		f.fromPeers += v.BytesFromPeers
		f.fromOrigin += v.BytesFromOrigin
		f.ready += v.Ready
		f.late += v.Late
		f.missed += v.Missed
		f.stalls += v.Stalls
		f.readyPer[i] = v.Ready
	}
	return f
}

// offload is the share of the viewers' bytes that came from peers.
func (f liveFigures) offload() float64 { return ratio(f.fromPeers, f.fromPeers+f.fromOrigin) }

// mutual is the share of the viewers' bytes that came from each other: what
// they got from peers beyond what the broadcaster uploaded.
func (f liveFigures) mutual() float64 {
	return ratio(max(f.fromPeers-f.uploaded, 0), f.fromPeers+f.fromOrigin)
}

// egress is what the origin served, in copies of the stream.
func (f liveFigures) egress() float64 { return ratio(f.originServed, f.publishedBytes) }

// continuity is "93% (14/15 on time)": segments ready before their
// deadline out of those due (ready or missed).
func (f liveFigures) continuity() string {
	due := f.ready + f.missed
	if due == 0 {
		return "n/a (none due yet)"
	}
	onTime := f.ready - f.late
	return fmt.Sprintf("%.0f%% (%d/%d on time)", 100*ratio(int64(onTime), int64(due)), onTime, due)
}

// status is the line printed every few seconds.
func (f liveFigures) status() string {
	return fmt.Sprintf("viewers %d | peer offload %.0f%% | origin egress %.2f copies | continuity %s | %d stalls | published %d segments",
		len(f.readyPer), 100*f.offload(), f.egress(), f.continuity(), f.stalls, f.published)
}

// summary is the final report; its last line lists the segments ready per
// viewer for scripts and tests.
func (f liveFigures) summary(took time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nshoal demo: ran %s; the broadcaster published %d segments (%s)\n",
		took.Round(100*time.Millisecond), f.published, formatBytes(f.publishedBytes))
	fmt.Fprintf(&b, "viewers got %.0f%% of their bytes from peers (%.0f%% from each other); the origin served %.2f copies of the stream, the broadcaster uploaded %.2f copies to peers\n",
		100*f.offload(), 100*f.mutual(), f.egress(), ratio(f.uploaded, f.publishedBytes))
	fmt.Fprintf(&b, "continuity %s, %d late, %d missed, %d stalls\n", f.continuity(), f.late, f.missed, f.stalls)
	fmt.Fprintf(&b, "viewers %d, segments ready per viewer:", len(f.readyPer))
	for _, n := range f.readyPer {
		fmt.Fprintf(&b, " %d", n)
	}
	b.WriteString("\n")
	return b.String()
}

// ratio is a/b, 0 when b is.
func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

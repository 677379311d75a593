package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/shoal-p2p/shoal/internal/node"
	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/store"
)

// demoArgs is the demo's usage line: the live demo by default, the file
// demo with --files.
const demoArgs = "[--viewers N] [--for DURATION] [--http ADDR] | --files [--size N] [--peers N] [--keep]"

// Flags that belong to one demo only.
var (
	liveDemoFlags = []string{"viewers", "for", "http"}
	fileDemoFlags = []string{"size", "peers", "keep"}
)

func runDemo(ctx context.Context, e *env, args []string) error {
	fs, verbose := newFlags(e, "demo", demoArgs)
	files := fs.Bool("files", false, "run the file demo: a seed and several downloaders share random content")
	viewers := fs.Int("viewers", 5, "live: viewers watching the channel")
	runFor := fs.Duration("for", 0, "live: stop after this long (0: run until interrupted)")
	httpAddr := fs.String("http", "127.0.0.1:0", "live: address of viewer 1's player gateway")
	size := fs.Int64("size", 64<<20, "files: bytes of random content to share")
	peers := fs.Int("peers", 8, "files: downloaders")
	keep := fs.Bool("keep", false, "files: keep the demo's folder instead of deleting it")
	pos, err := parse(e, fs, verbose, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("%w: demo takes no arguments", errUsage)
	}
	if err := checkDemoFlags(fs, *files); err != nil {
		return err
	}
	if !*files {
		if *viewers < 1 || *viewers > maxDemoViewers || *runFor < 0 {
			return fmt.Errorf("%w: 1 <= --viewers <= %d, --for >= 0", errUsage, maxDemoViewers)
		}
		return runLiveDemo(ctx, e, liveDemoConfig{viewers: *viewers, runFor: *runFor, http: *httpAddr})
	}
	if *size <= 0 || *peers < 1 || *peers > 64 {
		return fmt.Errorf("%w: -size > 0, 1 <= -peers <= 64", errUsage)
	}
	dir, err := os.MkdirTemp("", "shoal-demo-")
	if err != nil {
		return err
	}
	if *keep {
		fmt.Fprintf(e.stderr, "demo folder: %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d := &demo{e: e, dir: dir}
	return d.run(ctx, *size, *peers)
}

// checkDemoFlags refuses flags of the demo that is not running.
func checkDemoFlags(fs *flag.FlagSet, files bool) error {
	other, want := fileDemoFlags, "--files"
	if files {
		other, want = liveDemoFlags, "the live demo (without --files)"
	}
	var bad error
	fs.Visit(func(f *flag.Flag) {
		if bad == nil && slices.Contains(other, f.Name) {
			bad = fmt.Errorf("%w: --%s is for %s", errUsage, f.Name, want)
		}
	})
	return bad
}

type demo struct {
	e   *env
	dir string
}

func (d *demo) run(ctx context.Context, size int64, peers int) error {
	// Everything the demo starts runs until it ends: stop cancels the
	// tracker and the nodes (the downloaders keep seeding) and waits.
	var wg sync.WaitGroup
	ctx, stop := context.WithCancel(ctx)
	defer func() { stop(); wg.Wait() }()
	src := filepath.Join(d.dir, "seed", "demo.bin")
	if err := writeRandom(src, size); err != nil {
		return err
	}
	m, err := store.BuildManifest(ctx, src, 0, nil)
	if err != nil {
		return err
	}
	trackerURL, waitTracker, err := startTracker(ctx, d.e, "127.0.0.1:0")
	if err != nil {
		return err
	}
	wg.Go(func() { waitTracker() })
	seed, err := node.New(node.Config{Manifest: m, SharePath: src, Listen: []string{"127.0.0.1:0"}, Trackers: []string{trackerURL}, Logger: d.e.log})
	if err != nil {
		return err
	}
	link := piece.Link{ID: m.ID(), Name: m.Name, Trackers: []string{trackerURL}, Peers: linkPeers(seed.Addrs())}
	fmt.Fprintf(d.e.stderr, "shoal demo: 1 seed shares %s of random data with %d downloaders on this machine\nlink: %s\n\n",
		formatBytes(size), peers, link)
	wg.Go(func() { seed.Run(ctx) })

	nodes, errs, err := d.startDownloaders(ctx, link, peers, &wg)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := d.watch(ctx, seed, nodes, errs); err != nil {
		return err
	}
	return d.report(src, seed, nodes, time.Since(start))
}

// startDownloaders starts the downloaders; the last one joins late, once the
// others hold a quarter of the content.
func (d *demo) startDownloaders(ctx context.Context, link piece.Link, count int, wg *sync.WaitGroup) ([]*node.Node, chan error, error) {
	errs := make(chan error, count)
	nodes := make([]*node.Node, count)
	for i := range nodes {
		n, err := node.New(node.Config{
			Swarm: link.ID, OutDir: filepath.Join(d.dir, fmt.Sprintf("peer%02d", i+1)), Seed: true,
			Listen: []string{"127.0.0.1:0"}, Trackers: link.Trackers, Peers: link.Peers, Logger: d.e.log,
		})
		if err != nil {
			return nil, nil, err
		}
		nodes[i] = n
	}
	for i, n := range nodes {
		if i == count-1 && count > 1 {
			break
		}
		wg.Go(func() { errs <- n.Run(ctx) })
	}
	if count > 1 {
		late := nodes[count-1]
		wg.Go(func() {
			for ctx.Err() == nil && nodes[0].Stats().Have*4 < max(nodes[0].Stats().Total, 1) {
				select {
				case <-ctx.Done():
				case <-time.After(50 * time.Millisecond):
				}
			}
			errs <- late.Run(ctx)
		})
	}
	return nodes, errs, nil
}

// watch prints a line of figures every second until every downloader is
// complete.
func (d *demo) watch(ctx context.Context, seed *node.Node, nodes []*node.Node, errs chan error) error {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		done := 0
		var line bytes.Buffer
		for _, n := range nodes {
			st := n.Stats()
			if st.Complete {
				done++
			}
			fmt.Fprintf(&line, "%3.0f%% ", 100*float64(st.Have)/float64(max(st.Total, 1)))
		}
		ss := seed.Stats()
		fmt.Fprintf(d.e.stderr, "complete %d/%d | seed uploaded %.2f copies | peers: %s\n",
			done, len(nodes), float64(ss.BytesUploaded)/float64(max(ss.Total, 1)), line.String())
		if done == len(nodes) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("interrupted")
		case err := <-errs:
			if err != nil {
				return err
			}
		case <-t.C:
		}
	}
}

// report checks every downloaded byte against the original and prints the
// figures that matter.
func (d *demo) report(src string, seed *node.Node, nodes []*node.Node, took time.Duration) error {
	want, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	var fromPeers, fromSeedSide int64
	for i, n := range nodes {
		got, err := os.ReadFile(n.FinalPath())
		if err != nil {
			return fmt.Errorf("downloader %d: %w", i+1, err)
		}
		if !bytes.Equal(got, want) {
			return fmt.Errorf("downloader %d: content differs from the original", i+1)
		}
		fromPeers += n.Stats().BytesFromPeers
	}
	fromSeedSide = seed.Stats().BytesUploaded
	total := float64(len(want)) * float64(len(nodes))
	fmt.Fprintf(d.e.stderr, "\nall %d downloaders verified byte for byte in %s\n", len(nodes), took.Round(10*time.Millisecond))
	fmt.Fprintf(d.e.stderr, "seed uploaded %.2f copies; downloaders got %.0f%% of their bytes from each other\n",
		float64(fromSeedSide)/float64(len(want)), 100*(float64(fromPeers)-float64(fromSeedSide))/total)
	return nil
}

// writeRandom writes size pseudo-random bytes to path.
func writeRandom(path string, size int64) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	r := rand.NewChaCha8([32]byte{'s', 'h', 'o', 'a', 'l'})
	buf := make([]byte, 1<<20)
	for left := size; left > 0; left -= int64(len(buf)) {
		b := buf[:min(int64(len(buf)), left)]
		r.Read(b)
		if _, err := f.Write(b); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

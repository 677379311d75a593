package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shoal-p2p/shoal/internal/live"
	"github.com/shoal-p2p/shoal/internal/node"
	"github.com/shoal-p2p/shoal/internal/piece"
)

// broadcastKeyFile holds the broadcaster's Ed25519 seed (hex) in --data, so
// a restarted broadcast keeps its channel ID and link.
const broadcastKeyFile = "broadcast.key"

// sourceBacklog is how many already finished segments a source emits at
// start, so viewers can play at once.
const sourceBacklog = 3

func runBroadcast(ctx context.Context, e *env, args []string) error {
	fs, verbose := newFlags(e, "broadcast", "(--hls-dir DIR | --hls-url URL | --synth) [flags]")
	hlsDir := fs.String("hls-dir", "", "follow the HLS playlist an encoder writes in DIR (index.m3u8), or a .m3u8 file's path")
	hlsURL := fs.String("hls-url", "", "follow a live HLS playlist served over HTTP")
	synth := fs.Bool("synth", false, "broadcast a built-in test clip (needs nothing installed)")
	name := fs.String("name", "live", "channel name; with the key it makes the channel ID")
	listen := fs.String("listen", "0.0.0.0:0", "peer listen address: IP:port (TCP and QUIC) or a multiaddr")
	httpAddr := fs.String("http", "0.0.0.0:0", "address of the built-in HTTP origin viewers fall back to")
	originURL := fs.String("origin", "", "origin base URL to put in the link instead of the built-in one (e.g. a CDN in front of it)")
	var trackers stringList
	fs.Var(&trackers, "tracker", "tracker announce URL (repeatable); default: run one inside this process")
	trackerListen := fs.String("tracker-listen", "0.0.0.0:0", "address of the embedded tracker")
	data := fs.String("data", defaultDataDir(), "folder for this node's identity and the channel key ("+broadcastKeyFile+")")
	var maxUp, chunk byteSize
	fs.Var(&maxUp, "max-upload", "cap on upload bytes per second, e.g. 10MB (0: none)")
	fs.Var(&chunk, "chunk-size", "unit of verification and relay inside a segment, 1KiB..1MiB (default 64KiB)")
	wait := fs.Duration("wait", 30*time.Second, "how long to wait for the encoder's first playlist")
	pos, err := parse(e, fs, verbose, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, pos[0])
	}
	if chunk != 0 && (chunk < live.MinChunkSize || chunk > live.MaxChunkSize) {
		return fmt.Errorf("%w: --chunk-size %d outside [%d, %d]", errUsage, chunk, live.MinChunkSize, live.MaxChunkSize)
	}
	src, what, err := newSource(e, *hlsDir, *hlsURL, *synth)
	if err != nil {
		return err
	}
	if !*synth {
		src = patientSource{inner: src, wait: *wait, say: e.stderr}
	}
	priv, err := loadBroadcastKey(*data)
	if err != nil {
		return err
	}
	pub := priv.Public().(ed25519.PublicKey)
	if len(trackers) == 0 {
		// The embedded tracker stops with the command, also when it fails.
		tctx, stopTracker := context.WithCancel(ctx)
		url, wait, err := startTracker(tctx, e, *trackerListen)
		if err != nil {
			stopTracker()
			return err
		}
		defer func() { stopTracker(); wait() }()
		trackers = append(trackers, url)
	}
	n, err := node.New(node.Config{
		Listen: []string{*listen}, DataDir: *data, Trackers: trackers, UploadRate: int64(maxUp), Logger: e.log,
		Live: &node.LiveConfig{Name: *name, Key: pub, Signer: priv, Source: src, HTTP: *httpAddr, ChunkSize: int(chunk)},
	})
	if err != nil {
		return err
	}
	origin := *originURL
	if origin == "" {
		origin = "http://" + advertised(n.HTTPAddr().(*net.TCPAddr))
	}
	link := piece.Link{ID: n.Swarm(), Name: *name, Key: pub, Trackers: trackers, Origins: []string{origin}, Peers: linkPeers(n.Addrs())}
	fmt.Fprintln(e.stdout, link.String())
	fmt.Fprintf(e.stderr, "broadcasting %s as channel %q; origin %s; Ctrl-C to stop\n", what, *name, origin)
	fmt.Fprintf(e.stderr, "watch with: shoal watch '%s'\n", link.String())
	stop := every(ctx, 5*time.Second, func() { broadcastStatus(e, n.LiveStats()) })
	err = n.Run(ctx)
	stop()
	return err
}

// newSource builds the one source the flags name.
func newSource(e *env, dir, url string, synth bool) (node.Source, string, error) {
	set := 0
	for _, b := range []bool{dir != "", url != "", synth} {
		if b {
			set++
		}
	}
	if set != 1 {
		return nil, "", fmt.Errorf("%w: give exactly one of --hls-dir, --hls-url and --synth", errUsage)
	}
	switch {
	case synth:
		s, err := live.NewSynthSource(live.SynthConfig{Backlog: sourceBacklog, Logger: e.log})
		return s, "the built-in test clip", err
	case url != "":
		s, err := live.NewURLSource(live.URLConfig{URL: url, Backlog: sourceBacklog, Logger: e.log})
		if err != nil {
			return nil, "", fmt.Errorf("%w: %v", errUsage, err)
		}
		return s, url, nil
	}
	cfg := live.DirConfig{Dir: dir, Backlog: sourceBacklog, Logger: e.log}
	if strings.HasSuffix(dir, ".m3u8") {
		cfg.Dir, cfg.Playlist = filepath.Dir(dir), filepath.Base(dir)
	}
	s, err := live.NewDirSource(cfg)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", errUsage, err)
	}
	if cfg.Playlist == "" {
		cfg.Playlist = "index.m3u8"
	}
	return s, filepath.Join(cfg.Dir, cfg.Playlist), nil
}

// loadBroadcastKey returns the channel key kept in dir, creating it on
// first use. An empty dir gives a fresh key that is not saved.
func loadBroadcastKey(dir string) (ed25519.PrivateKey, error) {
	if dir == "" {
		_, priv, err := ed25519.GenerateKey(nil)
		return priv, err
	}
	path := filepath.Join(dir, broadcastKeyFile)
	raw, err := os.ReadFile(path)
	if err == nil {
		seed, err := hex.DecodeString(strings.TrimSpace(string(raw)))
		if err != nil || len(seed) != ed25519.SeedSize {
			return nil, fmt.Errorf("channel key %s: want %d hex-encoded bytes", path, ed25519.SeedSize)
		}
		return ed25519.NewKeyFromSeed(seed), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("channel key: %w", err)
	}
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("channel key: %w", err)
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(priv.Seed())+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("channel key: %w", err)
	}
	return priv, nil
}

func broadcastStatus(e *env, st node.LiveStats) {
	egress := 0.0
	if st.PublishedBytes > 0 {
		egress = float64(st.OriginServed) / float64(st.PublishedBytes)
	}
	fmt.Fprintf(e.stderr, "published %d segments (%s), %d peers, uploaded %s to peers, origin served %s (%.2f copies)\n",
		st.Published, formatBytes(st.PublishedBytes), st.Peers, formatBytes(st.BytesUploaded), formatBytes(st.OriginServed), egress)
}

// every calls f every interval until ctx ends or the returned stop
// function is called; stop waits for the goroutine to finish.
func every(ctx context.Context, interval time.Duration, f func()) func() {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				f()
			}
		}
	}()
	return func() { cancel(); <-done }
}

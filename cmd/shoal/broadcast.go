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

// broadcastFlags are the settings of one "shoal broadcast".
type broadcastFlags struct {
	hlsDir, hlsURL, name, listen, httpAddr, originURL, trackerListen, data string
	synth                                                                  bool
	trackers                                                               stringList
	maxUp, chunk                                                           byteSize
	wait                                                                   time.Duration
	private                                                                privateFlags // --private (private.go)
}

// parseBroadcast reads the command line of "shoal broadcast".
func parseBroadcast(e *env, args []string) (*broadcastFlags, error) {
	f := &broadcastFlags{}
	fs, verbose := newFlags(e, "broadcast", "(--hls-dir DIR | --hls-url URL | --synth) [flags]")
	fs.StringVar(&f.hlsDir, "hls-dir", "", "follow the HLS playlist an encoder writes in DIR (index.m3u8), or a .m3u8 file's path")
	fs.StringVar(&f.hlsURL, "hls-url", "", "follow a live HLS playlist served over HTTP")
	fs.BoolVar(&f.synth, "synth", false, "broadcast a built-in test clip (needs nothing installed)")
	fs.StringVar(&f.name, "name", "live", "channel name; with the key it makes the channel ID")
	fs.StringVar(&f.listen, "listen", "0.0.0.0:0", "peer listen address: IP:port (TCP and QUIC) or a multiaddr")
	fs.StringVar(&f.httpAddr, "http", "0.0.0.0:0", "address of the built-in HTTP origin viewers fall back to")
	fs.StringVar(&f.originURL, "origin", "", "origin base URL to put in the link instead of the built-in one (e.g. a CDN in front of it)")
	fs.Var(&f.trackers, "tracker", "tracker announce URL (repeatable); default: run one inside this process")
	fs.StringVar(&f.trackerListen, "tracker-listen", "0.0.0.0:0", "address of the embedded tracker")
	fs.StringVar(&f.data, "data", defaultDataDir(), "folder for this node's identity and the channel key ("+broadcastKeyFile+")")
	fs.Var(&f.maxUp, "max-upload", "cap on upload bytes per second, e.g. 10MB (0: none)")
	fs.Var(&f.chunk, "chunk-size", "unit of verification and relay inside a segment, 1KiB..1MiB (default 64KiB)")
	fs.DurationVar(&f.wait, "wait", 30*time.Second, "how long to wait for the encoder's first playlist")
	f.private.register(fs, true)
	pos, err := parse(e, fs, verbose, args)
	if err != nil {
		return nil, err
	}
	if len(pos) > 0 {
		return nil, fmt.Errorf("%w: unexpected argument %q", errUsage, pos[0])
	}
	if f.chunk != 0 && (f.chunk < live.MinChunkSize || f.chunk > live.MaxChunkSize) {
		return nil, fmt.Errorf("%w: --chunk-size %d outside [%d, %d]", errUsage, f.chunk, live.MinChunkSize, live.MaxChunkSize)
	}
	if err := f.private.check(); err != nil {
		return nil, err
	}
	return f, nil
}

func runBroadcast(ctx context.Context, e *env, args []string) error {
	f, err := parseBroadcast(e, args)
	if err != nil {
		return err
	}
	src, what, err := newSource(e, f.hlsDir, f.hlsURL, f.synth)
	if err != nil {
		return err
	}
	if !f.synth {
		src = patientSource{inner: src, wait: f.wait, say: e.stderr}
	}
	priv, err := loadBroadcastKey(f.data)
	if err != nil {
		return err
	}
	pub := priv.Public().(ed25519.PublicKey)
	trackers := f.trackers
	if len(trackers) == 0 {
		// The embedded tracker stops with the command, also when it fails.
		tctx, stopTracker := context.WithCancel(ctx)
		url, wait, err := startTracker(tctx, e, f.trackerListen)
		if err != nil {
			stopTracker()
			return err
		}
		defer func() { stopTracker(); wait() }()
		trackers = append(trackers, url)
	}
	n, err := node.New(node.Config{
		Listen: []string{f.listen}, DataDir: f.data, Trackers: trackers, UploadRate: int64(f.maxUp), Logger: e.log,
		Live:   &node.LiveConfig{Name: f.name, Key: pub, Signer: priv, Source: src, HTTP: f.httpAddr, ChunkSize: int(f.chunk)},
		Access: f.private.access(),
	})
	if err != nil {
		return err
	}
	origin := f.originURL
	if origin == "" {
		origin = "http://" + advertised(n.HTTPAddr().(*net.TCPAddr))
	}
	link := piece.Link{ID: n.Swarm(), Name: f.name, Key: pub, Private: f.private.on, Trackers: trackers, Origins: []string{origin}, Peers: linkPeers(n.Addrs())}
	fmt.Fprintln(e.stdout, link.String())
	fmt.Fprintf(e.stderr, "broadcasting %s as channel %q; origin %s; Ctrl-C to stop\n", what, f.name, origin)
	fmt.Fprintf(e.stderr, "watch with: shoal watch '%s'\n", link.String())
	if f.private.on {
		fmt.Fprintf(e.stderr, "private channel: give each viewer a token from: shoal token --data %s --name %s --member NAME\n", f.data, f.name)
	}
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

package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"golang.org/x/time/rate"

	"github.com/shoal-p2p/shoal/internal/origin"
	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/store"
	"github.com/shoal-p2p/shoal/internal/swarm"
	"github.com/shoal-p2p/shoal/internal/tracker"
	"github.com/shoal-p2p/shoal/internal/wire"
)

// Config describes one node serving or fetching one piece of content. The
// zero value of every optional field means a sensible default.
type Config struct {
	// Swarm is the content's ID. Required unless Manifest is set.
	Swarm piece.ID
	// Manifest is known when sharing; nil when downloading from a link, in
	// which case it is fetched from peers and checked against Swarm.
	Manifest *piece.Manifest
	// SharePath is the file or folder being shared (seed mode). Exactly one
	// of SharePath and OutDir is set.
	SharePath string
	// OutDir is where a download is written (get mode).
	OutDir string
	// Seed keeps a download serving after it completes.
	Seed bool

	// Listen lists listen addresses: multiaddrs, or host:port which means
	// TCP and QUIC on that port. Default 0.0.0.0:0.
	Listen []string
	// DataDir keeps the node's identity key; empty means a fresh identity.
	DataDir string
	// Trackers, Origins (web seeds) and Peers (multiaddrs with /p2p/) are
	// the sources named by the link and flags.
	Trackers, Origins, Peers []string

	// MaxPeers caps connected peers. Default 50.
	MaxPeers int
	// Limits bounds connections, streams and buffer memory per peer, per
	// IP and in total; always on, zero fields mean defaults (limits.go).
	Limits LimitsConfig
	// UploadRate caps the bytes per second this node serves to peers,
	// across all of them; 0 means no cap.
	UploadRate int64
	// Engine tunes the swarm engine; Swarm, Manifest, Have and Origin are
	// filled in by the node.
	Engine swarm.Config
	// Live, when set, makes this a live channel node (broadcaster or
	// viewer, live_config.go) instead of a file node: SharePath, OutDir
	// and Manifest stay empty and Swarm is the channel ID.
	Live *LiveConfig
	// Access, when set, makes the content private (access.go,
	// docs/private.md): only members with a token the owner issued may
	// join, and a live channel's segments are encrypted.
	Access *AccessConfig
	// Logger receives structured logs; nil means slog.Default().
	Logger *slog.Logger

	// SpaceCheck reports whether the file system holding dir has need
	// bytes free, returning an error wrapping store.ErrNoSpace if not; nil
	// means store.CheckSpace. A download that runs out of space pauses and
	// calls it every SpacePoll until it passes (space.go).
	SpaceCheck func(dir string, need int64) error
	// SpacePoll is how often a download paused on a full disk checks free
	// space again. Default 5 s.
	SpacePoll time.Duration

	// wrapStorage, when set (by tests), wraps the storage a download
	// writes to, e.g. to make a disk fill up on cue.
	wrapStorage func(store.Storage) store.Storage
}

// Errors callers branch on.
var (
	ErrConfig = errors.New("node: bad config")
	ErrExists = errors.New("node: output exists and differs from the content")
)

// Node runs one swarm over a libp2p host. Create it with New, then call Run.
type Node struct {
	cfg     Config
	log     *slog.Logger
	host    host.Host
	content *content
	tracker *tracker.Client
	upload  *rate.Limiter // nil: uploads are not capped
	origin  *origin.Client
	events  chan event
	live    *liveNode   // set when Config.Live is (live.go)
	access  *accessNode // set when Config.Access is (access.go)

	completeOnce sync.Once
	completed    chan struct{} // closed once the content is complete

	mu    sync.Mutex // guards stats and final
	stats Stats
	final string
}

// New validates cfg, prepares storage (verifying what a previous run left)
// and starts the libp2p host. Close releases it if Run is never called.
func New(cfg Config) (*Node, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	var c *content
	var err error
	if cfg.Live != nil {
		c = &content{cfg: &cfg, log: log} // live: nothing on disk, the engine holds the window
	} else if c, err = openContent(&cfg, log); err != nil {
		return nil, err
	}
	key, err := loadIdentity(cfg.DataDir)
	if err != nil {
		c.close()
		return nil, err
	}
	listen, err := listenAddrs(cfg.Listen)
	if err == nil {
		err = checkPorts(listen)
	}
	if err != nil {
		c.close()
		return nil, err
	}
	h, err := newLimitedHost(listen, key, cfg.Limits, cfg.MaxPeers)
	if err != nil {
		c.close()
		return nil, err
	}
	var ln *liveNode
	if cfg.Live != nil {
		// Live: open the origin or gateway listener now, so a busy port
		// fails New rather than Run.
		if ln, err = newLiveNode(&cfg); err != nil {
			h.Close()
			return nil, err
		}
	}
	n := &Node{
		cfg:     cfg,
		log:     log,
		host:    h,
		content: c,
		tracker: tracker.NewClient(tracker.ClientConfig{}),
		origin:  origin.New(origin.Config{}),
		events:  make(chan event, 256),
		live:    ln,

		completed: make(chan struct{}),
	}
	n.stats = n.content.initialStats()
	n.access = newAccessNode(n) // private content (access.go)
	if cfg.UploadRate > 0 {
		n.upload = rate.NewLimiter(rate.Limit(cfg.UploadRate), int(max(cfg.UploadRate/10, 2*wire.MaxBlockSize)))
	}
	return n, nil
}

func (c *Config) fill() error {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	switch {
	case c.Live != nil:
		// Live channel: validated and its Swarm set in live_config.go.
		if err := c.fillLive(); err != nil {
			return err
		}
	case (c.SharePath == "") == (c.OutDir == ""):
		return fmt.Errorf("%w: set exactly one of SharePath and OutDir", ErrConfig)
	case c.SharePath != "" && c.Manifest == nil:
		return fmt.Errorf("%w: sharing needs a manifest", ErrConfig)
	}
	if c.Manifest != nil {
		c.Swarm = c.Manifest.ID()
	}
	if c.Swarm.IsZero() {
		return fmt.Errorf("%w: no swarm id", ErrConfig)
	}
	if err := c.fillAccess(); err != nil { // private content (access.go)
		return err
	}
	if c.Manifest != nil && c.Manifest.Sealed() && c.Access == nil {
		return fmt.Errorf("%w: the manifest is sealed: %w", ErrConfig, ErrPrivate)
	}
	if len(c.Listen) == 0 {
		c.Listen = []string{"0.0.0.0:0"}
	}
	if c.MaxPeers == 0 {
		c.MaxPeers = defaultMaxPeers
	}
	if c.SpaceCheck == nil {
		c.SpaceCheck = store.CheckSpace
	}
	if c.SpacePoll <= 0 {
		c.SpacePoll = defaultSpacePoll
	}
	if c.Engine.Seed == 0 {
		// Each node needs its own tie-break order: with a shared one,
		// every downloader would ask for the same pieces in the same order.
		c.Engine.Seed = rand.Uint64()
	}
	if c.UploadRate < 0 {
		return fmt.Errorf("%w: negative upload rate", ErrConfig)
	}
	for _, p := range c.Peers {
		if _, err := peer.AddrInfoFromString(p); err != nil {
			return fmt.Errorf("%w: peer address %q: %v", ErrConfig, p, err)
		}
	}
	return nil
}

// listenAddrs turns host:port entries into TCP and QUIC multiaddrs.
func listenAddrs(in []string) ([]string, error) {
	var out []string
	for _, a := range in {
		if strings.HasPrefix(a, "/") {
			if _, err := ma.NewMultiaddr(a); err != nil {
				return nil, fmt.Errorf("%w: listen address %q: %v", ErrConfig, a, err)
			}
			out = append(out, a)
			continue
		}
		h, p, err := net.SplitHostPort(a)
		if err != nil {
			return nil, fmt.Errorf("%w: listen address %q: want host:port or a multiaddr", ErrConfig, a)
		}
		port, err := strconv.Atoi(p)
		ip := net.ParseIP(h)
		if err != nil || port < 0 || port > 65535 || ip == nil {
			return nil, fmt.Errorf("%w: listen address %q: want IP:port", ErrConfig, a)
		}
		fam := "ip4"
		if ip.To4() == nil {
			fam = "ip6"
		}
		out = append(out,
			fmt.Sprintf("/%s/%s/tcp/%d", fam, ip, port),
			fmt.Sprintf("/%s/%s/udp/%d/quic-v1", fam, ip, port))
	}
	return out, nil
}

// ID returns the node's libp2p peer ID.
func (n *Node) ID() peer.ID { return n.host.ID() }

// Swarm returns the ID of the content this node serves or fetches.
func (n *Node) Swarm() piece.ID { return n.cfg.Swarm }

// Addrs returns the node's dialable addresses with its /p2p/ suffix,
// loopback included, unspecified listen addresses expanded.
func (n *Node) Addrs() []string {
	var out []string
	for _, a := range n.host.Addrs() {
		out = append(out, a.String()+"/p2p/"+n.host.ID().String())
	}
	return out
}

// Stats returns a snapshot of the node's figures.
func (n *Node) Stats() Stats {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.stats
}

// Completed returns a channel closed once every piece is verified (at once
// for a seed) and, for a download, the content has moved into place.
func (n *Node) Completed() <-chan struct{} { return n.completed }

func (n *Node) markComplete() { n.completeOnce.Do(func() { close(n.completed) }) }

// FinalPath returns where completed content lives, once it is complete.
func (n *Node) FinalPath() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.final
}

// Run serves and fetches until ctx ends or, for a download without Seed,
// until the content is complete and moved into place. It returns nil on
// completion or when ctx is cancelled, and the first fatal error otherwise.
// The host is closed when Run returns.
func (n *Node) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		n.host.Close()
		wg.Wait()
		n.content.close()
	}()
	// A private file's member gets its content key before the engine
	// starts: what a previous run stored is verified through it
	// (access_files.go).
	if err := n.unlockContent(ctx); err != nil {
		return err
	}
	l := newLoop(n, ctx, &wg)
	n.host.SetStreamHandler(protocolID, l.handleStream)
	defer n.host.RemoveStreamHandler(protocolID)
	n.access.start(ctx, l) // private content: key service or client (access.go)
	wg.Add(1)
	go func() {
		defer wg.Done()
		newDiscovery(n, l).run(ctx)
	}()
	if n.live != nil {
		n.live.start(ctx, l) // live HTTP server and source or poller (live.go)
	}
	return l.run(ctx)
}

// Close releases the node's resources when Run was never called.
func (n *Node) Close() error {
	if n.live != nil {
		n.live.ln.Close() // the live HTTP listener New opened
	}
	n.content.close()
	return n.host.Close()
}

// Stats are a node's figures at one moment.
type Stats struct {
	Total           int64         // content length; 0 until the manifest is known
	Have            int64         // verified bytes held
	PiecesHave      int           // verified pieces held
	PiecesTotal     int           // pieces in the content
	BytesFromPeers  int64         // verified... payload bytes received from peers
	BytesFromOrigin int64         // bytes received from web seeds
	BytesUploaded   int64         // payload bytes served to peers
	BytesWasted     int64         // duplicate, unrequested or failed bytes
	DownRate        float64       // bytes per second
	UpRate          float64       // bytes per second
	Peers           int           // connected peers
	Complete        bool          // every piece verified
	Elapsed         time.Duration // since Run started
	// Paused says why fetching is paused (the disk is full) and that it
	// resumes by itself; empty while the download runs.
	Paused string
}

// setFinal records where complete content lives and signals completion.
func (n *Node) setFinal() {
	path := n.cfg.SharePath
	if m := n.content.manifest(); n.cfg.OutDir != "" && m != nil {
		path = filepath.Join(n.cfg.OutDir, m.Name)
	}
	n.mu.Lock()
	n.final = path
	n.mu.Unlock()
	n.markComplete()
}

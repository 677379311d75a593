package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shoal-p2p/shoal/internal/node"
	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/store"
)

func runShare(ctx context.Context, e *env, args []string) error {
	fs, verbose := newFlags(e, "share", "PATH [flags]")
	var trackers, origins stringList
	fs.Var(&trackers, "tracker", "tracker announce URL (repeatable); default: run one inside this process")
	fs.Var(&origins, "origin", "HTTP URL (web seed) serving the same content (repeatable)")
	listen := fs.String("listen", "0.0.0.0:0", "peer listen address: IP:port (TCP and QUIC) or a multiaddr")
	trackerListen := fs.String("tracker-listen", "0.0.0.0:0", "address of the embedded tracker")
	data := fs.String("data", defaultDataDir(), "folder for this node's identity key")
	pieceSize := fs.Int64("piece-size", 0, "piece size in bytes (power of two); 0 chooses one")
	var maxUp byteSize
	fs.Var(&maxUp, "max-upload", "cap on upload bytes per second, e.g. 10MB (0: none)")
	var private privateFlags // --private (private.go)
	private.register(fs, false)
	export := fs.String("export", "", "with --private: also write the encrypted content to DIR/NAME for a web seed (--origin) to serve")
	pos, err := parse(e, fs, verbose, args)
	if err != nil {
		return err
	}
	if err := private.check(); err != nil {
		return err
	}
	if *export != "" && !private.on {
		return fmt.Errorf("%w: --export needs --private (public content is served as it is)", errUsage)
	}
	acc, key, err := private.shareAccess(*data)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: want exactly one PATH, got %d", errUsage, len(pos))
	}
	path, err := filepath.Abs(pos[0])
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("%s: %w", pos[0], unwrapPathErr(err))
	}
	m, err := buildManifest(ctx, e, path, *pieceSize)
	if err != nil {
		return err
	}
	if private.on { // pieces are encrypted; the link names the sealed manifest
		if m, err = sealShare(ctx, e, path, m, *data, *export, acc); err != nil {
			return err
		}
	}
	// Whatever share starts stops when it returns, on error too: the
	// embedded tracker would otherwise keep the command alive.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if len(trackers) == 0 {
		url, wait, err := startTracker(ctx, e, *trackerListen)
		if err != nil {
			return err
		}
		defer func() { cancel(); wait() }()
		trackers = append(trackers, url)
	}
	n, err := node.New(node.Config{
		Manifest: m, SharePath: path, Listen: []string{*listen}, DataDir: *data,
		Trackers: trackers, Origins: origins, UploadRate: int64(maxUp), Logger: e.log, Access: acc,
	})
	if err != nil {
		return err
	}
	link := piece.Link{ID: m.ID(), Name: m.Name, Key: key, Private: private.on, Trackers: trackers, Origins: origins, Peers: linkPeers(n.Addrs())}
	fmt.Fprintln(e.stdout, link.String())
	fmt.Fprintf(e.stderr, "sharing %s (%s, %d pieces); Ctrl-C to stop\n", m.Name, formatBytes(m.Length()), m.NumPieces())
	stopStatus := statusLine(ctx, e, n, 5*time.Second)
	err = n.Run(ctx)
	stopStatus()
	return err
}

// buildManifest hashes the content, showing progress for large inputs.
func buildManifest(ctx context.Context, e *env, path string, pieceSize int64) (*piece.Manifest, error) {
	bar := newBar(e, -1, "hashing")
	m, err := store.BuildManifest(ctx, path, pieceSize, func(done, total int64) {
		bar.ChangeMax64(total)
		bar.Set64(done)
	})
	bar.Finish()
	if err != nil {
		return nil, err
	}
	return m, nil
}

// linkPeers picks the addresses to put in a link: TCP before QUIC,
// non-loopback before loopback, at most four.
func linkPeers(addrs []string) []string {
	var best, rest []string
	for _, a := range addrs {
		switch {
		case strings.Contains(a, "/tcp/") && !strings.HasPrefix(a, "/ip4/127.") && !strings.HasPrefix(a, "/ip6/::1/"):
			best = append(best, a)
		default:
			rest = append(rest, a)
		}
	}
	out := append(best, rest...)
	if len(out) > 4 {
		out = out[:4]
	}
	return out
}

func defaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "shoal")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "shoal")
	}
	return ""
}

func unwrapPathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

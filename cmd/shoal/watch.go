package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/shoal-p2p/shoal/internal/live"
	"github.com/shoal-p2p/shoal/internal/node"
	"github.com/shoal-p2p/shoal/internal/piece"
)

func runWatch(ctx context.Context, e *env, args []string) error {
	fs, verbose := newFlags(e, "watch", "LINK [flags]")
	httpAddr := fs.String("http", "127.0.0.1:0", "address of the local HTTP gateway players read")
	listen := fs.String("listen", "0.0.0.0:0", "peer listen address: IP:port (TCP and QUIC) or a multiaddr")
	latency := fs.Duration("latency", node.DefaultLiveTargetLatency, "play this far behind the broadcaster (every viewer plays the same moment)")
	var maxUp byteSize
	fs.Var(&maxUp, "max-upload", "cap on upload bytes per second to other viewers, e.g. 1MB (0: none)")
	var token tokenFlags // private channels (private.go)
	token.register(fs)
	pos, err := parse(e, fs, verbose, args)
	if err != nil {
		return err
	}
	link, err := linkArg(pos)
	if err != nil {
		return err
	}
	if err := checkLiveLink(link); err != nil {
		return err
	}
	tok, err := token.load(link)
	if err != nil {
		return err
	}
	if *latency <= 0 {
		return fmt.Errorf("%w: --latency must be positive", errUsage)
	}
	n, err := node.New(node.Config{
		Swarm: link.ID, Listen: []string{*listen}, Trackers: link.Trackers, Peers: link.Peers,
		UploadRate: int64(maxUp), Logger: e.log, Access: memberAccess(tok, link.Key),
		Live: &node.LiveConfig{Name: link.Name, Key: link.Key, Origins: link.Origins, HTTP: *httpAddr, TargetLatency: *latency},
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, playlistURL(n.HTTPAddr().(*net.TCPAddr)))
	fmt.Fprintf(e.stderr, "watching channel %q %s behind the broadcaster; open the URL above in VLC, mpv or ffplay; Ctrl-C to stop\n", link.Name, *latency)
	stop := every(ctx, 5*time.Second, func() { watchStatus(e, n.LiveStats()) })
	err = n.Run(ctx)
	stop()
	return err
}

// checkLiveLink refuses links that cannot name a live channel.
func checkLiveLink(link piece.Link) error {
	if len(link.Key) == 0 {
		return fmt.Errorf("%w: the link has no channel key (k=): not a live channel (use shoal get for files)", errUsage)
	}
	if len(link.Key) != 32 || live.ChannelID(link.Key, link.Name) != link.ID {
		return fmt.Errorf("%w: the link's key (k=) and name (dn=) do not match its channel ID", errUsage)
	}
	if len(link.Origins)+len(link.Peers)+len(link.Trackers) == 0 {
		return fmt.Errorf("%w: the link names no origin, peer or tracker", errUsage)
	}
	return nil
}

// playlistURL is the master playlist's URL on the gateway; an unspecified
// listen address is reached on loopback.
func playlistURL(a *net.TCPAddr) string {
	ip := a.IP
	if ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	return fmt.Sprintf("http://%s/live/master.m3u8", net.JoinHostPort(ip.String(), fmt.Sprint(a.Port)))
}

func watchStatus(e *env, st node.LiveStats) {
	offload := 0.0
	if got := st.BytesFromPeers + st.BytesFromOrigin; got > 0 {
		offload = 100 * float64(st.BytesFromPeers) / float64(got)
	}
	stalled := ""
	if st.Stalled {
		stalled = " (stalled now)"
	}
	fmt.Fprintf(e.stderr, "%d segments ready (%d late, %d missed), %d peers, from peers %s, from origin %s (%.0f%% offload), %d stalls%s\n",
		st.Ready, st.Late, st.Missed, st.Peers, formatBytes(st.BytesFromPeers), formatBytes(st.BytesFromOrigin), offload, st.Stalls, stalled)
}

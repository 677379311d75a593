package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/shoal-p2p/shoal/internal/tracker"
)

func runTracker(ctx context.Context, e *env, args []string) error {
	fs, verbose := newFlags(e, "tracker", "[flags]")
	listen := fs.String("listen", "0.0.0.0:7070", "address to serve HTTP on")
	pos, err := parse(e, fs, verbose, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, pos[0])
	}
	url, wait, err := startTracker(ctx, e, *listen)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, url)
	fmt.Fprintf(e.stderr, "tracker listening; announce URL %s (Ctrl-C to stop)\n", url)
	return wait()
}

// startTracker serves a tracker on addr until ctx ends. It returns the
// announce URL and a function that waits for the server to stop.
func startTracker(ctx context.Context, e *env, addr string) (string, func() error, error) {
	srv, err := tracker.New(tracker.Config{Logger: e.log})
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("tracker: listen on %s: %w", addr, err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		select {
		case <-ctx.Done():
		case <-errc:
			return
		}
		sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
	}()
	url := fmt.Sprintf("http://%s/announce", advertised(ln.Addr().(*net.TCPAddr)))
	wait := func() error {
		<-stopped
		select {
		case err := <-errc:
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("tracker: %w", err)
			}
		default:
		}
		return nil
	}
	return url, wait, nil
}

// advertised returns host:port others should use to reach a listener: the
// listener's own IP, or for an unspecified IP this machine's first
// non-loopback IPv4 address (loopback when there is none).
func advertised(a *net.TCPAddr) string {
	ip := a.IP
	if ip.IsUnspecified() {
		ip = outboundIP()
	}
	return net.JoinHostPort(ip.String(), fmt.Sprint(a.Port))
}

func outboundIP() net.IP {
	addrs, err := net.InterfaceAddrs()
	if err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil && !n.IP.IsLinkLocalUnicast() {
				return n.IP
			}
		}
	}
	return net.IPv4(127, 0, 0, 1)
}

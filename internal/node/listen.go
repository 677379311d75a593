package node

import (
	"fmt"
	"net"
	"strconv"

	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

// checkPorts fails when a listen address names a port that is already in
// use. libp2p starts as long as one of its listen addresses works, so a
// busy TCP port next to a free QUIC one would go unnoticed; a user who
// names a port wants it or a clear error.
func checkPorts(addrs []string) error {
	for _, s := range addrs {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			return fmt.Errorf("%w: listen address %q: %v", ErrConfig, s, err)
		}
		network, host, err := manet.DialArgs(a)
		if err != nil {
			continue // not TCP or UDP: libp2p reports it
		}
		if _, port, _ := net.SplitHostPort(host); port == "0" || port == "" {
			continue
		} else if _, err := strconv.Atoi(port); err != nil {
			continue
		}
		if err := probe(network, host); err != nil {
			return fmt.Errorf("node: listen on %s: %w", s, err)
		}
	}
	return nil
}

// probe binds network/host and releases it at once.
func probe(network, host string) error {
	switch network {
	case "tcp", "tcp4", "tcp6":
		ln, err := net.Listen(network, host)
		if err != nil {
			return err
		}
		return ln.Close()
	case "udp", "udp4", "udp6":
		c, err := net.ListenPacket(network, host)
		if err != nil {
			return err
		}
		return c.Close()
	}
	return nil
}

package node

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
)

// identityFile is the name of the node's private key inside its data dir.
const identityFile = "identity.key"

// newHost builds a libp2p host with the limits a node of default Config
// gets; see newLimitedHost.
func newHost(listen []string, key crypto.PrivKey) (host.Host, error) {
	return newLimitedHost(listen, key, LimitsConfig{}, defaultMaxPeers)
}

// newLimitedHost builds the libp2p host: TCP with Noise and yamux, and
// QUIC, with the resource manager and connection manager that enforce lim
// (zero fields are defaults) for a node of maxPeers swarm peers. It
// deliberately names its transports instead of taking libp2p's defaults so
// the binary carries only what Shoal uses.
func newLimitedHost(listen []string, key crypto.PrivKey, lim LimitsConfig, maxPeers int) (host.Host, error) {
	lim, err := lim.withDefaults(maxPeers)
	if err != nil {
		return nil, err
	}
	rm, err := lim.resourceManager()
	if err != nil {
		return nil, err
	}
	cm, err := connManager(maxPeers)
	if err != nil {
		rm.Close()
		return nil, err
	}
	opts := []libp2p.Option{
		libp2p.Identity(key),
		libp2p.ListenAddrStrings(listen...),
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Transport(quic.NewTransport),
		libp2p.Security(noise.ID, noise.New),
		libp2p.Muxer(yamux.ID, yamux.DefaultTransport),
		libp2p.ResourceManager(rm),
		libp2p.ConnectionManager(cm),
		libp2p.DisableMetrics(),
	}
	h, err := libp2p.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("node: start libp2p host on %v: %w", listen, err)
	}
	return h, nil
}

// loadIdentity returns the Ed25519 key stored in dir, creating it on first
// use. An empty dir gives a fresh key that is not saved.
func loadIdentity(dir string) (crypto.PrivKey, error) {
	if dir == "" {
		k, _, err := crypto.GenerateEd25519Key(rand.Reader)
		return k, err
	}
	path := filepath.Join(dir, identityFile)
	raw, err := os.ReadFile(path)
	if err == nil {
		k, err := crypto.UnmarshalPrivateKey(raw)
		if err != nil {
			return nil, fmt.Errorf("node: identity %s: %w", path, err)
		}
		return k, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("node: identity: %w", err)
	}
	k, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		return nil, err
	}
	raw, err = crypto.MarshalPrivateKey(k)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("node: data dir: %w", err)
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		return nil, fmt.Errorf("node: save identity: %w", err)
	}
	return k, nil
}

package swarm

import (
	"testing"

	"github.com/shoal-p2p/shoal/internal/wire"
)

// TestReceiveConnIgnoresStaleHandles checks that a Conn delivers to its
// peer like Receive, and that after the peer is removed its old handle
// reaches nobody, not even a new connection under the same ID.
func TestReceiveConnIgnoresStaleHandles(t *testing.T) {
	e := newTestEngine(t, Config{Manifest: testManifest(4, 16<<10), BlockSize: 16 << 10, Seed: 1})
	if _, ok := e.Conn("a"); ok {
		t.Fatal("Conn of a peer never added reported ok")
	}
	e.AddPeer("a", epoch)
	c, ok := e.Conn("a")
	if !ok {
		t.Fatal("Conn of a connected peer reported not ok")
	}
	e.ReceiveConn(c, wire.Interested{}, epoch)
	if !e.peers["a"].theyInterested {
		t.Fatal("ReceiveConn did not reach the peer")
	}
	e.RemovePeer("a", epoch)
	e.AddPeer("a", epoch)
	e.ReceiveConn(c, wire.Interested{}, epoch)
	if e.peers["a"].theyInterested {
		t.Fatal("a stale handle reached the new connection under the same ID")
	}
	e.ReceiveConn(Conn{}, wire.Interested{}, epoch) // the zero Conn: ignored
}

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

// TestAppendReadyAppends checks that AppendReady keeps what dst held, adds
// the pending actions in order and leaves none pending.
func TestAppendReadyAppends(t *testing.T) {
	e := newTestEngine(t, Config{Manifest: testManifest(4, 16<<10), BlockSize: 16 << 10, Seed: 1})
	e.AddPeer("a", epoch)
	e.AddPeer("b", epoch)
	mark := Disconnect{Peer: "x"}
	got := e.AppendReady([]Action{mark})
	if len(got) != 3 || got[0] != Action(mark) {
		t.Fatalf("AppendReady = %v, want the mark and two bitfields", got)
	}
	for i, want := range []PeerID{"a", "b"} {
		if s, ok := got[i+1].(Send); !ok || s.Peer != want {
			t.Errorf("action %d = %v, want a Send to %s", i+1, got[i+1], want)
		}
	}
	if rest := e.AppendReady(nil); len(rest) != 0 {
		t.Errorf("second AppendReady = %v, want nothing", rest)
	}
}

// TestLiveReceiveConnIgnoresStaleHandles checks the same on a live engine,
// which checks handles against its slot table: after "a" leaves, its old
// handle reaches neither the peer that took its slot nor a new connection
// under its ID.
func TestLiveReceiveConnIgnoresStaleHandles(t *testing.T) {
	h, e := liveViewer(t, "a")
	a := h.announcement(0)
	ann := wire.Announce{Data: a.Append(nil)}
	old, _ := e.Conn("a")
	e.RemovePeer("a", epoch)
	e.AddPeer("b", epoch) // takes a's slot
	e.AddPeer("a", epoch)
	e.Ready()
	if b := e.peers["b"]; b.lp.slot != int(old.slot) {
		t.Fatalf("b took slot %d, want a's old slot %d; the test proves little", b.lp.slot, old.slot)
	}
	e.ReceiveConn(old, ann, epoch)
	if len(e.LiveSegments(0)) != 0 {
		t.Fatal("a stale handle delivered an announcement")
	}
	e.ReceiveConn(old, wire.LiveRequest{}, epoch) // checked on the peer, not the slot
	if acts := e.Ready(); len(acts) != 0 {
		t.Fatalf("a stale handle's request was answered: %v", acts)
	}
	c, ok := e.Conn("b")
	if !ok {
		t.Fatal("Conn of a connected peer reported not ok")
	}
	e.ReceiveConn(c, ann, epoch)
	s := e.live.seg(segKey{0, 0})
	if s == nil || !s.seenBy(int(c.slot)) {
		t.Fatal("a live handle did not deliver its announcement")
	}
	e.ReceiveConn(Conn{}, ann, epoch) // the zero Conn: ignored
}

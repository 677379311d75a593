package sim

import (
	"cmp"
	"slices"

	"github.com/shoal-p2p/shoal/internal/swarm"
)

// connState is one end's state of a pair of nodes. A pair is connected
// at most once: after it closes it stays closed.
type connState uint8

const (
	connNone    connState = iota
	connDialing           // handshake on its way
	connOpen              // this end's engine has the other as a peer
	connClosed
)

// pairConn is one pair's connection. Both ends' pairRefs and every
// message in flight between them point to it, so a delivery checks the
// connection and finds the receiving engine's handle on the sender
// without a lookup. Each end's state and handle, by side (see side), are
// written only by that end's events (and by global events): an end that
// closes tells the other with a message.
type pairConn struct {
	state [2]connState
	conn  [2]swarm.Conn // that end's engine's handle on the other
}

// side returns 0 for the lower NodeID of a pair and 1 for the higher.
func side(self, other NodeID) int {
	if self < other {
		return 0
	}
	return 1
}

// pairRef is a node's entry for a pair it is connecting or connected in.
type pairRef struct {
	id NodeID // the other end
	pc *pairConn
}

// pairKey names an unordered pair of nodes.
func pairKey(a, b NodeID) uint64 {
	if a > b {
		a, b = b, a
	}
	return uint64(a)<<32 | uint64(uint32(b))
}

// pairOf returns the connection between n and to: from n's own sorted
// entries (a few cache lines, where the run-wide map is cold), or from the
// map for a pair n has closed. It is nil for a pair never connected. The
// map is only written by global events, so parts may read it.
func (d *driver) pairOf(n *simNode, to NodeID) *pairConn {
	if i, ok := slices.BinarySearchFunc(n.pairs, to, cmpRef); ok {
		return n.pairs[i].pc
	}
	return d.conns[pairKey(n.id, to)]
}

// open reports whether n's side of the pair (n, to) is connected.
func (d *driver) open(n *simNode, to NodeID) bool {
	pc := d.pairOf(n, to)
	return pc != nil && pc.state[side(n.id, to)] == connOpen
}

func cmpRef(r pairRef, id NodeID) int { return cmp.Compare(r.id, id) }

// addRef records pc in n's sorted entries for the pair with id.
func addRef(n *simNode, id NodeID, pc *pairConn) {
	if i, ok := slices.BinarySearchFunc(n.pairs, id, cmpRef); !ok {
		n.pairs = slices.Insert(n.pairs, i, pairRef{id, pc})
	}
}

// dropRef removes n's entry for the pair with id.
func dropRef(n *simNode, id NodeID) {
	if i, ok := slices.BinarySearchFunc(n.pairs, id, cmpRef); ok {
		n.pairs = slices.Delete(n.pairs, i, i+1)
	}
}

// addPeer has n's engine add o as a peer and keeps the engine's handle on
// it in their pair.
func (sh *shard) addPeer(n, o *simNode, pc *pairConn) {
	n.eng.AddPeer(o.pid, sh.at())
	pc.conn[side(n.id, o.id)], _ = n.eng.Conn(o.pid)
}

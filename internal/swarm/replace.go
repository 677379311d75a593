package swarm

import "time"

// Replaceable names the peer to disconnect so that a newcomer can take its
// place when the runtime is at its peer cap: of the peers connected for at
// least Config.PeerGrace, the one that trades least with us (the sum of
// the rates both ways; the lowest ID among equals). ok is false when every
// peer is younger than that; the runtime then turns the newcomer away.
//
// A node that only turned newcomers away would, in a large swarm, leave
// the nodes that cannot accept connections (behind NAT) with no one to
// dial: every reachable node is full. Replacing the least useful peer keeps
// the degree capped and the graph open to newcomers (docs/design.md, runtime).
func (e *Engine) Replaceable(now time.Time) (PeerID, bool) {
	var best *peer
	var bestRate float64
	for _, p := range e.list {
		// The grace gives a peer time to show what it holds and to trade,
		// so that a node asked by many newcomers at once does not trade
		// one newcomer for the next.
		if now.Sub(p.since) < e.cfg.PeerGrace {
			continue
		}
		r := p.down.bytesPerSec() + p.up.bytesPerSec()
		if best == nil || r < bestRate {
			best, bestRate = p, r
		}
	}
	if best == nil {
		return "", false
	}
	return best.id, true
}

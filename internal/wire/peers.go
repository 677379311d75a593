package wire

// Peer-exchange limits.
const (
	// MaxPeers is the most peers one Peers message lists.
	MaxPeers = 50
	// MaxPeerIDLen is the longest binary peer ID.
	MaxPeerIDLen = 64
	// MaxPeerAddrs is the most addresses listed for one peer.
	MaxPeerAddrs = 8
	// MaxAddrLen is the longest binary multiaddr.
	MaxAddrLen = 255
)

// PeerInfo is one peer in a peer-exchange message: a libp2p peer ID in its
// binary form and its multiaddrs in binary form.
type PeerInfo struct {
	ID    []byte
	Addrs [][]byte
}

// Peers is a peer-exchange message.
//
// Encoding: u8 peer count (0..MaxPeers); per peer a u8 ID length
// (1..MaxPeerIDLen) and the ID, a u8 address count (0..MaxPeerAddrs), and per
// address a u8 length (1..MaxAddrLen) and the address. A parsed message
// aliases the parsed buffer; empty lists parse as nil.
type Peers struct {
	Peers []PeerInfo
}

// Type returns TypePeers.
func (Peers) Type() Type { return TypePeers }

// Append appends the payload encoding of m to b. Counts and lengths are
// written as single bytes, so m must respect the limits above.
func (m Peers) Append(b []byte) []byte {
	b = append(b, byte(len(m.Peers)))
	for _, p := range m.Peers {
		b = append(b, byte(len(p.ID)))
		b = append(b, p.ID...)
		b = append(b, byte(len(p.Addrs)))
		for _, a := range p.Addrs {
			b = append(b, byte(len(a)))
			b = append(b, a...)
		}
	}
	return b
}

func parsePeers(p []byte) (Peers, error) {
	c := cursor{t: TypePeers, b: p}
	n := c.count("peer count", MaxPeers)
	var m Peers
	if n > 0 {
		m.Peers = make([]PeerInfo, n)
	}
	for i := range m.Peers {
		m.Peers[i] = c.peer()
	}
	if c.err == nil && len(c.b) != 0 {
		c.err = malformed(TypePeers, "%d trailing bytes", len(c.b))
	}
	if c.err != nil {
		return Peers{}, c.err
	}
	return m, nil
}

// peer decodes one PeerInfo.
func (c *cursor) peer() PeerInfo {
	var pi PeerInfo
	pi.ID = c.field("peer id", MaxPeerIDLen)
	n := c.count("address count", MaxPeerAddrs)
	if n > 0 {
		pi.Addrs = make([][]byte, n)
	}
	for i := range pi.Addrs {
		pi.Addrs[i] = c.field("address", MaxAddrLen)
	}
	return pi
}

package swarm

import (
	"time"

	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/wire"
)

// Receive handles message m from peer id. Messages from unknown or banned
// peers are ignored; malformed content is answered with a Reject or a
// Disconnect, never a panic. On a live channel the engine keeps LiveData
// payloads and the announcement bytes of Announce and LiveIntro as they
// are: the caller must not reuse their buffers (wire.Reader allocates a
// fresh one per frame).
func (e *Engine) Receive(id PeerID, m wire.Message, now time.Time) {
	e.ReceiveConn(connOf(e.peers[id]), m, now)
}

// Conn is an engine's handle on one connected peer, for a runtime that
// keeps per-connection state of its own: ReceiveConn skips the lookup by
// ID that Receive does on every message. The zero Conn refers to no peer.
// A Conn is only meaningful to the engine that returned it.
type Conn struct {
	p *peer
	// slot is p's live slot: chunk maps and announcements, most live
	// messages, need nothing else of the peer, so their handle is checked
	// against the slot table and the peer (usually cold) is not read.
	slot int32
}

// Conn returns the handle of the connected peer id, and false if id is not
// connected.
func (e *Engine) Conn(id PeerID) (Conn, bool) {
	p := e.peers[id]
	return connOf(p), p != nil
}

// connOf returns the handle of p (nil: the zero Conn).
func connOf(p *peer) Conn {
	if p == nil {
		return Conn{}
	}
	return Conn{p, int32(p.lp.slot)}
}

// ReceiveConn is Receive for the peer c refers to. A message on a handle
// whose peer has been removed since is ignored, as Receive ignores one from
// an unknown peer.
func (e *Engine) ReceiveConn(c Conn, m wire.Message, now time.Time) {
	p := c.p
	if p == nil || m == nil {
		return
	}
	if e.live != nil {
		e.liveReceive(c, m, now)
		return
	}
	if p.removed {
		return
	}
	switch m := m.(type) {
	case wire.Bitfield:
		e.onBitfield(p, m.Bits, now)
	case wire.Have:
		e.onHave(p, m.Index, now)
	case wire.Request:
		e.onRequest(p, m, now)
	case wire.Data:
		e.onData(p, m, now)
	case wire.Reject:
		e.onReject(p, m, now)
	case wire.Choke:
		e.onChoke(p)
		e.fillOthers(p, now)
	case wire.Unchoke:
		p.theyChoking = false
		e.fillPeer(p, now)
	case wire.Interested:
		p.theyInterested = true
		e.fillSlots()
	case wire.NotInterested:
		e.onNotInterested(p)
	case wire.ManifestRequest:
		e.serveManifest(p, m.Offset)
	case wire.Manifest:
		e.mf.onPart(e, p, m, now)
	}
	// Handshake, Cancel (blocks are served at once, nothing is queued),
	// Peers (peer exchange is the runtime's) and unknown types are ignored.
}

// onBitfield records the peer's pieces, or keeps the raw bytes until the
// manifest is known.
func (e *Engine) onBitfield(p *peer, raw []byte, now time.Time) {
	if e.manifest == nil {
		p.rawBits = append([]byte(nil), raw...)
		p.gotRawBits = true
		e.mf.holderSeen(e, p, now)
		return
	}
	bits, err := piece.ParseBitfield(raw, e.manifest.NumPieces())
	if err != nil {
		e.disconnect(p, false, "bad bitfield", now)
		return
	}
	e.setPeerBits(p, bits)
	e.updateInterest(p)
	e.fillPeer(p, now)
}

// setPeerBits replaces p's bitfield, keeping availability and wantCount in
// step.
func (e *Engine) setPeerBits(p *peer, bits piece.Bitfield) {
	p.wantCount = 0
	for i := range e.avail {
		had, has := p.bits.Has(i), bits.Has(i)
		if had != has {
			if has {
				e.avail[i]++
			} else {
				e.avail[i]--
			}
		}
		if has && !e.have.Has(i) {
			p.wantCount++
		}
	}
	p.bits = bits
}

// onHave records one more piece of p's.
func (e *Engine) onHave(p *peer, index uint32, now time.Time) {
	if e.manifest == nil {
		if len(p.earlyHaves) < maxEarlyHaves {
			p.earlyHaves = append(p.earlyHaves, index)
		}
		return
	}
	if int64(index) >= int64(e.manifest.NumPieces()) {
		e.disconnect(p, false, "have out of range", now)
		return
	}
	e.addPeerPiece(p, int(index))
	e.updateInterest(p)
	e.fillPeer(p, now)
}

// addPeerPiece marks piece i as held by p.
func (e *Engine) addPeerPiece(p *peer, i int) {
	if p.bits.Has(i) {
		return
	}
	p.bits.Set(i)
	e.avail[i]++
	if !e.have.Has(i) {
		p.wantCount++
	}
}

// removePeerPiece marks piece i as not held by p (after a NotHave reject).
func (e *Engine) removePeerPiece(p *peer, i int) {
	if !p.bits.Has(i) {
		return
	}
	p.bits.Clear(i)
	e.avail[i]--
	if !e.have.Has(i) {
		p.wantCount--
	}
}

// applyEarly validates what p announced before the manifest arrived. It
// reports false if p was disconnected.
func (e *Engine) applyEarly(p *peer, now time.Time) bool {
	n := e.manifest.NumPieces()
	p.bits = piece.NewBitfield(n)
	if p.gotRawBits {
		bits, err := piece.ParseBitfield(p.rawBits, n)
		if err != nil {
			e.disconnect(p, false, "bad bitfield", now)
			return false
		}
		e.setPeerBits(p, bits)
	}
	for _, idx := range p.earlyHaves {
		if int64(idx) >= int64(n) {
			e.disconnect(p, false, "have out of range", now)
			return false
		}
		e.addPeerPiece(p, int(idx))
	}
	p.rawBits, p.earlyHaves, p.gotRawBits = nil, nil, false
	return true
}

// onReject releases the refused request; the reason adjusts our view of p.
func (e *Engine) onReject(p *peer, m wire.Reject, now time.Time) {
	k := blockKey{m.Index, m.Begin}
	req, ok := p.out[k]
	if !ok {
		return
	}
	// A refused coalesced Request releases every block it covered.
	for off := uint32(0); off < max(req.run, req.length); {
		kb := blockKey{m.Index, m.Begin + off}
		rb, ok := p.out[kb]
		if !ok {
			break
		}
		e.release(p, kb)
		off += rb.length
	}
	switch m.Reason {
	case wire.RejectNotHave:
		if e.manifest != nil && int64(m.Index) < int64(e.manifest.NumPieces()) {
			e.removePeerPiece(p, int(m.Index))
			e.updateInterest(p)
		}
	case wire.RejectChoked:
		e.onChoke(p)
	}
	// TooMany and BadRange: wait for the next Tick before asking p again.
	e.fillOthers(p, now)
}

// onChoke drops our outstanding requests to p: a choking peer does not
// answer them.
func (e *Engine) onChoke(p *peer) {
	p.theyChoking = true
	for _, k := range p.outKeys() {
		e.release(p, k)
	}
}

// updateInterest sends Interested or NotInterested when our interest in p
// changes.
func (e *Engine) updateInterest(p *peer) {
	want := p.wantCount > 0 && e.manifest != nil && !e.have.Full()
	if want == p.amInterested {
		return
	}
	p.amInterested = want
	if want {
		e.send(p, wire.Interested{})
	} else {
		e.send(p, wire.NotInterested{})
	}
}

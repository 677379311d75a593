package swarm

import (
	"crypto/sha256"
	"time"

	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/wire"
)

// Manifest transfer limits: the wire protocol's bound on a manifest
// encoding, and the largest part we send.
const (
	maxManifestSize = wire.MaxManifestSize
	manifestPart    = wire.MaxManifestChunk
)

// manifestFetch downloads the manifest from one peer at a time. Parts must
// arrive contiguously from the peer asked; a peer that does not answer within
// RequestTimeout is skipped and the download restarts from another, so the
// bytes checked against the swarm ID always come from a single peer.
type manifestFetch struct {
	asking PeerID // "" when idle
	sent   time.Time
	buf    []byte
	total  uint32
	tried  map[PeerID]bool
}

// peerAdded starts the fetch if nobody is being asked.
func (f *manifestFetch) peerAdded(e *Engine, now time.Time) {
	if f.asking == "" {
		f.askNext(e, now)
	}
}

// peerRemoved moves on if the peer being asked left.
func (f *manifestFetch) peerRemoved(e *Engine, id PeerID, now time.Time) {
	if e.manifest == nil && f.asking == id {
		f.tried[id] = true
		f.askNext(e, now)
	}
}

// tick abandons a peer that has not answered in time.
func (f *manifestFetch) tick(e *Engine, now time.Time) {
	if e.manifest != nil {
		return
	}
	if f.asking == "" || now.Sub(f.sent) >= e.cfg.RequestTimeout {
		if f.asking != "" {
			f.tried[f.asking] = true
		}
		f.askNext(e, now)
	}
}

// askNext restarts the download from the first untried peer, forgetting who
// was tried once everyone has been.
func (f *manifestFetch) askNext(e *Engine, now time.Time) {
	f.asking, f.buf, f.total = "", nil, 0
	if f.tried == nil {
		f.tried = make(map[PeerID]bool)
	}
	for round := 0; round < 2; round++ {
		// Peers that sent a bitfield know the manifest; ask them first.
		for _, holders := range []bool{true, false} {
			for _, id := range e.order {
				if !f.tried[id] && e.peers[id].gotRawBits == holders {
					f.ask(e, id, now)
					return
				}
			}
		}
		clear(f.tried)
	}
}

func (f *manifestFetch) ask(e *Engine, id PeerID, now time.Time) {
	f.asking, f.sent, f.buf, f.total = id, now, nil, 0
	e.send(e.peers[id], wire.ManifestRequest{Offset: 0})
}

// holderSeen switches to p, which just showed it has the manifest by
// sending a bitfield, when the peer being asked has not shown that and has
// sent nothing yet: a peer without the manifest never answers, and waiting
// for its timeout would delay the start by RequestTimeout.
func (f *manifestFetch) holderSeen(e *Engine, p *peer, now time.Time) {
	if f.asking == p.id || len(f.buf) > 0 {
		return
	}
	if cur := e.peers[f.asking]; cur != nil && cur.gotRawBits {
		return
	}
	f.ask(e, p.id, now)
}

// onPart appends one part and, once complete, checks and installs it.
func (f *manifestFetch) onPart(e *Engine, p *peer, m wire.Manifest, now time.Time) {
	if e.manifest != nil || p.id != f.asking {
		return
	}
	if m.Total == 0 || m.Total > maxManifestSize || m.Offset != uint32(len(f.buf)) ||
		(f.total != 0 && m.Total != f.total) || int64(m.Offset)+int64(len(m.Data)) > int64(m.Total) ||
		len(m.Data) == 0 {
		e.disconnect(p, false, "malformed manifest part", now)
		return
	}
	f.total = m.Total
	f.buf = append(f.buf, m.Data...)
	f.sent = now
	if uint32(len(f.buf)) < f.total {
		e.send(p, wire.ManifestRequest{Offset: uint32(len(f.buf))})
		return
	}
	raw := f.buf
	f.buf = nil
	if piece.ID(sha256.Sum256(raw)) != e.cfg.Swarm {
		e.disconnect(p, true, "manifest does not match swarm id", now)
		return
	}
	mf, err := piece.ParseManifest(raw)
	if err == nil {
		err = checkManifest(mf)
	}
	if err != nil {
		e.disconnect(p, true, "invalid manifest", now)
		return
	}
	f.asking = ""
	e.installManifest(mf, raw, now)
}

// installManifest adopts a fetched manifest: announces our (empty) bitfield,
// validates what peers announced early, and starts downloading.
func (e *Engine) installManifest(m *piece.Manifest, raw []byte, now time.Time) {
	e.setManifest(m, piece.Bitfield{})
	e.manifestBytes = raw
	e.emit(ManifestReady{Manifest: m})
	for _, id := range append([]PeerID(nil), e.order...) {
		p := e.peers[id]
		if p == nil || !e.applyEarly(p, now) {
			continue
		}
		e.send(p, wire.Bitfield{Bits: e.have.Bytes()})
		e.updateInterest(p)
	}
	e.fillAll(now)
	e.originFill(now)
}

// serveManifest answers a ManifestRequest with one part of the encoding.
// Without the manifest, or for an offset past its end, it stays silent.
func (e *Engine) serveManifest(p *peer, off uint32) {
	if e.manifest == nil {
		return
	}
	if e.manifestBytes == nil {
		e.manifestBytes = e.manifest.Encode()
	}
	raw := e.manifestBytes
	if int64(off) >= int64(len(raw)) {
		return
	}
	end := min(int64(off)+manifestPart, int64(len(raw)))
	e.send(p, wire.Manifest{Total: uint32(len(raw)), Offset: off, Data: raw[off:end]})
}

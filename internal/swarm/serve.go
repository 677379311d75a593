package swarm

import (
	"time"

	"github.com/shoal-p2p/shoal/internal/wire"
)

// onRequest answers a peer's block request: Serve when we may and can,
// otherwise a Reject saying why.
func (e *Engine) onRequest(p *peer, m wire.Request, now time.Time) {
	reject := func(reason uint8) {
		e.send(p, wire.Reject{Index: m.Index, Begin: m.Begin, Length: m.Length, Reason: reason})
	}
	switch {
	case e.manifest == nil:
		reject(wire.RejectNotHave)
	case !e.validRange(m):
		reject(wire.RejectBadRange)
	case p.amChoking:
		reject(wire.RejectChoked)
	case !e.have.Has(int(m.Index)):
		reject(wire.RejectNotHave)
	case p.served >= maxPendingServes:
		reject(wire.RejectTooMany)
	default:
		p.served++
		p.up.add(int(m.Length), now)
		e.up.add(int(m.Length), now)
		e.stats.BytesUploaded += int64(m.Length)
		e.emit(Serve{Peer: p.id, Req: m})
	}
}

// validRange reports whether m names a non-empty range of at most
// MaxBlockSize bytes inside one piece.
func (e *Engine) validRange(m wire.Request) bool {
	if int64(m.Index) >= int64(e.manifest.NumPieces()) || m.Length == 0 || m.Length > MaxBlockSize {
		return false
	}
	return int64(m.Begin)+int64(m.Length) <= e.pieceLen(int(m.Index))
}

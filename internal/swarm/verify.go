package swarm

import (
	"time"

	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/wire"
)

// maxFailureRecords bounds how many failed attempts of one piece are kept
// for judging its blocks' senders.
const maxFailureRecords = 4

// blockRecord remembers one block of a piece that failed verification, so
// the block's source can be judged once the piece verifies ("smart ban").
type blockRecord struct {
	block int
	from  PeerID
	sum   piece.Hash
}

// PieceVerified reports the result of a Verify action. On success the piece
// is held (the runtime stored it); on failure its sources are judged and it
// is downloaded again.
func (e *Engine) PieceVerified(index int, ok bool, now time.Time) {
	pp := e.partial[index]
	if pp == nil || !pp.verifying {
		return
	}
	e.dropPartial(index)
	if pp.origin {
		e.org.verified(index, ok, now)
	}
	if !ok {
		e.stats.BytesWasted += e.pieceLen(index)
		if !pp.origin {
			e.judgeFailure(pp, now)
		}
		e.fillAll(now)
		e.originFill(now)
		return
	}
	// Hold the piece before judging: a ban disconnects a peer and refills
	// the pipelines, which must not start this piece again.
	e.gotPiece(index, now)
	e.judgeSuspects(pp, now)
}

// gotPiece marks piece i as held and tells every peer.
func (e *Engine) gotPiece(i int, now time.Time) {
	if e.have.Has(i) {
		return
	}
	e.have.Set(i)
	e.stats.PiecesHave = e.have.Count()
	for _, id := range e.order {
		p := e.peers[id]
		if p.bits.Has(i) {
			p.wantCount--
		}
		e.send(p, wire.Have{Index: uint32(i)})
		e.updateInterest(p)
	}
	if e.have.Full() && !e.startedFull && !e.completed {
		e.completed = true
		e.emit(Completed{})
	}
	e.fillAll(now)
	e.originFill(now)
}

// judgeFailure handles a piece that failed verification. A single source is
// banned at once. With several sources nobody is banned on suspicion alone:
// the hashes of the blocks and who sent them are kept (across repeated
// failures, up to maxFailureRecords blocks' worth), and when the piece
// later verifies, whoever sent a block that differs is banned.
func (e *Engine) judgeFailure(pp *partialPiece, now time.Time) {
	sources := distinct(pp.from)
	if len(sources) == 1 {
		e.ban(sources[0], "sent a piece that failed verification", now)
		return
	}
	recs := e.smartBan[pp.index]
	if len(recs)+len(pp.blocks) > maxFailureRecords*len(pp.blocks) {
		recs = recs[len(pp.blocks):] // forget the oldest failure
	}
	for j, b := range pp.blocks {
		recs = append(recs, blockRecord{block: j, from: pp.from[j], sum: piece.HashBytes(b)})
	}
	e.smartBan[pp.index] = recs
}

// judgeSuspects bans every peer whose earlier block of this piece differs
// from the block that verified.
func (e *Engine) judgeSuspects(pp *partialPiece, now time.Time) {
	recs := e.smartBan[pp.index]
	if recs == nil {
		return
	}
	delete(e.smartBan, pp.index)
	var bad []PeerID
	for _, r := range recs {
		if b, ok := e.blockData(pp, r.block); ok && piece.HashBytes(b) != r.sum {
			bad = append(bad, r.from)
		}
	}
	for _, id := range distinct(bad) {
		e.ban(id, "sent a block that failed verification", now)
	}
}

// ban refuses id from now on and disconnects it if connected.
func (e *Engine) ban(id PeerID, reason string, now time.Time) {
	if e.banned[id] {
		return
	}
	if p := e.peers[id]; p != nil {
		e.disconnect(p, true, reason, now)
		return
	}
	e.banned[id] = true
}

// distinct returns the distinct IDs in ids in first-seen order.
func distinct(ids []PeerID) []PeerID {
	var out []PeerID
	for _, id := range ids {
		seen := false
		for _, o := range out {
			seen = seen || o == id
		}
		if !seen {
			out = append(out, id)
		}
	}
	return out
}

// blockData returns block j of a fully received piece, whether it arrived
// block by block or whole from the origin.
func (e *Engine) blockData(pp *partialPiece, j int) ([]byte, bool) {
	if !pp.origin {
		if j >= len(pp.blocks) {
			return nil, false
		}
		return pp.blocks[j], true
	}
	whole := pp.blocks[0]
	begin := int64(j) * int64(e.blockSize)
	if begin >= int64(len(whole)) {
		return nil, false
	}
	return whole[begin:min(begin+int64(e.blockSize), int64(len(whole)))], true
}

package swarm

import (
	"bytes"
	"errors"
	"fmt"
	"math/bits"
	"time"

	"github.com/shoal-p2p/shoal/internal/live"
	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/wire"
)

// liveAddPeer tells a new peer everything in the window: each
// announcement, oldest first, and what we hold of it.
func (e *Engine) liveAddPeer(p *peer) {
	e.live.takeSlot(p, e.rng.Uint32())
	e.live.each(func(s *liveSeg) {
		if s.nhave > 0 {
			e.sendHave(p.lp.slot, s, &mapMsgs{have: s.haveMap()})
		} else {
			e.sendAnnounce(p.lp.slot, s)
		}
	})
	e.live.touch(p)
}

// liveRemovePeer forgets what p held and the requests it had of us or we of
// it; the chunks become requestable from others.
func (e *Engine) liveRemovePeer(p *peer) {
	e.live.freeSlot(p)
	e.live.each(func(s *liveSeg) {
		for c := range s.n {
			if s.askedOf(c, p) {
				s.req[c] = 0
			}
		}
	})
	e.live.up.dropPeer(p)
	if e.live.push.has(p.id) {
		e.live.push.next = time.Time{}
	}
	e.live.dirty = true
}

// liveReceive is ReceiveConn in live mode.
func (e *Engine) liveReceive(c Conn, m wire.Message, now time.Time) {
	p := c.p
	switch m.(type) {
	case wire.LiveHave, wire.Announce, wire.LiveIntro:
		if !e.live.connected(c) {
			return
		}
	default:
		if p.removed {
			return
		}
	}
	e.live.setNow(now)
	switch m := m.(type) {
	case wire.Announce:
		e.onAnnounce(c, m.Data, now)
	case wire.LiveHave:
		e.onLiveHave(c, m, now)
	case wire.LiveIntro:
		e.onLiveIntro(c, m, now)
	case wire.LiveRequest:
		e.onLiveRequest(p, m.ChunkAddr, now)
	case wire.LiveData:
		e.onLiveData(p, m, now)
	case wire.LiveCancel:
		e.live.up.cancel(p, m.ChunkAddr)
	case wire.LiveReject:
		e.onLiveReject(p, m, now)
	}
	// Static-content messages are ignored on a live channel.
}

// onAnnounce handles an announcement from c's peer; an invalid one gets
// it banned.
func (e *Engine) onAnnounce(c Conn, raw []byte, now time.Time) {
	if err := e.acceptAnnounce(int(c.slot), raw, now); err != nil {
		e.ban(c.p.id, "sent an invalid announcement", now)
	}
}

// LiveAnnounce hands the engine an announcement obtained outside the swarm,
// for example polled from the origin next to the segments, so viewers keep
// learning the live edge when no peer relays it. It is checked like one from
// a peer; an invalid one is an error, a stale or known one is ignored. The
// engine keeps raw: the caller must not modify it afterwards.
func (e *Engine) LiveAnnounce(raw []byte, now time.Time) error {
	if e.live == nil {
		return errors.New("swarm: live announcement on a static engine")
	}
	return e.acceptAnnounce(-1, raw, now)
}

// acceptAnnounce checks an announcement from the peer in slot from (-1: the runtime),
// stores it if new and forwards it to every peer that has not seen it. It
// fails for a malformed, foreign or badly signed one; a stale or already
// known one is not an error. A new one keeps raw, not a copy (Receive and
// LiveAnnounce say so): announcements are the largest state a viewer
// keeps per segment besides its bytes, and each viewer of a simulation
// then holds the same bytes, which makes knownAnnounce's comparison
// pointer-equal.
func (e *Engine) acceptAnnounce(from int, raw []byte, now time.Time) error {
	e.live.setNow(now)
	if s := e.knownAnnounce(raw); s != nil {
		if from >= 0 {
			s.markSeen(from)
		}
		return nil
	}
	a, err := e.live.cfg.Verifier.Announcement(raw, e.live.cfg.Key)
	if err == nil && a.Channel != e.live.cfg.Channel {
		err = fmt.Errorf("%w: channel %s", live.ErrBadAnnouncement, a.Channel)
	}
	if err != nil {
		return fmt.Errorf("swarm: announcement: %w", err)
	}
	k := segKey{a.Rendition, a.Sequence}
	if s := e.live.seg(k); s != nil && from >= 0 {
		s.markSeen(from)
	}
	if e.live.cfg.Broadcaster || e.live.seg(k) != nil || e.live.stale(k) {
		return nil
	}
	s := e.addSegment(a, raw[:len(raw):len(raw)], now)
	if from >= 0 {
		s.markSeen(from)
	}
	e.forwardAnnounce(s)
	e.live.dirty = true
	return nil
}

// knownAnnounce returns the segment whose stored announcement is exactly
// raw, or nil. A copy of a verified announcement needs no second signature
// check: each one reaches a viewer from several peers, and Ed25519 was most
// of a large swarm's CPU.
func (e *Engine) knownAnnounce(raw []byte) *liveSeg {
	r, seq, ok := live.AnnouncementKey(raw)
	if !ok {
		return nil
	}
	if s := e.live.seg(segKey{r, seq}); s != nil && bytes.Equal(s.raw, raw) {
		return s
	}
	return nil
}

// stale reports whether segment k is at or below the window's floor, or
// older than every segment of a full window.
func (l *liveState) stale(k segKey) bool {
	w := l.windowOf(k.rend)
	if w == nil {
		return false
	}
	full := len(w.segs) >= l.cfg.WindowSegments && k.seq < w.segs[0].key.seq
	return full || (w.hasFloor && k.seq <= w.floor)
}

// onLiveIntro handles a segment's announcement and p's chunk map of it, as
// an Announce followed by a LiveHave: an invalid announcement gets p
// banned; a map of a segment not kept (stale, or on the broadcaster) is
// ignored.
func (e *Engine) onLiveIntro(c Conn, m wire.LiveIntro, now time.Time) {
	if err := e.acceptAnnounce(int(c.slot), m.Announce, now); err != nil {
		e.ban(c.p.id, "sent an invalid announcement", now)
		return
	}
	if r, seq, ok := live.AnnouncementKey(m.Announce); ok {
		e.onLiveHave(c, wire.LiveHave{Rendition: r, Sequence: seq, Chunks: m.Chunks}, now)
	}
}

// onLiveHave replaces c's peer's chunk map of a segment. A map of the wrong
// length is a protocol error; one for a segment outside the window is
// ignored.
func (e *Engine) onLiveHave(c Conn, m wire.LiveHave, now time.Time) {
	s := e.live.seg(segKey{m.Rendition, m.Sequence})
	if s == nil {
		return
	}
	if piece.CheckBitfield(m.Chunks, s.n) != nil {
		e.disconnect(c.p, false, "bad live have", now)
		return
	}
	i := int(c.slot)
	s.markSeen(i)
	fetching := s.fetching()
	sk, sb := s.seenBit()
	row := s.row(i)
	for k, old := range row {
		x := mapWord(m.Chunks, k) // no bit at or past n: CheckBitfield
		if k == sk {
			x |= sb
		}
		for d := old ^ x; d != 0; d &= d - 1 {
			ch := k<<6 | bits.TrailingZeros64(d)
			if x&(1<<(ch&63)) == 0 {
				s.avail[ch]--
				continue
			}
			s.avail[ch]++
			if fetching && s.req[ch] == 0 && !s.has(ch) {
				e.live.fresh = append(e.live.fresh, fresh{c.p, s, ch})
			}
		}
		row[k] = x
	}
}

// onLiveData stores a verified chunk, requested or pushed. A chunk that
// fails its hash gets its sender — its sole source — banned; unknown,
// unwanted or duplicate chunks are counted as waste.
func (e *Engine) onLiveData(p *peer, m wire.LiveData, now time.Time) {
	n := len(m.Payload)
	p.down.add(n, now)
	e.live.noteRate(p)
	e.down.add(n, now)
	s := e.live.seg(segKey{m.Rendition, m.Sequence})
	c := int(m.Chunk)
	e.live.settle(p, s, c)
	e.live.touch(p)
	if s == nil || c >= s.n || s.has(c) || e.live.cfg.Broadcaster {
		e.stats.BytesWasted += int64(n)
		return
	}
	if e.live.cfg.Verifier.Chunk(&s.ann, c, m.Payload) != nil {
		e.stats.BytesWasted += int64(n)
		e.ban(p.id, "sent a chunk that failed verification", now)
		return
	}
	s.fromPeers += int64(n)
	e.stats.BytesFromPeers += int64(n)
	e.storeChunk(s, c, m.Payload, now)
}

// storeChunk keeps verified chunk c, withdraws other requests for it, tells
// peers that lack it and completes the segment when it was the last.
func (e *Engine) storeChunk(s *liveSeg, c int, b []byte, now time.Time) {
	s.chunks[c] = b
	s.setHave(c)
	s.nhave++
	if s.req[c] != 0 {
		e.cancelLive(s, c, now)
	}
	e.advertise(s, c)
	if s.nhave == s.n {
		e.segmentReady(s, now)
	}
}

// segmentReady marks s complete and reports it.
func (e *Engine) segmentReady(s *liveSeg, now time.Time) {
	s.ready, s.readyAt = true, now
	l := e.live
	l.fetchStale = true
	if s.wanted {
		l.started = true
		l.ready++
		if now.After(s.deadline(l)) {
			l.late++
		}
	}
	e.cancelAll(s, now)
	e.emit(SegmentReady{Rendition: s.key.rend, Sequence: s.key.seq, FromPeers: s.fromPeers, FromOrigin: s.fromOrigin})
}

// onLiveReject releases our refused request; the reason adjusts our view
// of p.
func (e *Engine) onLiveReject(p *peer, m wire.LiveReject, now time.Time) {
	s := e.live.seg(segKey{m.Rendition, m.Sequence})
	c := int(m.Chunk)
	if !e.live.settle(p, s, c) {
		return
	}
	switch m.Reason {
	case wire.RejectNotHave:
		if s != nil && c < s.n {
			s.lose(p, c)
		}
	case wire.RejectTooMany, wire.RejectChoked:
		e.live.setBusy(p, now.Add(liveBusyBackoff))
	}
	e.live.dirty = true
}

// cancelAll withdraws every request we have out for chunks of s.
func (e *Engine) cancelAll(s *liveSeg, now time.Time) {
	for c := range s.req {
		if s.req[c] != 0 {
			e.cancelLive(s, c, now)
		}
	}
}

// cancelLive withdraws our outstanding request for chunk c of s.
func (e *Engine) cancelLive(s *liveSeg, c int, now time.Time) {
	p := e.live.slots[s.asker(c)]
	e.live.settle(p, s, c)
	a := wire.ChunkAddr{Rendition: s.key.rend, Sequence: s.key.seq, Chunk: uint32(c)}
	e.send(p, wire.LiveCancel{ChunkAddr: a})
	e.live.touch(p)
}

package swarm

import (
	"slices"

	"github.com/shoal-p2p/shoal/internal/wire"
)

// What a live engine tells its peers unasked: announcements of new
// segments and maps of the chunks it holds.

// forwardAnnounce sends a newly learnt announcement to liveAnnounceFanout
// peers that have not seen it, taken in turn over the peer slots. The
// others learn it from their other peers or, at the latest, from us just
// before our first chunk map of it (sendAdvert). Flooding it to every
// peer made each viewer receive it from most of its peers, since the
// floods cross: 43 copies per segment at 1,000 viewers, most of the
// protocol overhead (docs/live.md, "Announcements").
func (e *Engine) forwardAnnounce(s *liveSeg) {
	l := e.live
	n := len(l.slots)
	sent := 0
	for k := 0; k < n && sent < liveAnnounceFanout; k++ {
		i := (l.fwdTurn + k) % n
		if l.slots[i] != nil && !s.seenBy(i) {
			e.sendAnnounce(i, s)
			sent++
			l.fwdTurn = i + 1
		}
	}
}

// sendAnnounce sends s's announcement to the peer in slot i unless it has
// seen it.
func (e *Engine) sendAnnounce(i int, s *liveSeg) {
	if !s.seenBy(i) {
		s.markSeen(i)
		if s.annMsg == nil {
			s.annMsg = wire.Announce{Data: s.raw}
		}
		e.sendSlot(i, s.annMsg)
	}
}

// mapMsgs is our chunk map of a segment as the messages a round of sends
// carries: a LiveHave, or a LiveIntro for peers not known to have seen the
// segment, each boxed once for all the round's recipients (the runtime
// only reads messages, so they can share one).
type mapMsgs struct {
	have         []byte
	plain, intro wire.Message
}

// sendHave sends our chunk map of s to the peer in slot i: with s's
// announcement in a LiveIntro if it has not seen it, else as a LiveHave.
// One message instead of an Announce and a LiveHave: most peers first hear
// of a segment from a neighbour's first map of it, not from the
// announcement's fanout.
func (e *Engine) sendHave(i int, s *liveSeg, m *mapMsgs) {
	if !s.seenBy(i) {
		s.markSeen(i)
		if m.intro == nil {
			m.intro = wire.LiveIntro{Announce: s.raw, Chunks: m.have}
		}
		e.sendSlot(i, m.intro)
		return
	}
	if m.plain == nil {
		m.plain = wire.LiveHave{Rendition: s.key.rend, Sequence: s.key.seq, Chunks: m.have}
	}
	e.sendSlot(i, m.plain)
}

// advertise queues s for a LiveHave: chunks stored during one round of
// inputs (a burst of peer data, a whole segment from the origin) cost one
// map per peer, sent by flushAdverts from Ready.
func (e *Engine) advertise(s *liveSeg, c int) {
	s.newChunks = append(s.newChunks, c)
	if len(s.newChunks) == 1 {
		e.live.adverts = append(e.live.adverts, s)
	}
}

// flushAdverts sends our chunk map of each queued segment still in the
// window to every peer that knows it and lacks one of its new chunks, so
// the peer can pull them from us at once.
func (e *Engine) flushAdverts() {
	l := e.live
	for _, s := range l.adverts {
		if l.seg(s.key) == s {
			e.sendAdvert(s)
		}
		s.newChunks = s.newChunks[:0]
	}
	clear(l.adverts) // no stale segment pointers kept alive (liveSchedule)
	l.adverts = l.adverts[:0]
}

// sendAdvert sends s's map to some of the peers that lack a chunk of
// s.newChunks or are not known to have seen s (those get the announcement
// first), taken in turn over the peer slots: all of them while few of
// our peers hold the chunks, fewer as more do (see advertQuota). Telling
// every peer of every chunk cost each viewer one message per chunk per
// peer, most of a large swarm's traffic and CPU (docs/live.md, "Adverts").
func (e *Engine) sendAdvert(s *liveSeg) {
	l := e.live
	lacking := l.lacking[:0]
	for i, p := range l.slots {
		if p == nil {
			continue
		}
		if !s.seenBy(i) || slices.ContainsFunc(s.newChunks, func(c int) bool { return !s.holds(i, c) }) {
			lacking = append(lacking, i)
		}
	}
	l.lacking = lacking
	if len(lacking) == 0 {
		return
	}
	quota := advertQuota(s, len(lacking))
	start, _ := slices.BinarySearch(lacking, l.advertTurn)
	m := mapMsgs{have: s.haveMap()}
	for k := range quota {
		i := lacking[(start+k)%len(lacking)]
		e.sendHave(i, s, &m)
		l.advertTurn = i + 1
	}
}

// advertQuota returns how many of the lacking peers to tell of a round of
// new chunks of s. A peer lacking a chunk needs to hear of a few holders,
// not of all: when A of our peers hold the rarest new chunk, a lacking
// peer has about A holders among its own peers too, so each holder tells
// each lacking peer with probability liveAdvertHolders/(A+1), and a
// lacking peer hears of about liveAdvertHolders of them.
func advertQuota(s *liveSeg, lacking int) int {
	a := s.n
	for _, c := range s.newChunks {
		a = min(a, int(s.avail[c]))
	}
	q := (lacking*liveAdvertHolders + a) / (a + 1) // ceil(lacking·H/(A+1))
	return min(q, lacking)
}

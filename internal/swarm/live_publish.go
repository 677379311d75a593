package swarm

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/shoal-p2p/shoal/internal/live"
	"github.com/shoal-p2p/shoal/internal/wire"
)

// pushPeriod is how often the broadcaster re-ranks the peers it pushes to.
const pushPeriod = 10 * time.Second

// ErrNotBroadcaster is returned by Publish on an engine that is not a live
// channel's broadcaster.
var ErrNotBroadcaster = errors.New("swarm: not a live broadcaster")

// pushState is the broadcaster's choice of peers to push new chunks to.
type pushState struct {
	peers []PeerID // at most PushPeers, best first
	next  time.Time
	turn  int // rotates the first copy of each chunk over peers
}

// has reports whether id is in the push set.
func (ps *pushState) has(id PeerID) bool { return slices.Contains(ps.peers, id) }

// Publish adds a new segment on the broadcaster's engine: a is its signed
// announcement and data its bytes, which the engine keeps (the caller must
// not modify them). The segment is Ready at once; its announcement goes to
// every peer and each chunk is pushed to PushPeers peers as upload allows.
// It fails if the engine is not the broadcaster, a does not verify under
// the channel key, data does not match it, its encoding exceeds
// wire.MaxAnnounceSize or its sequence is not newer than the rendition's.
func (e *Engine) Publish(a live.Announcement, data []byte, now time.Time) error {
	l := e.live
	if l == nil || !l.cfg.Broadcaster {
		return ErrNotBroadcaster
	}
	if err := e.checkPublish(&a, data); err != nil {
		return err
	}
	l.setNow(now)
	raw := a.Append(nil)
	if len(raw) > wire.MaxAnnounceSize {
		return fmt.Errorf("swarm: publish %d/%d: announcement of %d bytes exceeds %d", a.Rendition, a.Sequence, len(raw), wire.MaxAnnounceSize)
	}
	s := e.addSegment(a, raw, now)
	for c := range s.n {
		off := live.ChunkOffset(a, c)
		s.chunks[c] = data[off : off+int64(live.ChunkLen(a, c))]
		s.setHave(c)
	}
	s.nhave = s.n
	e.segmentReady(s, now)
	m := mapMsgs{have: s.haveMap()}
	for _, p := range e.list {
		e.sendHave(p.lp.slot, s, &m)
	}
	e.pushSegment(s, now)
	return nil
}

// checkPublish verifies a and data for Publish.
func (e *Engine) checkPublish(a *live.Announcement, data []byte) error {
	l := e.live
	if a.Channel != l.cfg.Channel {
		return fmt.Errorf("swarm: publish: channel %s, want %s", a.Channel, l.cfg.Channel)
	}
	if _, err := l.cfg.Verifier.Announcement(a.Append(nil), l.cfg.Key); err != nil {
		return fmt.Errorf("swarm: publish: %w", err)
	}
	if uint64(len(data)) != a.Size {
		return fmt.Errorf("swarm: publish %d/%d: %d bytes, announced %d", a.Rendition, a.Sequence, len(data), a.Size)
	}
	for c := range a.Chunks {
		off := live.ChunkOffset(*a, c)
		if err := l.cfg.Verifier.Chunk(a, c, data[off:off+int64(live.ChunkLen(*a, c))]); err != nil {
			return fmt.Errorf("swarm: publish: %w", err)
		}
	}
	if w := l.windowOf(a.Rendition); w != nil && len(w.segs) > 0 && a.Sequence <= w.segs[len(w.segs)-1].key.seq {
		return fmt.Errorf("swarm: publish: sequence %d not after %d", a.Sequence, w.segs[len(w.segs)-1].key.seq)
	}
	if w := l.windowOf(a.Rendition); w != nil && w.hasFloor && a.Sequence <= w.floor {
		return fmt.Errorf("swarm: publish: sequence %d not after %d", a.Sequence, w.floor)
	}
	return nil
}

// pushSegment sends every chunk of s unasked: the first copies to two of
// all peers in turn, half the peer list apart, whatever the upload credit,
// so each chunk enters the swarm at once, at two places, and consecutive
// chunks enter at different peers; further copies go to the push set, up
// to PushPeers, only while credit is spare. With one first copy, a chunk
// whose copy went to a peer that relays nothing (a free rider, a peer
// about to leave) had no other source until the origin: with 30% of 1,000
// viewers replaced per minute the origin sent 7.7 copies of a 3-minute
// stream, with two 3.3.
func (e *Engine) pushSegment(s *liveSeg, now time.Time) {
	l := e.live
	e.refreshPush(now)
	ps := &l.push
	if len(ps.peers) == 0 {
		return
	}
	rate := l.dataRate()
	if rate > 0 {
		l.up.refill(rate, l.chunkSize, now)
	}
	n := len(e.list)
	for c := range s.n {
		a := wire.ChunkAddr{Rendition: s.key.rend, Sequence: s.key.seq, Chunk: uint32(c)}
		// The first copies: two peers in turn, half the peer list apart.
		firsts := [2]*peer{e.list[ps.turn%n], e.list[(ps.turn+n/2)%n]}
		for i, p := range firsts {
			if i == 0 || p != firsts[0] {
				e.serveChunk(p, s, a, now)
				s.gain(p, c)
			}
		}
		for k := range len(ps.peers) {
			if rate > 0 && l.up.credit < float64(live.ChunkLen(s.ann, c)) {
				break
			}
			p := e.peers[ps.peers[(ps.turn+k)%len(ps.peers)]]
			if p == firsts[0] || p == firsts[1] {
				continue
			}
			e.serveChunk(p, s, a, now)
			s.gain(p, c)
		}
		ps.turn++
	}
}

// refreshPush re-ranks the push set every pushPeriod or when a member left:
// the peers that upload most to us, a seeded shuffle breaking ties (a
// broadcaster downloads nothing, so its set is a random draw).
func (e *Engine) refreshPush(now time.Time) {
	ps := &e.live.push
	if now.Before(ps.next) && len(ps.peers) == min(e.live.cfg.PushPeers, len(e.order)) {
		return
	}
	ps.next = now.Add(pushPeriod)
	ranked := slices.Clone(e.list)
	e.rng.Shuffle(len(ranked), func(i, j int) { ranked[i], ranked[j] = ranked[j], ranked[i] })
	slices.SortStableFunc(ranked, func(a, b *peer) int {
		return cmp.Compare(b.down.bytesPerSec(), a.down.bytesPerSec())
	})
	ps.peers = ps.peers[:0]
	for _, p := range ranked[:min(e.live.cfg.PushPeers, len(ranked))] {
		ps.peers = append(ps.peers, p.id)
	}
}

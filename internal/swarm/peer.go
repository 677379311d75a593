package swarm

import (
	"cmp"
	"slices"
	"time"

	"github.com/shoal-p2p/shoal/internal/piece"
)

// Pipeline sizing: a peer gets enough outstanding requests to cover
// pipelineWindow of its measured download rate, clamped to
// [minPipeline, maxPipeline] blocks. The floor keeps a new or slow peer busy
// across a round trip; the ceiling bounds per-peer state.
const (
	pipelineWindow = time.Second
	minPipeline    = 4
	maxPipeline    = 256
)

// maxPendingServes bounds the blocks one peer may ask us to serve between two
// Ticks; further requests are rejected with wire.RejectTooMany.
const maxPendingServes = 512

// maxEarlyHaves bounds Have messages remembered from a peer before the
// manifest is known.
const maxEarlyHaves = 1 << 16

// blockKey names a block by piece index and offset within the piece.
type blockKey struct {
	index, begin uint32
}

// outReq is one of our requests that a peer has not answered yet.
type outReq struct {
	length uint32    // this block's length
	run    uint32    // bytes of the Request that carried it: more than length when coalesced (first block only)
	sent   time.Time // when the Request went out
}

// peer is the engine's view of one connection.
//
// What a live input reads of a peer comes first, in its first two cache
// lines (the peer is usually cold by then): the live part, whether it is
// gone, the meters. The struct is in the 320-byte size class, whose
// objects start on a line.
type peer struct {
	lp      livePeer // live mode only
	removed bool     // dropped: a Conn on it is stale
	touched bool     // live: in liveState.touched

	down meter // bytes they send us
	up   meter // bytes we serve them

	id    PeerID
	since time.Time // when it was added

	bits       piece.Bitfield // what they have; Len()==0 until the manifest is known
	rawBits    []byte         // Bitfield received before the manifest
	earlyHaves []uint32       // Haves received before the manifest
	wantCount  int32          // pieces they have that we lack
	served     int32          // Serve actions for them since the last Tick (≤ maxPendingServes)

	out          map[blockKey]outReq // our outstanding requests to them
	snubbedUntil time.Time           // no requests to them before this (after a timeout)

	gotRawBits                   bool
	amInterested, theyInterested bool
	amChoking, theyChoking       bool
}

// newPeer returns the state of a new connection; a live one has no static
// requests (out stays nil).
func newPeer(id PeerID, live bool) *peer {
	p := &peer{id: id, amChoking: true, theyChoking: true}
	if !live {
		p.out = make(map[blockKey]outReq)
	}
	return p
}

// depth returns how many requests may be outstanding to p.
func (p *peer) depth(blockSize uint32, now time.Time) int {
	rate := p.down.bytesPerSec()
	if q := p.down.quickRate(now); q >= coalesceRate {
		// A fast link ramps up without waiting for the first full sample;
		// on slower links partial samples are too bursty to trust.
		rate = max(rate, q)
	}
	n := int(rate * pipelineWindow.Seconds() / float64(blockSize))
	return min(max(n, minPipeline), maxPipeline)
}

// outKeys returns p's outstanding request keys in a deterministic order.
func (p *peer) outKeys() []blockKey {
	keys := make([]blockKey, 0, len(p.out))
	for k := range p.out {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b blockKey) int {
		if c := cmp.Compare(a.index, b.index); c != 0 {
			return c
		}
		return cmp.Compare(a.begin, b.begin)
	})
	return keys
}

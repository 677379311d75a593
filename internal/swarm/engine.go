package swarm

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/wire"
)

// Stats are the engine's counters, as returned by Engine.Stats.
type Stats struct {
	BytesFromPeers  int64 // useful block bytes received from peers
	BytesFromOrigin int64 // piece bytes received from the origin
	BytesUploaded   int64 // block bytes served to peers
	BytesWasted     int64 // duplicate, unrequested or failed-verification bytes
	Peers           int   // connected peers
	PiecesHave      int
	PiecesTotal     int     // 0 until the manifest is known
	DownRate        float64 // bytes/s received (EWMA)
	UpRate          float64 // bytes/s served (EWMA)
	// Live mode: wanted segments that became Ready, those that did so after
	// their playback deadline, and those given up or evicted before.
	LiveReady, LiveLate, LiveMissed int
}

// Engine is the swarm state machine for one piece of static content, or for
// one live channel when Config.Live is set. It is not safe for concurrent
// use: the runtime serialises calls.
type Engine struct {
	// live is nil for static content, else it points at liveMem: the live
	// state is part of the engine, its first fields in the engine's first
	// cache line, since an input to an engine (usually cold in a large
	// simulation) reads them before anything else.
	live    *liveState
	liveMem liveState

	cfg Config
	rng *rand.Rand

	manifest      *piece.Manifest
	manifestBytes []byte // canonical encoding, computed lazily for serving
	blockSize     uint32
	have          piece.Bitfield
	startedFull   bool
	completed     bool // Completed emitted

	peers  map[PeerID]*peer
	order  []PeerID // sorted keys of peers
	list   []*peer  // peers in order's order
	banned map[PeerID]bool

	avail     []int    // per piece: connected peers that have it
	tiebreak  []uint32 // per piece: random rank breaking availability ties
	byRank    []int    // piece indexes ordered by tiebreak, then index
	partial   map[int]*partialPiece
	partOrder []int // peer-downloaded partial pieces, oldest first
	smartBan  map[int][]blockRecord
	prio      [2]int // strict priority range [first, last]; first > last: none
	paused    bool   // no new requests or origin fetches (pause.go)

	choke chokeState
	org   originState
	mf    manifestFetch

	stats   Stats
	down    meter
	up      meter
	pending []Action
}

// New returns an engine for cfg after filling defaults and validating it.
func New(cfg Config) (*Engine, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	e := &Engine{
		cfg:      cfg,
		rng:      rand.New(rand.NewPCG(cfg.Seed, 0x5348_4f41_4c00_0001)),
		peers:    make(map[PeerID]*peer),
		banned:   make(map[PeerID]bool),
		partial:  make(map[int]*partialPiece),
		smartBan: make(map[int][]blockRecord),
		prio:     [2]int{0, -1},
	}
	e.org.init()
	if cfg.Live != nil {
		e.live = &e.liveMem
		e.live.init(*cfg.Live)
	}
	if cfg.Manifest != nil {
		e.setManifest(cfg.Manifest, cfg.Have)
		e.startedFull = e.have.Full()
	}
	return e, nil
}

// setManifest installs m and the matching have-bitfield (zero: none).
func (e *Engine) setManifest(m *piece.Manifest, have piece.Bitfield) {
	n := m.NumPieces()
	e.manifest = m
	if have.Len() == n {
		e.have = have.Clone()
	} else {
		e.have = piece.NewBitfield(n)
	}
	e.blockSize = e.cfg.BlockSize
	if int64(e.blockSize) > m.PieceSize {
		e.blockSize = uint32(m.PieceSize)
	}
	e.avail = make([]int, n)
	e.tiebreak = make([]uint32, n)
	e.byRank = make([]int, n)
	for i := range e.tiebreak {
		e.tiebreak[i] = e.rng.Uint32()
		e.byRank[i] = i
	}
	slices.SortFunc(e.byRank, func(a, b int) int {
		return cmp.Or(cmp.Compare(e.tiebreak[a], e.tiebreak[b]), cmp.Compare(a, b))
	})
	e.org.sourceless = make([]time.Time, n)
	e.stats.PiecesTotal = n
	e.stats.PiecesHave = e.have.Count()
}

// Ready returns the pending actions in the order they arose and clears them.
// In live mode it first issues the chunk requests that the inputs since the
// last call made possible (see docs/live.md).
func (e *Engine) Ready() []Action {
	return e.AppendReady(nil)
}

// AppendReady is Ready appending to dst: a runtime that handles actions
// as they come can reuse one slice, and the engine reuses its own queue,
// so no action list is allocated per input.
func (e *Engine) AppendReady(dst []Action) []Action {
	if e.live != nil && len(e.live.adverts) > 0 {
		e.flushAdverts()
	}
	if e.live != nil && (e.live.dirty || len(e.live.touched) > 0 || len(e.live.fresh) > 0) {
		e.liveSchedule(e.live.now)
	}
	dst = append(dst, e.pending...)
	clear(e.pending) // let the messages go once the runtime is done with them
	e.pending = e.pending[:0]
	return dst
}

// Manifest returns the manifest, or nil while it is still being fetched.
func (e *Engine) Manifest() *piece.Manifest { return e.manifest }

// Have returns a copy of the verified-pieces bitfield (zero value until the
// manifest is known).
func (e *Engine) Have() piece.Bitfield { return e.have.Clone() }

// Done reports whether the manifest is known and every piece is verified.
func (e *Engine) Done() bool { return e.manifest != nil && e.have.Full() }

// Banned reports whether p has been banned for misbehaviour.
func (e *Engine) Banned(p PeerID) bool { return e.banned[p] }

// Stats returns a snapshot of the counters.
func (e *Engine) Stats() Stats {
	s := e.stats
	s.Peers = len(e.peers)
	s.DownRate = e.down.bytesPerSec()
	s.UpRate = e.up.bytesPerSec()
	if l := e.live; l != nil {
		s.LiveReady, s.LiveLate, s.LiveMissed = l.ready, l.late, l.missed
	}
	return s
}

// AddPeer registers a connected peer; the runtime has already completed the
// handshake. A banned peer is refused with a Disconnect.
func (e *Engine) AddPeer(id PeerID, now time.Time) {
	if e.banned[id] {
		e.emit(Disconnect{Peer: id, Ban: true, Reason: "banned"})
		return
	}
	if e.peers[id] != nil {
		return
	}
	p := newPeer(id, e.live != nil)
	p.since = now
	e.peers[id] = p
	i, _ := slices.BinarySearch(e.order, id)
	e.order = slices.Insert(e.order, i, id)
	e.list = slices.Insert(e.list, i, p)
	if e.live != nil {
		e.live.setNow(now)
		e.liveAddPeer(p)
		return
	}
	if e.manifest != nil {
		p.bits = piece.NewBitfield(e.manifest.NumPieces())
		e.send(p, wire.Bitfield{Bits: e.have.Bytes()})
		return
	}
	e.mf.peerAdded(e, now)
}

// RemovePeer forgets a peer that disconnected. Its outstanding requests
// become requestable again and its upload slot is given to another peer.
func (e *Engine) RemovePeer(id PeerID, now time.Time) {
	p := e.peers[id]
	if p == nil {
		return
	}
	e.dropPeer(p)
	if e.live != nil {
		e.live.setNow(now)
		e.liveRemovePeer(p)
		return
	}
	e.mf.peerRemoved(e, id, now)
	e.fillSlots()
	e.fillAll(now)
}

// dropPeer removes p's state without refilling anything.
func (e *Engine) dropPeer(p *peer) {
	for _, k := range p.outKeys() {
		e.release(p, k)
	}
	if p.bits.Len() > 0 {
		for i := range e.avail {
			if p.bits.Has(i) {
				e.avail[i]--
			}
		}
	}
	delete(e.peers, p.id)
	p.removed = true
	if i, ok := slices.BinarySearch(e.order, p.id); ok {
		e.order = slices.Delete(e.order, i, i+1)
		e.list = slices.Delete(e.list, i, i+1)
	}
	if e.choke.optimistic == p.id {
		e.choke.optimistic = ""
	}
}

// disconnect drops p and asks the runtime to close it; with ban it is
// refused forever.
func (e *Engine) disconnect(p *peer, ban bool, reason string, now time.Time) {
	if ban {
		e.banned[p.id] = true
	}
	e.emit(Disconnect{Peer: p.id, Ban: ban, Reason: reason})
	e.RemovePeer(p.id, now)
}

// Tick advances time: it expires requests and manifest fetches, rotates the
// choker, starts origin fetches and refreshes rate estimates. The runtime
// calls it about every 100 ms.
func (e *Engine) Tick(now time.Time) {
	e.down.roll(now)
	e.up.roll(now)
	if e.live != nil {
		e.rollPeers(now)
		e.liveTick(now)
		return
	}
	for _, p := range e.list {
		p.down.roll(now)
		p.up.roll(now)
		p.served = 0
	}
	e.mf.tick(e, now)
	e.expireRequests(now)
	e.org.race(now, e.cfg.RequestTimeout)
	e.rechokeIfDue(now)
	e.fillAll(now)
	e.originFill(now)
}

// SetPriority makes pieces first..last (inclusive) strictly preferred, in
// index order, over every other piece, as a streaming reader needs. A range
// with first > last clears the priority.
func (e *Engine) SetPriority(first, last int) {
	e.prio = [2]int{first, last}
}

// emit queues an action.
func (e *Engine) emit(a Action) { e.pending = append(e.pending, a) }

// send queues a message to p.
func (e *Engine) send(p *peer, m wire.Message) { e.emit(Send{Peer: p.id, Msg: m}) }

// pieceLen returns the length of piece i.
func (e *Engine) pieceLen(i int) int64 { return e.manifest.PieceLen(i) }

// numBlocks returns the number of blocks in piece i.
func (e *Engine) numBlocks(i int) int {
	bs := int64(e.blockSize)
	return int((e.pieceLen(i) + bs - 1) / bs)
}

// blockLen returns the length of block j of piece i.
func (e *Engine) blockLen(i, j int) uint32 {
	begin := int64(j) * int64(e.blockSize)
	return uint32(min(int64(e.blockSize), e.pieceLen(i)-begin))
}

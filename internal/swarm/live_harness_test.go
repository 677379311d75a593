package swarm

import (
	"crypto/ed25519"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/shoal-p2p/shoal/internal/live"
	"github.com/shoal-p2p/shoal/internal/piece"
)

// Live harness stream: 1 Mbit/s in 2 s segments of 16 KiB chunks.
const (
	lhRate    = 125_000 // bytes/s
	lhSegDur  = 2 * time.Second
	lhChunk   = 16 << 10
	lhLatency = DefaultTargetLatency
)

// lnode is one engine in the live harness.
type lnode struct {
	id       PeerID
	eng      *Engine
	budget   int // upload bytes per tick; 0 = unlimited
	credit   int
	upq      []delivery
	corrupt  bool      // flips the bytes of every chunk it sends
	behave   behaviour // how else it departs from its engine
	joined   time.Time
	gone     bool
	ready    map[segKey]time.Time
	badReady int // SegmentReady with bytes that differ from the truth
	evicted  int
	maxWin   int // most segments seen in the window

	lied map[lie]bool // liar: full maps injected so far
}

// behaviour is how a hostile harness node departs from what its engine
// does; its engine itself stays honest (it downloads and verifies).
type behaviour uint8

const (
	honest behaviour = iota
	// liar claims every chunk of every announced segment (its LiveHaves
	// are rewritten to full maps, and injected for each segment a peer
	// knows) and never sends LiveData or LiveReject.
	liar
	// silent advertises truthfully and accepts requests, but never
	// answers one: its LiveData and LiveReject are dropped.
	silent
	// flooder requests, every tick, every chunk of every segment in its
	// window from every peer, some twice, plus chunks not yet announced
	// and out of range.
	flooder
)

// lie is a segment a liar has claimed in full to a peer.
type lie struct {
	to  PeerID
	seq uint64
}

// fetch is a FetchSegment the harness origin is serving.
type fetch struct {
	n        *lnode
	key      segKey
	off, len int64 // the byte span asked for
	at       time.Time
}

// lharness drives live engines over a virtual clock: a broadcaster that
// publishes a segment every lhSegDur, per-node upload budgets, and an
// origin that serves whole segments after originDelay.
type lharness struct {
	t       testing.TB
	now     time.Time
	priv    ed25519.PrivateKey
	pub     ed25519.PublicKey
	channel piece.ID
	segSize int
	chunk   int // chunk size of every announcement
	nodes   map[PeerID]*lnode
	order   []PeerID
	links   map[[2]PeerID]bool
	inbox   []delivery
	fetches []fetch
	pubs    []struct {
		raw []byte
		at  time.Time
	} // announcements the origin offers
	cache   map[uint64][]byte
	nextSeq uint64
	nextPub time.Time
	trace   []string
	traceOn bool

	latency        time.Duration // every engine's TargetLatency
	originDelay    time.Duration // FetchSegment to LiveOriginData
	originAnnounce time.Duration // >0: viewers poll announcements from the origin this late
	originBytes    int64

	badChecked map[[2]PeerID]int // corrupt chunks a receiver had to verify, by {sender, receiver}
	received   map[PeerID]int64  // LiveData payload bytes delivered, by receiver
	flooded    int               // requests injected by flooders
	afterStep  func()            // called at the end of every step
}

func newLiveHarness(t testing.TB, segSize int) *lharness {
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	pub := priv.Public().(ed25519.PublicKey)
	return &lharness{
		t: t, now: epoch, priv: priv, pub: pub, channel: live.ChannelID(pub, "test"),
		segSize: segSize, chunk: lhChunk, nodes: make(map[PeerID]*lnode), links: make(map[[2]PeerID]bool),
		cache: make(map[uint64][]byte), nextPub: epoch.Add(lhSegDur),
		latency: lhLatency, originDelay: 200 * time.Millisecond, badChecked: make(map[[2]PeerID]int),
		received: make(map[PeerID]int64),
	}
}

// liveCfg returns a live engine config for the harness channel.
func (h *lharness) liveCfg(broadcaster bool, upload int64, seed uint64) Config {
	return Config{Seed: seed, Live: &LiveConfig{
		Channel: h.channel, Key: h.pub, Broadcaster: broadcaster,
		Origin: !broadcaster, UploadRate: upload, TargetLatency: h.latency,
	}}
}

// add creates a node whose upload is rate bytes/s (0: unlimited).
func (h *lharness) add(id PeerID, cfg Config, rate int) *lnode {
	eng, err := New(cfg)
	if err != nil {
		h.t.Fatalf("New(%s): %v", id, err)
	}
	n := &lnode{id: id, eng: eng, budget: rate / int(time.Second/tickStep), joined: h.now, ready: make(map[segKey]time.Time)}
	h.nodes[id] = n
	h.order = append(h.order, id)
	slices.Sort(h.order)
	return n
}

// segment returns the true bytes of segment seq.
func (h *lharness) segment(seq uint64) []byte {
	if b, ok := h.cache[seq]; ok {
		return b
	}
	r := rand.New(rand.NewPCG(seq, 0x11fe))
	b := make([]byte, h.segSize)
	for i := 0; i < len(b); i += 8 {
		v := r.Uint64()
		for j := i; j < min(i+8, len(b)); j++ {
			b[j] = byte(v >> (8 * (j - i)))
		}
	}
	h.cache[seq] = b
	delete(h.cache, seq-64)
	return b
}

// announcement returns the signed announcement of segment seq.
func (h *lharness) announcement(seq uint64) live.Announcement {
	seg := live.Segment{Sequence: seq, Duration: lhSegDur, ProgramDateTime: epoch.Add(time.Duration(seq) * lhSegDur), Data: h.segment(seq)}
	a, err := live.NewAnnouncement(h.channel, seg, h.chunk)
	if err != nil {
		h.t.Fatalf("NewAnnouncement: %v", err)
	}
	if err := a.Sign(h.priv); err != nil {
		h.t.Fatalf("Sign: %v", err)
	}
	return a
}

func (h *lharness) connect(a, b PeerID) {
	h.links[linkKey(a, b)] = true
	h.nodes[a].eng.AddPeer(b, h.now)
	h.nodes[b].eng.AddPeer(a, h.now)
	h.flush()
}

func (h *lharness) mesh(ids ...PeerID) {
	for i, a := range ids {
		for _, b := range ids[i+1:] {
			h.connect(a, b)
		}
	}
}

func (h *lharness) unlink(a, b PeerID) {
	if !h.links[linkKey(a, b)] {
		return
	}
	delete(h.links, linkKey(a, b))
	h.nodes[a].eng.RemovePeer(b, h.now)
	h.nodes[b].eng.RemovePeer(a, h.now)
}

// leave disconnects id from everyone and stops driving it.
func (h *lharness) leave(id PeerID) {
	for _, o := range h.order {
		h.unlink(id, o)
	}
	h.nodes[id].gone = true
	h.nodes[id].upq = nil
	h.flush()
}

// flush processes actions and messages until quiet.
func (h *lharness) flush() {
	for round := 0; ; round++ {
		if round > 100_000 {
			h.t.Fatalf("live harness: no quiescence")
		}
		busy := false
		for _, id := range h.order {
			n := h.nodes[id]
			for _, a := range n.eng.Ready() {
				busy = true
				h.handle(n, a)
			}
		}
		if len(h.inbox) > 0 {
			busy = true
			in := h.inbox
			h.inbox = nil
			for _, d := range in {
				if h.links[linkKey(d.from, d.to)] {
					h.inspect(d)
					h.nodes[d.to].eng.Receive(d.from, d.msg, h.now)
				}
			}
		}
		if !busy {
			return
		}
	}
}

// annCache is a LiveVerifier for large harness swarms: it checks each
// distinct announcement encoding's signature once and remembers the
// result, and checks every chunk's SHA-256 as the engine's default does.
// A node hears each announcement from several peers; re-checking the same
// bytes proves nothing new and costs most of a 50-node run's CPU.
type annCache map[string]live.Announcement

var _ LiveVerifier = annCache(nil)

// Announcement verifies raw once per distinct encoding.
func (v annCache) Announcement(raw []byte, key ed25519.PublicKey) (live.Announcement, error) {
	if a, ok := v[string(raw)]; ok {
		return a, nil
	}
	a, err := cryptoVerifier{}.Announcement(raw, key)
	if err == nil {
		v[string(raw)] = a
	}
	return a, err
}

// Chunk checks b against its SHA-256.
func (annCache) Chunk(a *live.Announcement, c int, b []byte) error {
	return cryptoVerifier{}.Chunk(a, c, b)
}

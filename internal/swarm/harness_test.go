package swarm

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/wire"
)

// tickStep is the harness's virtual tick.
const tickStep = 100 * time.Millisecond

// epoch is the virtual clock's start.
var epoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// hnode is one engine in the harness with its storage and upload link.
type hnode struct {
	id      PeerID
	eng     *Engine
	content []byte // storage: verified pieces are copied here
	stored  []bool // per piece
	budget  int    // upload bytes per tick; 0 = unlimited
	credit  int
	upq     []delivery // Data waiting for upload budget
	corrupt bool       // serves flipped bytes
	bogus   bool       // serves a garbage manifest
	done    time.Time  // when Completed was emitted
	gone    bool
}

// delivery is a message in flight.
type delivery struct {
	from, to PeerID
	msg      wire.Message
}

// harness wires engines together in memory over a virtual clock:
// Send → Receive, Serve → Data read from the server's storage, Verify →
// piece.VerifyPiece then PieceVerified, FetchOrigin → the true content.
type harness struct {
	t      testing.TB
	now    time.Time
	m      *piece.Manifest
	truth  []byte
	nodes  map[PeerID]*hnode
	order  []PeerID
	links  map[[2]PeerID]bool
	inbox  []delivery
	origin []struct {
		n     *hnode
		index int
	}
	trace    []string
	traceOn  bool
	timeIn   time.Duration // time spent inside engine calls (benchmark)
	measure  bool
	served   map[PeerID]int64 // Data bytes uploaded per node
	fetches  int              // FetchOrigin actions
	cancels  int              // Cancel messages sent
	requests map[PeerID]map[blockKey]int
	failed   map[PeerID]int // pieces that failed verification per node

	partLimit     int // >0: cut Manifest parts to this many bytes
	manifestParts int // Manifest parts sent
}

// newContent returns n deterministic pseudo-random bytes.
func newContent(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// newManifest builds a single-file manifest for content.
func newManifest(content []byte, pieceSize int64) *piece.Manifest {
	h := piece.NewHasher(pieceSize)
	h.Write(content)
	return &piece.Manifest{
		Name: "content", PieceSize: pieceSize,
		Files:  []piece.File{{Path: "content", Size: int64(len(content))}},
		Pieces: h.Sum(),
	}
}

func newHarness(t testing.TB, content []byte, pieceSize int64) *harness {
	return &harness{
		t: t, now: epoch, m: newManifest(content, pieceSize), truth: content,
		nodes: make(map[PeerID]*hnode), links: make(map[[2]PeerID]bool),
		served: make(map[PeerID]int64), requests: make(map[PeerID]map[blockKey]int),
		failed: make(map[PeerID]int),
	}
}

// add creates a node. A seed starts with every piece; cfg.Manifest defaults
// to the harness manifest unless fetch is set.
func (h *harness) add(id PeerID, cfg Config, seed bool, budget int) *hnode {
	n := &hnode{id: id, budget: budget, content: make([]byte, len(h.truth)), stored: make([]bool, h.m.NumPieces())}
	if cfg.Manifest == nil && cfg.Swarm.IsZero() {
		cfg.Manifest = h.m
	}
	if seed {
		cfg.Have = piece.FullBitfield(h.m.NumPieces())
		copy(n.content, h.truth)
		for i := range n.stored {
			n.stored[i] = true
		}
	}
	eng, err := New(cfg)
	if err != nil {
		h.t.Fatalf("New(%s): %v", id, err)
	}
	n.eng = eng
	h.nodes[id] = n
	h.order = append(h.order, id)
	slices.Sort(h.order)
	return n
}

func linkKey(a, b PeerID) [2]PeerID {
	if a > b {
		a, b = b, a
	}
	return [2]PeerID{a, b}
}

// connect links a and b and tells both engines.
func (h *harness) connect(a, b PeerID) {
	h.links[linkKey(a, b)] = true
	h.call(func() { h.nodes[a].eng.AddPeer(b, h.now) })
	h.call(func() { h.nodes[b].eng.AddPeer(a, h.now) })
	h.flush()
}

// mesh connects every pair of live nodes in ids.
func (h *harness) mesh(ids ...PeerID) {
	for i, a := range ids {
		for _, b := range ids[i+1:] {
			h.connect(a, b)
		}
	}
}

// unlink cuts the link between a and b and tells both engines.
func (h *harness) unlink(a, b PeerID) {
	if !h.links[linkKey(a, b)] {
		return
	}
	delete(h.links, linkKey(a, b))
	h.call(func() { h.nodes[a].eng.RemovePeer(b, h.now) })
	h.call(func() { h.nodes[b].eng.RemovePeer(a, h.now) })
}

// leave disconnects id from everyone and stops driving it.
func (h *harness) leave(id PeerID) {
	for _, o := range h.order {
		h.unlink(id, o)
	}
	h.nodes[id].gone = true
	h.nodes[id].upq = nil
	h.flush()
}

// call runs an engine call, timing it when measuring.
func (h *harness) call(f func()) {
	if !h.measure {
		f()
		return
	}
	start := time.Now()
	f()
	h.timeIn += time.Since(start)
}

// flush processes actions and control messages until quiet.
func (h *harness) flush() {
	for round := 0; ; round++ {
		if round > 1_000_000 {
			h.t.Fatalf("harness: no quiescence")
		}
		busy := false
		for _, id := range h.order {
			n := h.nodes[id]
			var acts []Action
			h.call(func() { acts = n.eng.Ready() })
			for _, a := range acts {
				busy = true
				h.handle(n, a)
			}
		}
		if len(h.inbox) > 0 {
			busy = true
			in := h.inbox
			h.inbox = nil
			for _, d := range in {
				h.deliver(d)
			}
		}
		if !busy {
			return
		}
	}
}

// deliver hands d to its receiver if the link still exists.
func (h *harness) deliver(d delivery) {
	if !h.links[linkKey(d.from, d.to)] {
		return
	}
	to := h.nodes[d.to]
	if c, ok := d.msg.(wire.Cancel); ok {
		to.upq = slices.DeleteFunc(to.upq, func(q delivery) bool {
			dm := q.msg.(wire.Data)
			return q.to == d.from && dm.Index == c.Index && dm.Begin == c.Begin
		})
	}
	h.call(func() { to.eng.Receive(d.from, d.msg, h.now) })
}

// handle performs one action of node n.
func (h *harness) handle(n *hnode, a Action) {
	if h.traceOn {
		h.trace = append(h.trace, fmt.Sprintf("%v %s %v", h.now.Sub(epoch), n.id, a))
	}
	switch a := a.(type) {
	case Send:
		h.onSend(n, a)
	case Serve:
		h.onServe(n, a)
	case Verify:
		h.onVerify(n, a)
	case FetchOrigin:
		h.fetches++
		h.origin = append(h.origin, struct {
			n     *hnode
			index int
		}{n, a.Index})
	case Disconnect:
		h.unlink(n.id, a.Peer)
	case Completed:
		n.done = h.now
	case ManifestReady:
	}
}

func (h *harness) onSend(n *hnode, a Send) {
	msg := a.Msg
	switch m := msg.(type) {
	case wire.Manifest:
		h.manifestParts++
		if h.partLimit > 0 && len(m.Data) > h.partLimit {
			m.Data = m.Data[:h.partLimit]
			msg = m
		}
		if n.bogus {
			m.Data = flip(m.Data)
			msg = m
		}
	case wire.Cancel:
		h.cancels++
	case wire.Request:
		if h.requests[n.id] == nil {
			h.requests[n.id] = make(map[blockKey]int)
		}
		h.requests[n.id][blockKey{m.Index, m.Begin}]++
	}
	h.inbox = append(h.inbox, delivery{n.id, a.Peer, msg})
}

func (h *harness) onServe(n *hnode, a Serve) {
	i := int(a.Req.Index)
	if !n.stored[i] {
		h.t.Fatalf("%s: Serve of piece %d it does not store", n.id, i)
	}
	off := h.m.PieceOffset(i) + int64(a.Req.Begin)
	data := n.content[off : off+int64(a.Req.Length)]
	if n.corrupt {
		data = flip(data)
	}
	n.upq = append(n.upq, delivery{n.id, a.Peer, wire.Data{Index: a.Req.Index, Begin: a.Req.Begin, Payload: data}})
}

func (h *harness) onVerify(n *hnode, a Verify) {
	m := n.eng.Manifest()
	ok := piece.VerifyPiece(m.Pieces[a.Index], a.Blocks...)
	if ok {
		off := m.PieceOffset(a.Index)
		for _, b := range a.Blocks {
			off += int64(copy(n.content[off:], b))
		}
		n.stored[a.Index] = true
	} else {
		h.failed[n.id]++
	}
	h.call(func() { n.eng.PieceVerified(a.Index, ok, h.now) })
}

// flip returns a copy of b with every byte inverted.
func flip(b []byte) []byte {
	c := make([]byte, len(b))
	for i, x := range b {
		c[i] = ^x
	}
	return c
}

// step advances the clock one tick: uploads within budget, origin fetches
// complete, every engine ticks.
func (h *harness) step() {
	h.now = h.now.Add(tickStep)
	for _, id := range h.order {
		h.upload(h.nodes[id])
	}
	orig := h.origin
	h.origin = nil
	for _, f := range orig {
		if f.n.gone {
			continue
		}
		off := h.m.PieceOffset(f.index)
		data := h.truth[off : off+h.m.PieceLen(f.index)]
		h.call(func() { f.n.eng.OriginData(f.index, data, h.now) })
	}
	for _, id := range h.order {
		if n := h.nodes[id]; !n.gone {
			h.call(func() { n.eng.Tick(h.now) })
		}
	}
	h.flush()
}

// upload moves queued Data within n's per-tick budget onto the links.
func (h *harness) upload(n *hnode) {
	if n.budget > 0 {
		n.credit = min(n.credit+n.budget, 2*n.budget)
	}
	for len(n.upq) > 0 {
		d := n.upq[0]
		size := len(d.msg.(wire.Data).Payload)
		if n.budget > 0 && n.credit < size {
			break
		}
		n.credit -= size
		n.upq = n.upq[1:]
		h.served[n.id] += int64(size)
		h.inbox = append(h.inbox, d)
	}
}

// run steps until every listed node is done or limit virtual time passes.
func (h *harness) run(limit time.Duration, ids ...PeerID) bool {
	end := h.now.Add(limit)
	for h.now.Before(end) {
		if h.allDone(ids...) {
			return true
		}
		h.step()
	}
	return h.allDone(ids...)
}

func (h *harness) allDone(ids ...PeerID) bool {
	for _, id := range ids {
		if !h.nodes[id].eng.Done() {
			return false
		}
	}
	return true
}

// checkContent fails the test unless every listed node stores the truth.
func (h *harness) checkContent(ids ...PeerID) {
	h.t.Helper()
	for _, id := range ids {
		n := h.nodes[id]
		if !n.eng.Done() {
			h.t.Errorf("%s: got %d/%d pieces, want all", id, n.eng.Have().Count(), h.m.NumPieces())
			continue
		}
		if string(n.content) != string(h.truth) {
			h.t.Errorf("%s: content differs from the original", id)
		}
	}
}

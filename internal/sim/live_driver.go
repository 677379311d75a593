package sim

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/shoal-p2p/shoal/internal/live"
	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/swarm"
)

// originAnnounceLatest is how many announcements per rendition the origin
// returns to a viewer that has none yet (node.announceLatest).
const originAnnounceLatest = 10

// RunLive simulates the live scenario sc (with defaults filled and
// validated) and returns its figures. Like Run it is deterministic: the
// same scenario yields the same LiveResult and the same trace.
//
// The broadcaster's engine publishes one segment per rendition every
// segment duration, each signed once with a real Ed25519 key; viewers run
// live engines fed by the emulated network, the origin and the tracker as
// in Run. See the package documentation for the model and the measures.
func RunLive(ctx context.Context, sc Scenario, opt Options) (*LiveResult, error) {
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	if sc.Live == nil {
		return nil, fmt.Errorf("sim: scenario %s has no live section", sc.Name)
	}
	d, err := newLiveDriver(sc, opt)
	if err != nil {
		return nil, err
	}
	audience, err := d.audience()
	if err != nil {
		return nil, err
	}
	b := d.lv.bound(audience)
	if err := d.run(ctx, audience); err != nil {
		return nil, err
	}
	return d.lv.result(b), nil
}

// segment is one published segment of one rendition. Its buffer is shared
// by every engine that holds it: payloads are sub-slices of buf, never
// copies, so chunks are verified by address.
type segment struct {
	ann live.Announcement
	raw []byte // the signed canonical encoding, made once
	buf []byte
}

// liveRun is the live part of a driver: the stream the broadcaster
// publishes, the origin's and the viewers' side of the runtime, and the
// measures.
type liveRun struct {
	d       *driver
	spec    LiveSpec
	segDur  time.Duration
	latency time.Duration
	total   int // segments per rendition
	priv    ed25519.PrivateKey
	pub     ed25519.PublicKey
	channel piece.ID
	ring    [][]*segment // per rendition, indexed by sequence modulo keep
	keep    int          // segments kept per rendition
	newest  int64        // newest published sequence; -1 before the first
	firstAt time.Duration
	bcast   *simNode
	poll    time.Duration // viewers' origin poll period; 0: none
	verify  *segVerifier
	viewers []*viewer      // honest viewers present, in join order
	gone    []*viewer      // honest viewers that left
	full    map[int][]byte // a map of every chunk, by chunk count; read-only once running
	meas    liveMeasures

	checkReady bool // tests: compare every Ready segment's bytes with the truth (liveCounts.badReady)
}

// newLiveDriver builds the network, the origin and the broadcaster for
// the live scenario sc.
func newLiveDriver(sc Scenario, opt Options) (*driver, error) {
	d := newBase(sc, opt)
	l := *sc.Live
	seed := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("shoal sim broadcaster"), sc.Seed))
	priv := ed25519.NewKeyFromSeed(seed[:])
	pub := priv.Public().(ed25519.PublicKey)
	lv := &liveRun{
		d: d, spec: l, segDur: time.Duration(l.Segment), latency: time.Duration(l.TargetLatency),
		total: l.segments(), priv: priv, pub: pub, channel: live.ChannelID(pub, "sim"),
		newest: -1, full: make(map[int][]byte),
	}
	lv.keep = l.WindowSegments + int(lv.latency/lv.segDur) + 4
	lv.ring = make([][]*segment, l.Renditions)
	for r := range lv.ring {
		lv.ring[r] = make([]*segment, lv.keep)
	}
	lv.verify = &segVerifier{lv: lv}
	for r := range l.Renditions { // what liars claim, made before the parts run (fullMap)
		chunks := (l.segmentSize(r) + int(l.ChunkSize) - 1) / int(l.ChunkSize)
		lv.full[chunks] = piece.FullBitfield(chunks).Bytes()
	}
	if sc.Origin.Enabled {
		lv.poll = l.OriginPoll.period(lv.segDur)
	}
	lv.meas.init(lv)
	d.lv = lv
	d.join(profile{role: roleSeeder, up: mbps(sc.Broadcaster.UpMbps), latency: d.drawLatency()}, false)
	lv.bcast = d.nodes[len(d.nodes)-1]
	return d, d.err
}

// newEngine gives n a live engine: the broadcaster's, or a viewer's that
// uploads at most its capacity and may use the origin.
func (lv *liveRun) newEngine(n *simNode) {
	d := lv.d
	up := n.up
	if n.free {
		up = controlUp
	}
	cfg := swarm.Config{
		Seed: d.sc.Seed*0x9e3779b97f4a7c15 + uint64(n.id),
		Live: &swarm.LiveConfig{
			Channel: lv.channel, Key: lv.pub, Broadcaster: n.role == roleSeeder,
			WindowSegments: lv.spec.WindowSegments, TargetLatency: lv.latency, PushPeers: lv.spec.PushPeers,
			Origin:     d.origin >= 0 && n.role == roleLeecher,
			UploadRate: max(int64(up), 1),
			Verifier:   lv.verify,
		},
	}
	eng, err := swarm.New(cfg)
	if err != nil {
		d.fail(fmt.Errorf("sim: engine of %s: %sh", n.pid, err))
		return
	}
	n.eng = eng
}

// start schedules the first publication and the first evaluation.
func (lv *liveRun) start() {
	g := lv.d.net.Global()
	g.After(lv.segDur, func() { lv.publish(0) })
	g.After(lv.latency+lv.segDur, func() { lv.evaluateAll(0) })
}

// publish makes segment k of every rendition, hands it to the
// broadcaster's engine and schedules the next one.
func (lv *liveRun) publish(k int64) {
	d := lv.d
	segs := make([]*segment, len(lv.ring))
	for r := range lv.ring {
		sg, err := lv.makeSegment(r, k)
		if err != nil {
			d.fail(err)
			return
		}
		lv.ring[r][k%int64(lv.keep)] = sg
		segs[r] = sg
	}
	lv.newest = k
	if k == 0 {
		lv.firstAt = d.now()
	}
	if d.opt.Trace != nil {
		d.tracef(nil, "publish %d", k)
	}
	if lv.bcast.alive {
		sh := d.shardOf(lv.bcast)
		for _, sg := range segs {
			if err := lv.bcast.eng.Publish(sg.ann, sg.buf, sh.at()); err != nil {
				d.fail(fmt.Errorf("sim: publish %d: %sh", k, err))
				return
			}
		}
		sh.drain(lv.bcast)
	}
	if k+1 < int64(lv.total) {
		d.net.Global().After(lv.segDur, func() { lv.publish(k + 1) })
	}
}

// makeSegment returns segment k of rendition r: deterministic bytes and
// their announcement, signed once.
func (lv *liveRun) makeSegment(r int, k int64) (*segment, error) {
	buf := make([]byte, lv.spec.segmentSize(r))
	rng := rand.New(rand.NewPCG(lv.d.sc.Seed^0x5e6, uint64(k)<<8|uint64(r)))
	for i := 0; i < len(buf); i += 8 {
		var word [8]byte
		binary.LittleEndian.PutUint64(word[:], rng.Uint64())
		copy(buf[i:], word[:])
	}
	seg := live.Segment{Rendition: uint8(r), Sequence: uint64(k), Duration: lv.segDur,
		ProgramDateTime: simStart.Add(time.Duration(k) * lv.segDur), Data: buf}
	a, err := live.NewAnnouncement(lv.channel, seg, int(lv.spec.ChunkSize))
	if err == nil {
		err = a.Sign(lv.priv)
	}
	if err != nil {
		return nil, fmt.Errorf("sim: segment %d/%d: %sh", r, k, err)
	}
	return &segment{ann: a, raw: a.Append(nil), buf: buf}, nil
}

// get returns segment seq of rendition r if it is still kept.
func (lv *liveRun) get(r uint8, seq uint64) *segment {
	if int(r) >= len(lv.ring) || int64(seq) > lv.newest || int64(seq) <= lv.newest-int64(lv.keep) {
		return nil
	}
	return lv.ring[r][seq%uint64(lv.keep)]
}

// deadline returns segment k's playback deadline since simStart.
func (lv *liveRun) deadline(k int64) time.Duration {
	return time.Duration(k)*lv.segDur + lv.latency
}

// joined starts measuring an honest viewer and its origin polls.
func (lv *liveRun) joined(n *simNode) {
	if n.role != roleLeecher {
		return
	}
	v := newViewer(lv, n)
	n.view = v
	lv.viewers = append(lv.viewers, v)
	if lv.poll > 0 {
		sh := lv.d.shardOf(n)
		sh.part.s.AfterHandler(0, (*pollEvents)(sh), uint64(n.id))
	}
}

// leaving closes the measures of a viewer about to leave.
func (lv *liveRun) leaving(n *simNode) {
	v := n.view
	if v == nil {
		return
	}
	lv.evaluateUpTo(v, lv.d.now())
	for i, x := range lv.viewers {
		if x == v {
			lv.viewers = append(lv.viewers[:i], lv.viewers[i+1:]...)
			break
		}
	}
	lv.gone = append(lv.gone, v)
}

// finish closes the measures of the viewers present at the end.
func (lv *liveRun) finish() {
	for _, v := range lv.viewers {
		lv.evaluateUpTo(v, lv.d.now())
	}
	lv.record()
}

// pollEvents polls the origin's announcements for a viewer of a
// shard's part; the argument is its NodeID.
type pollEvents shard

// Fire polls and schedules the next poll.
func (p *pollEvents) Fire(arg uint64) {
	sh := (*shard)(p)
	lv := sh.d.lv
	n := sh.d.nodes[arg]
	if !n.alive {
		return
	}
	// As the runtime's poller (internal/node/live_watch.go): no poll while
	// the viewer has peers and its engine's newest segment ended less than
	// three intervals ago (the runtime measures how long the edge stood
	// still on its own clock; here the clocks are one).
	if edge := n.eng.LiveEdge(); edge.IsZero() || len(n.pairs) == 0 || sh.at().Sub(edge) >= 3*lv.poll {
		sh.pollOrigin(n)
	}
	sh.part.s.AfterHandler(lv.poll, p, arg)
}

package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strconv"
	"time"

	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/swarm"
)

// Driver constants.
const (
	tickPeriod     = 100 * time.Millisecond // swarm.Engine.Tick period per node
	announcePeriod = 30 * time.Second       // tracker re-announce of short-handed nodes
	controlUp      = 1e6 / 8                // uplink (bytes/s) of a free rider, which sends only control messages
	partsPerWorker = 4                      // parts of the network per worker, when there are several
)

// simStart is the virtual clock's origin; results are relative to it.
var simStart = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// role is what a node does in the swarm.
type role uint8

const (
	roleLeecher role = iota // honest downloader (free riders included)
	roleSeeder              // starts with the content
	roleLiar                // claims every piece, never serves
	roleCorrupt             // claims every piece, serves wrong bytes
	roleOrigin              // HTTP origin; no engine
)

var roleNames = [...]string{"leecher", "seeder", "liar", "corrupt", "origin"}

func (r role) String() string   { return roleNames[r] }
func (r role) hostile() bool    { return r == roleLiar || r == roleCorrupt }
func (r role) startsFull() bool { return r == roleSeeder || r.hostile() }

// profile is what a node is before it joins.
type profile struct {
	role     role
	up, down float64 // nominal capacities, bytes/s (a free rider's up is 0)
	nat      bool    // cannot be dialled
	free     bool    // free rider: never unchokes or serves
	latency  time.Duration
}

// simNode is one node of the run.
type simNode struct {
	profile
	id      NodeID
	pid     swarm.PeerID
	eng     *swarm.Engine // nil for the origin
	alive   bool
	initial bool          // part of the initial audience
	joined  time.Duration // since simStart
	done    time.Duration // completion (since simStart); -1 until then
	left    time.Duration // departure; -1 while present
	pairs   []pairRef     // sorted by id: connecting or connected
	upq     []serveJob    // blocks waiting for the uplink
	qhead   int           // first live index of upq
	pumping bool          // a pump event is scheduled
	final   swarm.Stats   // engine counters when it left
	view    *viewer       // live: measures of an honest viewer; nil otherwise
	dataq   []liveData    // live: chunks waiting for the uplink

	traceSeq uint64 // trace lines written about it (traceLine)
}

// serveJob is a block a node has agreed to serve.
type serveJob struct {
	to                   NodeID
	index, begin, length uint32
	dead                 bool // cancelled
}

// Options are the non-scenario inputs of Run.
type Options struct {
	// Trace, when set, receives one line per event and engine action, in
	// order: the same scenario always writes the same trace.
	Trace io.Writer
	// Progress, when set, is called at every sample of the time series.
	Progress func(Progress)
	// Workers is how many goroutines run the nodes' events, each for a
	// fixed share of the nodes (0: one per CPU, runtime.GOMAXPROCS).
	// Figures and traces do not depend on it.
	Workers int
}

// Progress is a snapshot reported during a run.
type Progress struct {
	Elapsed   time.Duration // virtual time
	Completed int           // honest leechers done (files)
	Leechers  int           // honest leechers (viewers) joined so far
	// Live runs: honest viewers present and the continuity index so far
	// (1 before any segment is due).
	Viewers    int
	Continuity float64
}

// progress returns the current snapshot.
func (d *driver) progress() Progress {
	p := Progress{Elapsed: d.now(), Completed: d.completed(), Leechers: d.meas.leechers}
	if d.lv != nil {
		p.Viewers = len(d.lv.viewers)
		p.Continuity = d.lv.meas.continuity()
	}
	return p
}

// driver runs one file or live scenario: it owns the network, with its
// schedulers, and one swarm.Engine per node, and translates actions into
// network traffic. Its fields are for the global events, which run alone
// (Network.Global); node events use their part's shard.
type driver struct {
	sc     Scenario
	opt    Options
	net    *Network[envelope]
	shards []*shard // by part
	m      *piece.Manifest
	truth  []byte // the content: every genuine payload is a sub-slice of it
	bad    []byte // what corrupt peers send
	full   piece.Bitfield

	setupRNG, trackRNG, churnRNG *rand.Rand

	nodes   []*simNode           // by NodeID
	present []NodeID             // nodes a tracker hands out, in join order
	conns   map[uint64]*pairConn // every pair ever dialled
	origin  NodeID               // -1: none

	pendingJoins int // initial audience not joined yet
	incomplete   int // honest leechers joined and not gone, done or not (see between)
	stop         bool
	err          error
	meas         measures
	lv           *liveRun // nil for files

	trace    []traceLine // lines of the global events, until written
	traceSeq uint64      // lines written about the run
}

// measures are the counters of the global events behind Result; the
// shards count the rest.
type measures struct {
	leechers, leftIncomplete int
	series                   []Sample
	lastDown, lastOrigin     int64
	lastAt                   time.Duration
}

// ban is one Disconnect{Ban: true}.
type ban struct {
	at     time.Duration
	by, of NodeID
}

// newDriver builds the network, the seeder and the origin for the file
// scenario sc.
func newDriver(sc Scenario, opt Options, truth []byte) (*driver, error) {
	f := sc.Files
	n := int((int64(f.Size) + int64(f.PieceSize) - 1) / int64(f.PieceSize))
	d := newBase(sc, opt)
	d.m = &piece.Manifest{Name: "sim.bin", PieceSize: int64(f.PieceSize),
		Files: []piece.File{{Path: "sim.bin", Size: int64(f.Size)}}, Pieces: make([]piece.Hash, n)}
	d.truth = truth
	d.full = piece.FullBitfield(n)
	if sc.Seeder.UpMbps > 0 {
		d.join(profile{role: roleSeeder, up: mbps(sc.Seeder.UpMbps), latency: d.drawLatency()}, false)
	}
	return d, d.err
}

// newBase builds what file and live runs share: random sources, the
// network with a shard per part and the origin node.
func newBase(sc Scenario, opt Options) *driver {
	d := &driver{
		sc:       sc,
		opt:      opt,
		bad:      badBlock(),
		setupRNG: rand.New(rand.NewPCG(sc.Seed, 1)),
		trackRNG: rand.New(rand.NewPCG(sc.Seed, 2)),
		churnRNG: rand.New(rand.NewPCG(sc.Seed, 3)),
		conns:    make(map[uint64]*pairConn),
		origin:   -1,
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	parts := 1
	if workers > 1 {
		parts = partsPerWorker * workers // small parts even out the workers' load
	}
	d.net = NewNetwork(simStart, NetConfig{Seed: sc.Seed, Parts: parts, Workers: workers}, d.deliver)
	for i := range parts {
		d.shards = append(d.shards, &shard{d: d, part: d.net.parts[i]})
	}
	if sc.Origin.Enabled {
		d.origin = d.addNode(profile{role: roleOrigin, up: mbps(sc.Origin.Mbps), latency: d.drawLatency()}).id
	}
	return d
}

// badBlock returns the payload corrupt peers send: never equal to a block
// of the content, so smart-ban hashing tells them apart.
func badBlock() []byte {
	b := make([]byte, swarm.MaxBlockSize)
	for i := range b {
		b[i] = byte(i*7 + 1)
	}
	return b
}

// run schedules the audience and runs until every honest leecher is done,
// the duration cap passes or ctx is cancelled.
func (d *driver) run(ctx context.Context, audience []profile) error {
	d.scheduleJoins(audience)
	if d.lv != nil {
		d.lv.start()
	}
	g := d.net.Global()
	g.After(announcePeriod, d.announce)
	g.After(0, func() { d.sample(ctx) })
	d.net.Run(simStart.Add(time.Duration(d.sc.Duration)), d.between)
	d.flushTrace()
	if d.err != nil {
		return d.err
	}
	if d.lv != nil {
		d.lv.finish()
		return nil
	}
	d.record()
	return nil
}

// scheduleJoins schedules the initial audience: all at once for a flash
// crowd, evenly spread over the ramp otherwise.
func (d *driver) scheduleJoins(audience []profile) {
	d.pendingJoins = len(audience)
	ramp := d.sc.Audience.Join.Ramp
	for i, p := range audience {
		at := time.Duration(0)
		if len(audience) > 1 {
			at = ramp * time.Duration(i) / time.Duration(len(audience)-1)
		}
		d.net.Global().After(at, func() {
			d.pendingJoins--
			d.join(p, true)
		})
	}
}

// now returns the global virtual time since simStart.
func (d *driver) now() time.Duration { return d.net.Global().Elapsed() }

// addNode adds p to the network without an engine.
func (d *driver) addNode(p profile) *simNode {
	up := p.up
	if p.free {
		up = controlUp
	}
	id := d.net.AddNode(int64(up), int64(p.down))
	if err := d.net.SetAccessLatency(id, p.latency); err != nil {
		d.fail(err)
	}
	n := &simNode{profile: p, id: id, pid: pidOf(id),
		alive: true, joined: d.now(), done: -1, left: -1}
	d.nodes = append(d.nodes, n)
	return n
}

// pidOf returns the PeerID of node id: "n" and the number.
func pidOf(id NodeID) swarm.PeerID { return swarm.PeerID("n" + strconv.Itoa(int(id))) }

// nodeOf returns the node whose PeerID is pid (see pidOf): parsed, which
// the hot paths prefer to a lookup in a map of every node.
func nodeOf(pid swarm.PeerID) NodeID {
	id := NodeID(0)
	for i := 1; i < len(pid); i++ {
		id = id*10 + NodeID(pid[i]-'0')
	}
	return id
}

// newEngine gives n its swarm engine.
func (d *driver) newEngine(n *simNode) {
	if d.lv != nil {
		d.lv.newEngine(n)
		return
	}
	cfg := swarm.Config{
		Manifest:    d.m,
		BlockSize:   uint32(d.sc.Engine.BlockSize),
		UploadSlots: d.sc.Engine.UploadSlots,
		Origin:      d.origin >= 0 && n.role == roleLeecher,
		Seed:        d.sc.Seed*0x9e3779b97f4a7c15 + uint64(n.id),
	}
	if n.role.startsFull() {
		cfg.Have = d.full
	}
	eng, err := swarm.New(cfg)
	if err != nil {
		d.fail(fmt.Errorf("sim: engine of %s: %sh", n.pid, err))
		return
	}
	n.eng = eng
}

// fail stops the run with err (global events; shards have their own).
func (d *driver) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// tickEvents ticks the engines of a shard's part; the argument is the
// NodeID.
type tickEvents shard

// Fire ticks one engine and schedules its next tick.
func (t *tickEvents) Fire(arg uint64) {
	sh := (*shard)(t)
	n := sh.d.nodes[arg]
	if !n.alive {
		return
	}
	n.eng.Tick(sh.at())
	sh.drain(n)
	sh.part.s.AfterHandler(tickPeriod, t, arg)
}

// sample appends a point to the time series and reports progress.
func (d *driver) sample(ctx context.Context) {
	if err := ctx.Err(); err != nil {
		d.fail(fmt.Errorf("sim: %sh", err))
		return
	}
	if d.lv != nil {
		d.lv.record()
	} else {
		d.record()
	}
	if d.opt.Progress != nil {
		d.opt.Progress(d.progress())
	}
	d.net.Global().After(time.Duration(d.sc.Sample), func() { d.sample(ctx) })
}

// errNoHonest is returned for an audience without an honest leecher.
var errNoHonest = errors.New("sim: the audience has no honest leecher")

// mbps converts Mbit/s to bytes/s.
func mbps(v float64) float64 { return v * 1e6 / 8 }

package swarm

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// Hostile peers cost honest viewers little (issue #5; SECURITY.md, "Threat
// model"). Each test runs one swarm with hostile viewers and compares what
// its honest viewers got with the same swarm, same seed, all honest.
//
// The swarm: hsViewers viewers of the 1 Mbit/s harness stream in 32 KiB
// chunks (8 per 2 s segment), each dialing hsDial others at random besides
// the broadcaster, which has every viewer as a peer; viewer uploads cycle
// through hsUploads (mean 1.5× the bitrate), the broadcaster's is 2×; the
// origin answers in hsOriginDelay. Target latency is hsLatency: at the
// default 6 s a swarm of this size takes over 40% of its bytes from the
// origin when all are honest (docs/live.md, "Hostile peers"), which would
// hide what hostile peers cost; at 10 s the honest swarm serves itself, so
// any cost shows as offload lost and origin egress gained.
const (
	hsViewers     = 40
	hsDial        = 6
	hsSegs        = 16
	hsChunk       = 32 << 10
	hsLatency     = 10 * time.Second
	hsOriginDelay = 400 * time.Millisecond
	hsSeed        = 51
)

// Bounds the hostile runs must keep, against the honest run.
const (
	hsMinContinuity  = 0.99 // honest viewers' segments Ready by their deadline
	hsMaxOffloadDrop = 0.10 // peer offload lost, in share of honest bytes
	// hsMaxOriginGain is how many more copies of the stream the origin may
	// send to honest viewers. Measured: 0.00 with 10% corrupt peers, 10%
	// liars, 10% silent peers or a flooder; before the engine's defences
	// (fair queuing, a 500 ms serve wait, unanswered requests clearing a
	// claim and muting the peer) 3.8, 5.4, 3.9 and 33 copies, offload
	// 0.92, 0.88, 0.91 and 0.52. Seeds 52–58 stay within 0.4 copies but
	// for two, where a liar or silent peer sits in the broadcaster's push
	// set for 10 s (up to 3.7 copies; docs/live.md, "Hostile peers").
	// Half a copy is a few viewers fetching one segment each from the
	// origin; what a hostile peer really breaks costs whole copies.
	hsMaxOriginGain = 0.5
)

// hsUploads are the viewers' upload rates, assigned in turn.
var hsUploads = [...]int{lhRate / 2, lhRate, 3 * lhRate / 2, 2 * lhRate, 5 * lhRate / 2}

// hsHostile lists the viewers made hostile in the 10% scenarios, with
// uploads 0.5×, 1×, 2× and 2.5× the bitrate (mean 1.5×, as the swarm's).
var hsHostile = []int{0, 11, 23, 34}

// hsFlooder is the one flooder of the flooding scenario (upload 1.5×).
var hsFlooder = []int{17}

// hostileSwarm builds the scenario swarm; mark, if not nil, is called for
// every viewer before anyone connects, to make some of them hostile.
func hostileSwarm(t testing.TB, mark func(i int, n *lnode)) (*lharness, []PeerID) {
	h := newLiveHarness(t, lhSegSize)
	h.chunk, h.latency, h.originDelay = hsChunk, hsLatency, hsOriginDelay
	v := make(annCache)
	cfg := func(broadcaster bool, up int, seed uint64) Config {
		c := h.liveCfg(broadcaster, int64(up), seed)
		c.Live.Verifier = v
		return c
	}
	h.add("bcast", cfg(true, 2*lhRate, hsSeed), 2*lhRate)
	ids := viewerIDs(hsViewers)
	for i, id := range ids {
		up := hsUploads[i%len(hsUploads)]
		n := h.add(id, cfg(false, up, hsSeed+uint64(i)+1), up)
		if mark != nil {
			mark(i, n)
		}
	}
	for _, id := range ids {
		h.connect("bcast", id)
	}
	r := rand.New(rand.NewPCG(hsSeed, 0x5a))
	for i, id := range ids {
		dialed := 0
		for _, j := range r.Perm(len(ids)) {
			if dialed == hsDial {
				break
			}
			if j != i && !h.links[linkKey(id, ids[j])] {
				h.connect(id, ids[j])
				dialed++
			}
		}
	}
	return h, ids
}

// marking returns a mark function for hostileSwarm applying f to the
// listed viewers.
func marking(which []int, f func(n *lnode)) func(int, *lnode) {
	return func(i int, n *lnode) {
		if slices.Contains(which, i) {
			f(n)
		}
	}
}

// hsFigures is what honest viewers got in one run.
type hsFigures struct {
	continuity float64 // segments Ready by their deadline ÷ segments, all honest viewers, join segments excluded
	worst      float64 // the lowest single viewer's continuity
	late       int     // honest viewer segments not Ready by their deadline
	offload    float64 // peer bytes ÷ all bytes the honest viewers verified
	origin     float64 // copies of the stream the origin sent to honest viewers
	originAll  float64 // copies it sent to anyone, hostile viewers included
	badReady   int     // SegmentReady with wrong bytes at honest viewers
}

func (f hsFigures) String() string {
	return fmt.Sprintf("continuity %.4f (worst viewer %.3f, %d late), offload %.3f, origin egress %.2f copies to honest viewers (%.2f to all)",
		f.continuity, f.worst, f.late, f.offload, f.origin, f.originAll)
}

// joinSeq returns the first segment a viewer that joined at t fetches: the
// one the playhead is in (segment 0 for a viewer there from the start).
func (h *lharness) joinSeq(t time.Time) uint64 {
	playhead := t.Sub(epoch) - h.latency
	if playhead < 0 {
		return 0
	}
	return uint64(playhead / lhSegDur)
}

// figures measures the honest viewers over the first segs segments. As the
// harness's continuity does, a segment counts if it was Ready by its
// deadline; each viewer's join segment is left out.
func (h *lharness) figures(honest []PeerID, segs int) hsFigures {
	f := hsFigures{worst: 1, offload: h.offload(honest...), originAll: h.originMultiple(segs)}
	total := 0
	var origin int64
	for _, id := range honest {
		from := h.joinSeq(h.nodes[id].joined) + 1
		c, late := h.continuity(id, from, uint64(segs))
		f.worst = min(f.worst, c)
		f.late += len(late)
		total += segs - int(from)
		f.badReady += h.nodes[id].badReady
		origin += h.nodes[id].eng.Stats().BytesFromOrigin
	}
	f.continuity = 1 - float64(f.late)/float64(total)
	f.origin = float64(origin) / float64(segs*h.segSize)
	return f
}

// honestIDs returns ids without the listed indices.
func honestIDs(ids []PeerID, hostile []int) []PeerID {
	var out []PeerID
	for i, id := range ids {
		if !slices.Contains(hostile, i) {
			out = append(out, id)
		}
	}
	return out
}

// hsBaseline runs the all-honest swarm once per test binary; each test
// measures it over its own honest viewers.
var hsBaseline = sync.OnceValue(func() *lharness {
	h, _ := hostileSwarm(panicTB{}, nil)
	h.runSegments(hsSegs)
	return h
})

// panicTB lets the shared baseline run outside any one test: the harness
// only calls Fatalf, on a broken harness.
type panicTB struct{ testing.TB }

func (panicTB) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (panicTB) Helper()                           {}

// checkCost fails unless the honest viewers of run kept hsMinContinuity,
// lost at most hsMaxOffloadDrop of offload and cost the origin at most
// hsMaxOriginGain copies more than in the baseline, and got no corrupt
// segment.
func checkCost(t *testing.T, run, base hsFigures) {
	t.Helper()
	t.Logf("baseline: %v", base)
	t.Logf("hostile:  %v", run)
	if run.continuity < hsMinContinuity {
		t.Errorf("honest continuity %.4f (%d segments late), want ≥ %.2f", run.continuity, run.late, hsMinContinuity)
	}
	if drop := base.offload - run.offload; drop > hsMaxOffloadDrop {
		t.Errorf("offload %.3f, baseline %.3f: dropped %.3f, want ≤ %.2f", run.offload, base.offload, drop, hsMaxOffloadDrop)
	}
	if gain := run.origin - base.origin; gain > hsMaxOriginGain {
		t.Errorf("origin egress to honest viewers %.2f copies, baseline %.2f: %.2f more, want ≤ %.1f", run.origin, base.origin, gain, hsMaxOriginGain)
	}
	if run.badReady != 0 {
		t.Errorf("%d SegmentReady with wrong bytes at honest viewers, want 0", run.badReady)
	}
}

// checkNoHonestBanned fails if any node banned an honest viewer.
func checkNoHonestBanned(t *testing.T, h *lharness, honest []PeerID) {
	t.Helper()
	for _, id := range h.order {
		for _, o := range honest {
			if h.nodes[id].eng.Banned(o) {
				t.Errorf("%s banned honest %s", id, o)
			}
		}
	}
}

func TestLiveTenPercentCorruptPeers(t *testing.T) {
	base := hsBaseline()
	h, ids := hostileSwarm(t, marking(hsHostile, func(n *lnode) { n.corrupt = true }))
	h.afterStep = h.checkTables // bans free slots mid-run
	h.runSegments(hsSegs)
	honest := honestIDs(ids, hsHostile)
	checkCost(t, h.figures(honest, hsSegs), base.figures(honest, hsSegs))
	checkNoHonestBanned(t, h, honest)
	// Every honest node a corrupt peer sent a bad chunk to banned it after
	// exactly that one; none banned it without.
	for _, i := range hsHostile {
		bad, by := ids[i], 0
		for _, id := range append([]PeerID{"bcast"}, honest...) {
			n, banned := h.badChecked[[2]PeerID{bad, id}], h.nodes[id].eng.Banned(bad)
			if n > 1 || banned != (n == 1) {
				t.Errorf("%s: %d bad chunks from %s checked, banned %t; want banned after exactly one", id, n, bad, banned)
			}
			if banned {
				by++
			}
		}
		if by == 0 {
			t.Errorf("corrupt %s banned by nobody: it sent no bad chunk, the test proves nothing", bad)
		}
		t.Logf("corrupt %s banned by %d honest nodes", bad, by)
	}
}

func TestLiveLiarSilentFlooder(t *testing.T) {
	base := hsBaseline()
	tests := []struct {
		name    string
		hostile []int
		behave  behaviour
	}{
		{"10% liars", hsHostile, liar},
		{"10% silent", hsHostile, silent},
		{"flooder", hsFlooder, flooder},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, ids := hostileSwarm(t, marking(tt.hostile, func(n *lnode) { n.behave = tt.behave }))
			honest := honestIDs(ids, tt.hostile)
			maxQueued := 0
			h.afterStep = h.checkTables
			if tt.behave == flooder {
				h.afterStep = func() {
					h.checkTables()
					maxQueued = max(maxQueued, h.queuedFrom(ids[tt.hostile[0]], honest))
				}
			}
			h.runSegments(hsSegs)
			checkCost(t, h.figures(honest, hsSegs), base.figures(honest, hsSegs))
			checkNoHonestBanned(t, h, honest)
			if tt.behave != flooder {
				return
			}
			fl := ids[tt.hostile[0]]
			if h.flooded == 0 {
				t.Fatal("the flooder sent no requests; the test proves nothing")
			}
			if maxQueued > maxLiveQueue {
				t.Errorf("an honest node held %d of the flooder's requests, want ≤ %d", maxQueued, maxLiveQueue)
			}
			t.Logf("flooder sent %d requests; most held by one honest node at once %d; it was sent %.1f× the chunk bytes an honest viewer was",
				h.flooded, maxQueued, h.receivedMean(fl)/h.receivedMean(honest...))
		})
	}
}

// queuedFrom returns the most requests from peer p waiting in any one of
// the listed nodes' upload queues.
func (h *lharness) queuedFrom(p PeerID, ids []PeerID) int {
	most := 0
	for _, id := range ids {
		n := 0
		for _, r := range h.nodes[id].eng.live.up.queue {
			if r.p.id == p {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}

// receivedMean returns the LiveData bytes delivered to the listed nodes,
// per node.
func (h *lharness) receivedMean(ids ...PeerID) float64 {
	var b int64
	for _, id := range ids {
		b += h.received[id]
	}
	return float64(b) / float64(len(ids))
}

package sim

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

const ms = time.Millisecond

// delivery records a delivered message: its payload and virtual arrival time.
type delivery struct {
	payload any
	at      time.Duration
}

// sink collects the deliveries of a one-part network.
type sink struct{ got []delivery }

// newTestNet returns a network of one part and the sink of its deliveries.
func newTestNet(t testing.TB, cfg NetConfig) (*Network[any], *sink) {
	t.Helper()
	k := &sink{}
	n := NewNetwork(epoch, cfg, func(p *Part[any], _, _ NodeID, m *any) {
		k.got = append(k.got, delivery{*m, p.Sched().Elapsed()})
	})
	return n, k
}

// send sends m from one node to another, from its part.
func send(n *Network[any], from, to NodeID, size int, m any) { n.Part(from).Send(from, to, size, m) }

// sendAt sends m at virtual time at, from a global event.
func sendAt(n *Network[any], at time.Duration, from, to NodeID, size int, m any) {
	n.Global().After(at, func() { send(n, from, to, size, m) })
}

// runAll runs n until nothing is left to do.
func runAll(n *Network[any]) { n.Run(epoch.Add(1000*time.Hour), nil) }

func TestSendSingleMessage(t *testing.T) {
	tests := []struct {
		name     string
		up, down int64
		access   time.Duration // per node, so one-way latency is twice this
		size     int
		want     time.Duration
	}{
		{"all limited", 1000, 2000, 25 * ms, 500, 500*ms + 50*ms + 250*ms},
		{"unlimited up", 0, 1000, 10 * ms, 100, 20*ms + 100*ms},
		{"unlimited down", 1000, 0, 10 * ms, 100, 100*ms + 20*ms},
		{"unlimited", 0, 0, 7 * ms, 1 << 30, 14 * ms},
		{"large message", 1e6, 1e6, ms, 1e6, 2*time.Second + 2*ms},
		{"empty message", 10, 10, ms, 0, 2 * ms},
		{"rounds up", 3, 0, ms, 1, 333333334 + 2*ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, k := newTestNet(t, NetConfig{AccessLatency: tt.access})
			a := n.AddNode(tt.up, tt.down)
			b := n.AddNode(tt.up, tt.down)
			sendAt(n, time.Second, a, b, tt.size, "m")
			runAll(n)
			want := []delivery{{"m", time.Second + tt.want}}
			if !slices.Equal(k.got, want) {
				t.Errorf("got %v, want %v", k.got, want)
			}
			if got := n.Stats(b).BytesReceived; got != int64(tt.size) {
				t.Errorf("got %d bytes received, want %d", got, tt.size)
			}
		})
	}
}

func TestSendQueues(t *testing.T) {
	type send struct {
		at       time.Duration
		from, to int // index into the test's nodes
		size     int
	}
	tests := []struct {
		name  string
		rates [][2]int64 // up, down per node
		sends []send
		want  []delivery // payload is the index of the send
	}{
		{"back to back on one uplink", [][2]int64{{1000, 0}, {0, 0}},
			[]send{{0, 0, 1, 100}, {0, 0, 1, 100}},
			[]delivery{{0, 110 * ms}, {1, 210 * ms}}},
		{"second send after the uplink is idle", [][2]int64{{1000, 2000}, {0, 2000}},
			[]send{{0, 0, 1, 100}, {500 * ms, 0, 1, 100}},
			[]delivery{{0, 160 * ms}, {1, 660 * ms}}},
		{"downlink slower than uplink", [][2]int64{{2000, 0}, {0, 1000}},
			[]send{{0, 0, 1, 100}, {0, 0, 1, 100}},
			[]delivery{{0, 160 * ms}, {1, 260 * ms}}},
		{"two senders share a downlink", [][2]int64{{0, 0}, {0, 0}, {0, 1000}},
			[]send{{0, 0, 2, 1000}, {0, 1, 2, 1000}},
			[]delivery{{0, 1010 * ms}, {1, 2010 * ms}}},
		{"simultaneous arrivals: lower sender first", [][2]int64{{0, 0}, {0, 0}, {0, 1000}},
			[]send{{0, 1, 2, 1000}, {0, 0, 2, 1000}},
			[]delivery{{1, 1010 * ms}, {0, 2010 * ms}}},
		{"downlink serves in arrival order", [][2]int64{{1000, 0}, {0, 0}, {0, 1000}},
			[]send{{0, 0, 2, 500}, {100 * ms, 1, 2, 500}},
			[]delivery{{1, 610 * ms}, {0, 1110 * ms}}},
		{"idle downlink between messages", [][2]int64{{0, 0}, {0, 0}, {0, 1000}},
			[]send{{0, 0, 2, 100}, {time.Second, 1, 2, 100}},
			[]delivery{{0, 110 * ms}, {1, 1110 * ms}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, k := newTestNet(t, NetConfig{AccessLatency: 5 * ms})
			var ids []NodeID
			for _, r := range tt.rates {
				ids = append(ids, n.AddNode(r[0], r[1]))
			}
			for i, m := range tt.sends {
				sendAt(n, m.at, ids[m.from], ids[m.to], m.size, i)
			}
			runAll(n)
			if !slices.Equal(k.got, tt.want) {
				t.Errorf("got %v, want %v", k.got, tt.want)
			}
		})
	}
}

func TestBacklog(t *testing.T) {
	n, _ := newTestNet(t, NetConfig{AccessLatency: ms})
	a := n.AddNode(1000, 0)
	b := n.AddNode(0, 0)
	send(n, a, b, 300, nil)
	send(n, a, b, 200, nil)
	steps := []struct {
		at   time.Duration
		want time.Duration
	}{
		{0, 500 * ms},
		{200 * ms, 300 * ms},
		{500 * ms, 0},
		{time.Second, 0},
	}
	for _, st := range steps {
		n.Run(epoch.Add(st.at), nil)
		if got := n.Part(a).Backlog(a); got != st.want {
			t.Errorf("at %v: got backlog %v, want %v", st.at, got, st.want)
		}
	}
	if got := n.Part(b).Backlog(b); got != 0 {
		t.Errorf("got receiver backlog %v, want 0", got)
	}
}

func TestAccessLatency(t *testing.T) {
	tests := []struct {
		name     string
		cfg      NetConfig
		access   []time.Duration // SetAccessLatency per node, if set
		from, to NodeID
		wantLat  time.Duration
	}{
		{"default core model", NetConfig{AccessLatency: 4 * ms}, nil, 0, 1, 8 * ms},
		{"per-node access", NetConfig{}, []time.Duration{ms, 20 * ms, 300 * ms}, 2, 1, 320 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, k := newTestNet(t, tt.cfg)
			for range 3 {
				n.AddNode(0, 0)
			}
			for i, d := range tt.access {
				if err := n.SetAccessLatency(NodeID(i), d); err != nil {
					t.Fatal(err)
				}
			}
			send(n, tt.from, tt.to, 1, nil)
			runAll(n)
			if len(k.got) != 1 || k.got[0].at != tt.wantLat {
				t.Errorf("got %v, want one delivery at %v", k.got, tt.wantLat)
			}
		})
	}
}

func TestSetAccessLatencyErrors(t *testing.T) {
	n, _ := newTestNet(t, NetConfig{})
	n.AddNode(0, 0)
	if err := n.SetAccessLatency(1, ms); err == nil {
		t.Error("got no error for an unknown node, want one")
	}
	if err := n.SetAccessLatency(0, -ms); err == nil {
		t.Error("got no error for a negative latency, want one")
	}
	if err := n.SetAccessLatency(0, 3*ms); err != nil || n.Lookahead() != 6*ms {
		t.Errorf("got error %v and lookahead %v, want none and 6ms", err, n.Lookahead())
	}
}

// TestZeroLatencyPanics: two nodes no time apart leave no window to run.
func TestZeroLatencyPanics(t *testing.T) {
	n, _ := newTestNet(t, NetConfig{})
	a, b := n.AddNode(0, 0), n.AddNode(0, 0)
	send(n, a, b, 1, nil)
	defer func() {
		if recover() == nil {
			t.Error("got no panic, want one")
		}
	}()
	runAll(n)
}

func TestNetConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     NetConfig
		wantErr bool
	}{
		{"zero", NetConfig{}, false},
		{"full", NetConfig{Seed: 9, Loss: 1, AccessLatency: time.Second, Parts: 4}, false},
		{"bad loss", NetConfig{Loss: 2}, true},
		{"negative access", NetConfig{AccessLatency: -time.Second}, true},
		{"negative parts", NetConfig{Parts: -1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cfg.Validate(); (err != nil) != tt.wantErr {
				t.Errorf("got error %v, want error: %v", err, tt.wantErr)
			}
		})
	}
}

// lossTrace sends 10,000 messages over a lossy link and returns what arrived.
func lossTrace(t *testing.T, seed uint64, loss float64) (*Network[any], []delivery) {
	t.Helper()
	n, k := newTestNet(t, NetConfig{Seed: seed, Loss: loss, AccessLatency: ms})
	a := n.AddNode(1e6, 0)
	b := n.AddNode(0, 1e6)
	for i := range 10000 {
		send(n, a, b, 100, i)
	}
	runAll(n)
	return n, k.got
}

func TestLoss(t *testing.T) {
	tests := []struct {
		loss     float64
		min, max int // delivered messages out of 10,000
	}{
		{0, 10000, 10000},
		{0.1, 8800, 9200},
		{1, 0, 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.loss), func(t *testing.T) {
			n, got := lossTrace(t, 42, tt.loss)
			if len(got) < tt.min || len(got) > tt.max {
				t.Errorf("got %d delivered, want within [%d, %d]", len(got), tt.min, tt.max)
			}
			st := n.Stats(0)
			if st.BytesSent != 1e6 || st.BytesDropped != int64(100*(10000-len(got))) {
				t.Errorf("got sender stats %+v, want 1000000 sent, %d dropped", st, 100*(10000-len(got)))
			}
			if rcvd := n.Stats(1).BytesReceived; rcvd != int64(100*len(got)) {
				t.Errorf("got %d bytes received, want %d", rcvd, 100*len(got))
			}
		})
	}
}

func TestLossDeterministic(t *testing.T) {
	_, first := lossTrace(t, 7, 0.1)
	_, again := lossTrace(t, 7, 0.1)
	if !slices.Equal(first, again) {
		t.Errorf("got different traces for seed 7: %d and %d deliveries", len(first), len(again))
	}
	_, other := lossTrace(t, 8, 0.1)
	if slices.Equal(first, other) {
		t.Error("got identical traces for seeds 7 and 8, want them to differ")
	}
}

func TestRemoveNode(t *testing.T) {
	tests := []struct {
		name      string
		remove    int           // index of the node removed
		removeAt  time.Duration // when it is removed
		want      []delivery    // payload is the index of the send
		wantDrops [3]int64      // BytesDropped per node: on the way to it
	}{
		// Node 0 sends 100 B to 1 and to 2 at 0; node 1 sends 100 B to 2 at 0.
		// Node 0's uplink takes 100 ms per message, node 2's downlink 50 ms,
		// latency is 10 ms: 0 leaves at 100 and arrives at 110; 1 leaves at 200,
		// reaches the downlink at 210 and arrives at 260; 2 reaches the
		// downlink at 10 and arrives at 60.
		{"none removed", -1, 0, []delivery{{2, 60 * ms}, {0, 110 * ms}, {1, 260 * ms}}, [3]int64{}},
		{"receiver, messages in uplink and downlink", 2, 50 * ms, []delivery{{0, 110 * ms}}, [3]int64{0, 0, 200}},
		{"receiver, message in downlink", 2, 230 * ms, []delivery{{2, 60 * ms}, {0, 110 * ms}}, [3]int64{0, 0, 100}},
		{"sender, messages in flight and uplink", 0, 105 * ms, []delivery{{2, 60 * ms}}, [3]int64{0, 100, 100}},
		{"sender, message in flight", 0, 205 * ms, []delivery{{2, 60 * ms}, {0, 110 * ms}}, [3]int64{0, 0, 100}},
		{"after all deliveries", 2, time.Second, []delivery{{2, 60 * ms}, {0, 110 * ms}, {1, 260 * ms}}, [3]int64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, k := newTestNet(t, NetConfig{AccessLatency: 5 * ms})
			ids := []NodeID{n.AddNode(1000, 0), n.AddNode(0, 0), n.AddNode(0, 2000)}
			send(n, ids[0], ids[1], 100, 0)
			send(n, ids[0], ids[2], 100, 1)
			send(n, ids[1], ids[2], 100, 2)
			if tt.remove >= 0 {
				n.Global().After(tt.removeAt, func() { n.RemoveNode(ids[tt.remove]) })
			}
			runAll(n)
			if !slices.Equal(k.got, tt.want) {
				t.Errorf("got %v, want %v", k.got, tt.want)
			}
			for i, id := range ids {
				if got := n.Stats(id).BytesDropped; got != tt.wantDrops[i] {
					t.Errorf("node %d: got %d bytes dropped, want %d", i, got, tt.wantDrops[i])
				}
			}
		})
	}
}

func TestRemovedNodeSendIgnored(t *testing.T) {
	n, k := newTestNet(t, NetConfig{AccessLatency: ms})
	a := n.AddNode(0, 0)
	b := n.AddNode(0, 0)
	n.RemoveNode(a)
	n.RemoveNode(a)
	send(n, a, b, 10, nil)
	runAll(n)
	if len(k.got) != 0 || n.Stats(a) != (NodeStats{}) {
		t.Errorf("got %d deliveries and stats %+v, want none", len(k.got), n.Stats(a))
	}
	if n.Alive(a) || !n.Alive(b) || n.Alive(2) || n.Alive(-1) {
		t.Errorf("got Alive = %v %v %v %v, want false true false false",
			n.Alive(a), n.Alive(b), n.Alive(2), n.Alive(-1))
	}
}

// TestSendFromOtherPartPanics: a part sends only from its own nodes.
func TestSendFromOtherPartPanics(t *testing.T) {
	n := NewNetwork(epoch, NetConfig{AccessLatency: ms, Parts: 2}, func(*Part[int], NodeID, NodeID, *int) {})
	a, b := n.AddNode(0, 0), n.AddNode(0, 0)
	defer func() {
		if recover() == nil {
			t.Error("got no panic, want one")
		}
	}()
	n.Part(a).Send(b, a, 1, 0)
}

// TestConservation checks sent = received + dropped under random traffic,
// loss and churn, once the network has drained, and that every message
// slot is free again.
func TestConservation(t *testing.T) {
	n, _ := newTestNet(t, NetConfig{Seed: 3, Loss: 0.05, AccessLatency: ms})
	rng := rand.New(rand.NewPCG(5, 6))
	for range 50 {
		n.AddNode(rng.Int64N(1e6), rng.Int64N(2e6))
	}
	for i := range 5000 {
		from, to := NodeID(rng.IntN(50)), NodeID(rng.IntN(50))
		sendAt(n, time.Duration(i)*ms, from, to, rng.IntN(1500), nil)
	}
	for i := range 10 {
		n.Global().After(time.Duration(i)*400*ms, func() { n.RemoveNode(NodeID(i * 3)) })
	}
	runAll(n)
	var sum NodeStats
	for id := range NodeID(n.Len()) {
		st := n.Stats(id)
		sum.BytesSent += st.BytesSent
		sum.BytesReceived += st.BytesReceived
		sum.BytesDropped += st.BytesDropped
	}
	if sum.BytesSent != sum.BytesReceived+sum.BytesDropped {
		t.Errorf("got sent %d, want received %d + dropped %d", sum.BytesSent, sum.BytesReceived, sum.BytesDropped)
	}
	p := n.parts[0]
	if len(p.flights) == 0 || len(p.free) != len(p.flights) || p.arrivals.len() != 0 {
		t.Errorf("got %d free of %d message slots and %d arrivals pending, want all free and none", len(p.free), len(p.flights), p.arrivals.len())
	}
}

// echo is a message of the parts test: its hop count and an ID.
type echo struct {
	id   int
	hops int
}

// echoRecord is one delivery of the parts test.
type echoRecord struct {
	at       time.Duration
	from, to NodeID
	id, hops int
}

// echoRun runs a network of the given parts in which every node bounces
// each message it receives to a peer drawn from its own generator, until
// it has made 20 hops, and sends more from periodic timers, many at the
// same instants, so that messages often reach a downlink together; it
// returns every delivery, sorted.
func echoRun(t *testing.T, parts, workers int) []echoRecord {
	t.Helper()
	const nodes = 40
	recs := make([][]echoRecord, parts) // by part: parts run on their own goroutines
	rngs := make([]*rand.Rand, nodes)   // by node: only its part uses it
	var n *Network[echo]
	n = NewNetwork(epoch, NetConfig{AccessLatency: 2 * ms, Parts: parts, Workers: workers}, func(p *Part[echo], from, to NodeID, m *echo) {
		recs[p.Index()] = append(recs[p.Index()], echoRecord{p.Sched().Elapsed(), from, to, m.id, m.hops})
		if m.hops < 20 {
			p.Send(to, NodeID(rngs[to].IntN(nodes)), 100+rngs[to].IntN(900), echo{m.id, m.hops + 1})
		}
	})
	for i := range nodes {
		id := n.AddNode(0, int64(2e5+1e4*i)) // unlimited uplinks: simultaneous sends arrive together
		if err := n.SetAccessLatency(id, time.Duration(1+i%7)*ms); err != nil {
			t.Fatal(err)
		}
		rngs[i] = rand.New(rand.NewPCG(uint64(i), 9))
	}
	for i := range nodes {
		id := NodeID(i)
		p := n.Part(id)
		var tick func()
		count := 0
		tick = func() {
			count++
			p.Send(id, NodeID(rngs[i].IntN(nodes)), 500, echo{i*1000 + count, 0})
			if count < 5 {
				p.Sched().After(time.Duration(37+i%3)*ms, tick)
			}
		}
		p.Sched().After(time.Duration(i%4)*ms, tick)
	}
	n.Global().After(300*ms, func() { n.RemoveNode(7) })
	n.Run(epoch.Add(time.Hour), nil)
	var all []echoRecord
	for _, r := range recs {
		all = append(all, r...)
	}
	slices.SortFunc(all, func(a, b echoRecord) int {
		return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.to, b.to), cmp.Compare(a.from, b.from), cmp.Compare(a.id, b.id), cmp.Compare(a.hops, b.hops))
	})
	return all
}

// TestPartsAgree: however the nodes are divided into parts, and however
// many goroutines run them, the same deliveries happen at the same times.
func TestPartsAgree(t *testing.T) {
	one := echoRun(t, 1, 1)
	if len(one) < 1000 {
		t.Fatalf("got %d deliveries, want a busy network", len(one))
	}
	for _, c := range [][2]int{{2, 0}, {3, 2}, {7, 3}, {8, 1}} {
		if got := echoRun(t, c[0], c[1]); !slices.Equal(got, one) {
			t.Errorf("%d parts on %d workers: got %d deliveries differing from one part's %d", c[0], c[1], len(got), len(one))
		}
	}
}

// TestGlobalEventsBetweenWindows: a global event at t sees every part
// event before t done and none at or after t.
func TestGlobalEventsBetweenWindows(t *testing.T) {
	n := NewNetwork(epoch, NetConfig{AccessLatency: 50 * ms, Parts: 2}, func(*Part[int], NodeID, NodeID, *int) {})
	a, b := n.AddNode(0, 0), n.AddNode(0, 0)
	var ran [2][]time.Duration // by node
	for i, id := range []NodeID{a, b} {
		s := n.Part(id).Sched()
		for _, at := range []time.Duration{10 * ms, 30*ms - 1, 30 * ms, 70 * ms} {
			s.After(at, func() { ran[i] = append(ran[i], s.Elapsed()) })
		}
	}
	var seen [2]int
	n.Global().After(30*ms, func() { seen = [2]int{len(ran[0]), len(ran[1])} })
	n.Run(epoch.Add(time.Second), nil)
	if seen != [2]int{2, 2} {
		t.Errorf("global event at 30ms saw %v part events done, want [2 2]", seen)
	}
	if len(ran[0]) != 4 || len(ran[1]) != 4 {
		t.Errorf("got %d and %d part events run, want 4 each", len(ran[0]), len(ran[1]))
	}
}

// TestRunStops: stop ends the run between windows, and a later Run goes
// on where it stopped.
func TestRunStops(t *testing.T) {
	n, k := newTestNet(t, NetConfig{AccessLatency: 5 * ms})
	a, b := n.AddNode(0, 0), n.AddNode(0, 0)
	for i := range 10 {
		sendAt(n, time.Duration(i)*100*ms, a, b, 1, i)
	}
	if !n.Run(epoch.Add(time.Hour), func() bool { return len(k.got) >= 3 }) {
		t.Fatal("Run ended without stop, want stopped")
	}
	if len(k.got) != 3 {
		t.Errorf("got %d deliveries when stopped, want 3", len(k.got))
	}
	runAll(n)
	if len(k.got) != 10 {
		t.Errorf("got %d deliveries in all, want 10", len(k.got))
	}
}

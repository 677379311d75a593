package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// delivery records a delivered message: its payload and virtual arrival time.
type delivery struct {
	payload any
	at      time.Duration
}

// sink collects deliveries on a network's scheduler.
type sink struct {
	s   *Scheduler
	got []delivery
}

func (k *sink) deliver(p any) { k.got = append(k.got, delivery{p, k.s.Elapsed()}) }

// newTestNet returns a scheduler, a network and a sink for its deliveries.
func newTestNet(t testing.TB, cfg NetConfig) (*Scheduler, *Network, *sink) {
	t.Helper()
	s := NewScheduler(epoch)
	return s, NewNetwork(s, cfg), &sink{s: s}
}

func TestSendSingleMessage(t *testing.T) {
	tests := []struct {
		name     string
		up, down int64
		access   time.Duration // per node, so one-way latency is twice this
		size     int
		want     time.Duration
	}{
		{"all limited", 1000, 2000, 25 * time.Millisecond, 500,
			500*time.Millisecond + 50*time.Millisecond + 250*time.Millisecond},
		{"unlimited up", 0, 1000, 10 * time.Millisecond, 100, 20*time.Millisecond + 100*time.Millisecond},
		{"unlimited down", 1000, 0, 10 * time.Millisecond, 100, 100*time.Millisecond + 20*time.Millisecond},
		{"unlimited", 0, 0, 7 * time.Millisecond, 1 << 30, 14 * time.Millisecond},
		{"zero latency", 1e6, 1e6, 0, 1e6, 2 * time.Second},
		{"empty message", 10, 10, time.Millisecond, 0, 2 * time.Millisecond},
		{"rounds up", 3, 0, 0, 1, 333333334},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, n, k := newTestNet(t, NetConfig{AccessLatency: tt.access})
			a := n.AddNode(tt.up, tt.down)
			b := n.AddNode(tt.up, tt.down)
			s.After(time.Second, func() { n.Send(a, b, tt.size, "m", k.deliver) })
			s.Run()
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
	const ms = time.Millisecond
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
		{"downlink serves in arrival order", [][2]int64{{1000, 0}, {0, 0}, {0, 1000}},
			[]send{{0, 0, 2, 500}, {100 * ms, 1, 2, 500}},
			[]delivery{{1, 610 * ms}, {0, 1110 * ms}}},
		{"idle downlink between messages", [][2]int64{{0, 0}, {0, 0}, {0, 1000}},
			[]send{{0, 0, 2, 100}, {time.Second, 1, 2, 100}},
			[]delivery{{0, 110 * ms}, {1, 1110 * ms}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, n, k := newTestNet(t, NetConfig{AccessLatency: 5 * ms})
			var ids []NodeID
			for _, r := range tt.rates {
				ids = append(ids, n.AddNode(r[0], r[1]))
			}
			for i, m := range tt.sends {
				s.After(m.at, func() { n.Send(ids[m.from], ids[m.to], m.size, i, k.deliver) })
			}
			s.Run()
			if !slices.Equal(k.got, tt.want) {
				t.Errorf("got %v, want %v", k.got, tt.want)
			}
		})
	}
}

func TestBacklog(t *testing.T) {
	s, n, _ := newTestNet(t, NetConfig{})
	a := n.AddNode(1000, 0)
	b := n.AddNode(0, 0)
	n.Send(a, b, 300, nil, nil)
	n.Send(a, b, 200, nil, nil)
	steps := []struct {
		at   time.Duration
		want time.Duration
	}{
		{0, 500 * time.Millisecond},
		{200 * time.Millisecond, 300 * time.Millisecond},
		{500 * time.Millisecond, 0},
		{time.Second, 0},
	}
	for _, st := range steps {
		s.RunUntil(epoch.Add(st.at))
		if got := n.Backlog(a); got != st.want {
			t.Errorf("at %v: got backlog %v, want %v", st.at, got, st.want)
		}
	}
	if got := n.Backlog(b); got != 0 {
		t.Errorf("got receiver backlog %v, want 0", got)
	}
}

func TestLatencyModels(t *testing.T) {
	const ms = time.Millisecond
	tests := []struct {
		name    string
		cfg     NetConfig
		access  []time.Duration // SetAccessLatency per node, if set
		link    bool            // SetLink(0, 1, 3ms, 0)
		from    NodeID
		to      NodeID
		wantLat time.Duration
	}{
		{"default core model", NetConfig{AccessLatency: 4 * ms}, nil, false, 0, 1, 8 * ms},
		{"per-node access", NetConfig{}, []time.Duration{ms, 20 * ms, 300 * ms}, false, 2, 1, 320 * ms},
		{"latency func", NetConfig{Latency: func(a, b NodeID) time.Duration {
			return time.Duration(a*10+b) * ms
		}}, nil, false, 2, 1, 21 * ms},
		{"link overrides func", NetConfig{Latency: func(NodeID, NodeID) time.Duration { return time.Hour }},
			nil, true, 1, 0, 3 * ms},
		{"link overrides core", NetConfig{AccessLatency: time.Hour}, nil, true, 0, 1, 3 * ms},
		{"link is per pair", NetConfig{AccessLatency: 2 * ms}, nil, true, 0, 2, 4 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, n, k := newTestNet(t, tt.cfg)
			for range 3 {
				n.AddNode(0, 0)
			}
			for i, d := range tt.access {
				if err := n.SetAccessLatency(NodeID(i), d); err != nil {
					t.Fatal(err)
				}
			}
			if tt.link {
				if err := n.SetLink(0, 1, 3*ms, 0); err != nil {
					t.Fatal(err)
				}
			}
			n.Send(tt.from, tt.to, 1, nil, k.deliver)
			s.Run()
			if len(k.got) != 1 || k.got[0].at != tt.wantLat {
				t.Errorf("got %v, want one delivery at %v", k.got, tt.wantLat)
			}
		})
	}
}

func TestSetLinkErrors(t *testing.T) {
	tests := []struct {
		name    string
		a, b    NodeID
		latency time.Duration
		loss    float64
		wantErr bool
	}{
		{"valid", 0, 1, time.Millisecond, 0.5, false},
		{"self link", 1, 1, 0, 1, false},
		{"unknown node", 0, 2, 0, 0, true},
		{"negative node", -1, 0, 0, 0, true},
		{"negative latency", 0, 1, -1, 0, true},
		{"loss above one", 0, 1, 0, 1.5, true},
		{"negative loss", 0, 1, 0, -0.1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, n, _ := newTestNet(t, NetConfig{})
			n.AddNode(0, 0)
			n.AddNode(0, 0)
			err := n.SetLink(tt.a, tt.b, tt.latency, tt.loss)
			if (err != nil) != tt.wantErr {
				t.Errorf("got error %v, want error: %v", err, tt.wantErr)
			}
		})
	}
}

func TestNetConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     NetConfig
		wantErr bool
	}{
		{"zero", NetConfig{}, false},
		{"full", NetConfig{Seed: 9, Loss: 1, AccessLatency: time.Second}, false},
		{"bad loss", NetConfig{Loss: 2}, true},
		{"negative access", NetConfig{AccessLatency: -time.Second}, true},
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
func lossTrace(t *testing.T, seed uint64, loss float64) (*Network, []delivery) {
	t.Helper()
	s, n, k := newTestNet(t, NetConfig{Seed: seed, Loss: loss, AccessLatency: time.Millisecond})
	a := n.AddNode(1e6, 0)
	b := n.AddNode(0, 1e6)
	for i := range 10000 {
		n.Send(a, b, 100, i, k.deliver)
	}
	s.Run()
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
	const ms = time.Millisecond
	tests := []struct {
		name      string
		remove    int           // index of the node removed
		removeAt  time.Duration // when it is removed
		want      []delivery    // payload is the index of the send
		wantDrops [3]int64      // BytesDropped per node
	}{
		// Node 0 sends 100 B to 1 and to 2 at 0; node 1 sends 100 B to 2 at 0.
		// Node 0's uplink takes 100 ms per message, node 2's downlink 50 ms,
		// latency is 10 ms: 0 leaves at 100 and arrives at 110; 1 leaves at 200,
		// reaches the downlink at 210 and arrives at 260; 2 reaches the
		// downlink at 10 and arrives at 60.
		{"none removed", -1, 0, []delivery{{2, 60 * ms}, {0, 110 * ms}, {1, 260 * ms}}, [3]int64{}},
		{"receiver, messages in uplink and downlink", 2, 50 * ms, []delivery{{0, 110 * ms}}, [3]int64{100, 100, 0}},
		{"receiver, message in downlink", 2, 230 * ms, []delivery{{2, 60 * ms}, {0, 110 * ms}}, [3]int64{100, 0, 0}},
		{"sender, messages in flight and uplink", 0, 105 * ms, []delivery{{2, 60 * ms}}, [3]int64{200, 0, 0}},
		{"sender, message in flight", 0, 205 * ms, []delivery{{2, 60 * ms}, {0, 110 * ms}}, [3]int64{100, 0, 0}},
		{"after all deliveries", 2, time.Second, []delivery{{2, 60 * ms}, {0, 110 * ms}, {1, 260 * ms}}, [3]int64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, n, k := newTestNet(t, NetConfig{AccessLatency: 5 * ms})
			ids := []NodeID{n.AddNode(1000, 0), n.AddNode(0, 0), n.AddNode(0, 2000)}
			n.Send(ids[0], ids[1], 100, 0, k.deliver)
			n.Send(ids[0], ids[2], 100, 1, k.deliver)
			n.Send(ids[1], ids[2], 100, 2, k.deliver)
			if tt.remove >= 0 {
				s.After(tt.removeAt, func() { n.RemoveNode(ids[tt.remove]) })
			}
			s.Run()
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
	s, n, k := newTestNet(t, NetConfig{})
	a := n.AddNode(0, 0)
	b := n.AddNode(0, 0)
	n.RemoveNode(a)
	n.RemoveNode(a)
	n.Send(a, b, 10, nil, k.deliver)
	s.Run()
	if len(k.got) != 0 || n.Stats(a) != (NodeStats{}) {
		t.Errorf("got %d deliveries and stats %+v, want none", len(k.got), n.Stats(a))
	}
	if n.Alive(a) || !n.Alive(b) || n.Alive(2) || n.Alive(-1) {
		t.Errorf("got Alive = %v %v %v %v, want false true false false",
			n.Alive(a), n.Alive(b), n.Alive(2), n.Alive(-1))
	}
}

// TestConservation checks sent = received + dropped under random traffic,
// loss and churn, once the network has drained.
func TestConservation(t *testing.T) {
	s, n, _ := newTestNet(t, NetConfig{Seed: 3, Loss: 0.05, AccessLatency: time.Millisecond})
	rng := rand.New(rand.NewPCG(5, 6))
	for range 50 {
		n.AddNode(rng.Int64N(1e6), rng.Int64N(2e6))
	}
	for i := range 5000 {
		from, to := NodeID(rng.IntN(50)), NodeID(rng.IntN(50))
		s.After(time.Duration(i)*time.Millisecond, func() { n.Send(from, to, rng.IntN(1500), nil, nil) })
	}
	for i := range 10 {
		s.After(time.Duration(i)*400*time.Millisecond, func() { n.RemoveNode(NodeID(i * 3)) })
	}
	s.Run()
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
	if len(n.msgs) == 0 || len(n.freeMsgs) != len(n.msgs) {
		t.Errorf("got %d free of %d message slots, want all free", len(n.freeMsgs), len(n.msgs))
	}
}

package swarm

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shoal-p2p/shoal/internal/live"
	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/wire"
)

func TestLiveConfigValidation(t *testing.T) {
	pub := ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)
	ch := live.ChannelID(pub, "c")
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"viewer", Config{Live: &LiveConfig{Channel: ch, Key: pub}}, true},
		{"swarm equals channel", Config{Swarm: ch, Live: &LiveConfig{Channel: ch, Key: pub}}, true},
		{"manifest", Config{Manifest: testManifest(1, 1024), Live: &LiveConfig{Channel: ch, Key: pub}}, false},
		{"other swarm", Config{Swarm: piece.ID{1}, Live: &LiveConfig{Channel: ch, Key: pub}}, false},
		{"no channel", Config{Live: &LiveConfig{Key: pub}}, false},
		{"short key", Config{Live: &LiveConfig{Channel: ch, Key: pub[:5]}}, false},
		{"negative window", Config{Live: &LiveConfig{Channel: ch, Key: pub, WindowSegments: -1}}, false},
		{"huge window", Config{Live: &LiveConfig{Channel: ch, Key: pub, WindowSegments: maxWindowSegments + 1}}, false},
		{"negative latency", Config{Live: &LiveConfig{Channel: ch, Key: pub, TargetLatency: -time.Second}}, false},
		{"negative push", Config{Live: &LiveConfig{Channel: ch, Key: pub, PushPeers: -1}}, false},
	}
	for _, tt := range tests {
		e, err := New(tt.cfg)
		if (err == nil) != tt.ok {
			t.Errorf("%s: New: got error %v, want ok=%t", tt.name, err, tt.ok)
			continue
		}
		if err != nil && !errors.Is(err, ErrConfig) {
			t.Errorf("%s: got error %v, want one wrapping ErrConfig", tt.name, err)
		}
		if tt.ok {
			lc := e.cfg.Live
			if lc.WindowSegments != DefaultWindowSegments || lc.TargetLatency != DefaultTargetLatency || lc.PushPeers != DefaultPushPeers || e.cfg.Swarm != ch {
				t.Errorf("%s: defaults %+v swarm %s, want window %d latency %v push %d swarm %s", tt.name, lc, e.cfg.Swarm,
					DefaultWindowSegments, DefaultTargetLatency, DefaultPushPeers, ch)
			}
		}
	}
}

// liveViewer returns a harness and a lone viewer engine "v" connected to
// the listed peers (which exist only as names).
func liveViewer(t *testing.T, peers ...PeerID) (*lharness, *Engine) {
	h := newLiveHarness(t, 40<<10)
	e := newTestEngine(t, h.liveCfg(false, 0, 1))
	for _, p := range peers {
		e.AddPeer(p, epoch)
	}
	e.Ready()
	return h, e
}

func TestLiveBadAnnouncementBans(t *testing.T) {
	h, _ := liveViewer(t)
	good := h.announcement(0)
	otherPriv := ed25519.NewKeyFromSeed(append(make([]byte, 31), 1))
	forged := h.announcement(0)
	if err := forged.Sign(otherPriv); err != nil {
		t.Fatal(err)
	}
	foreign := h.announcement(0)
	foreign.Channel = piece.ID{9}
	if err := foreign.Sign(h.priv); err != nil {
		t.Fatal(err)
	}
	tampered := good.Append(nil)
	tampered[40] ^= 1 // inside the sequence number
	tests := []struct {
		name string
		raw  []byte
	}{
		{"wrong key", forged.Append(nil)},
		{"tampered", tampered},
		{"foreign channel", foreign.Append(nil)},
		{"truncated", good.Append(nil)[:100]},
	}
	for _, tt := range tests {
		_, e := liveViewer(t, "evil", "honest")
		e.Receive("evil", wire.Announce{Data: tt.raw}, epoch)
		acts := e.Ready()
		if !e.Banned("evil") || !hasDisconnect(acts, "evil", true) {
			t.Errorf("%s: banned=%t actions %v, want evil banned and disconnected", tt.name, e.Banned("evil"), acts)
		}
		if got := e.LiveSegments(0); len(got) != 0 {
			t.Errorf("%s: %d segments stored, want 0", tt.name, len(got))
		}
		if got := sentTo[wire.Announce](acts, "honest"); len(got) != 0 {
			t.Errorf("%s: forwarded %d announcements, want 0", tt.name, len(got))
		}
		if err := e.LiveAnnounce(tt.raw, epoch); err == nil {
			t.Errorf("%s: LiveAnnounce: got nil error, want one", tt.name)
		}
	}
	_, e := liveViewer(t, "a", "b")
	e.Receive("a", wire.Announce{Data: good.Append(nil)}, epoch)
	acts := e.Ready()
	if e.Banned("a") || len(e.LiveSegments(0)) != 1 {
		t.Fatalf("valid announcement: banned=%t segments=%d, want stored", e.Banned("a"), len(e.LiveSegments(0)))
	}
	if got := len(sentTo[wire.Announce](acts, "b")); got != 1 {
		t.Errorf("forwarded to b %d times, want 1", got)
	}
	if got := len(sentTo[wire.Announce](acts, "a")); got != 0 {
		t.Errorf("echoed to its sender %d times, want 0", got)
	}
}

func hasDisconnect(acts []Action, p PeerID, ban bool) bool {
	return slices.ContainsFunc(acts, func(a Action) bool {
		d, ok := a.(Disconnect)
		return ok && d.Peer == p && d.Ban == ban
	})
}

func TestLivePushedChunkAccepted(t *testing.T) {
	h, e := liveViewer(t, "bcast", "other")
	a := h.announcement(0)
	e.Receive("bcast", wire.Announce{Data: a.Append(nil)}, epoch)
	e.Ready()
	data := h.segment(0)
	for c := range a.Chunks {
		off := live.ChunkOffset(a, c)
		e.Receive("bcast", wire.LiveData{
			ChunkAddr: wire.ChunkAddr{Sequence: 0, Chunk: uint32(c)},
			Payload:   data[off : off+int64(live.ChunkLen(a, c))],
		}, epoch)
	}
	acts := e.Ready()
	size := int64(len(data))
	if !slices.Contains(acts, Action(SegmentReady{Sequence: 0, FromPeers: size})) {
		t.Fatalf("actions %v, want SegmentReady 0/0 with %d bytes from peers", acts, size)
	}
	if got := sentTo[wire.LiveHave](acts, "other"); len(got) != 1 {
		t.Errorf("%d LiveHave relayed to other, want the %d verified chunks advertised in one", len(got), len(a.Chunks))
	}
	b, ok := e.LiveSegment(0, 0)
	if !ok || string(b) != string(data) {
		t.Errorf("LiveSegment: got ok=%t equal=%t, want the segment", ok, string(b) == string(data))
	}
	if st := e.Stats(); st.BytesFromPeers != int64(len(data)) || st.BytesWasted != 0 {
		t.Errorf("stats %+v, want %d bytes from peers and none wasted", st, len(data))
	}
}

func TestLiveHaveBadLength(t *testing.T) {
	h, e := liveViewer(t, "p")
	a := h.announcement(0)
	e.Receive("p", wire.Announce{Data: a.Append(nil)}, epoch)
	e.Ready()
	e.Receive("p", wire.LiveHave{Chunks: []byte{0xff, 0xff, 0xff}}, epoch)
	if acts := e.Ready(); !hasDisconnect(acts, "p", false) || e.Banned("p") {
		t.Errorf("actions %v, want p disconnected without a ban", acts)
	}
}

func TestLivePublishErrors(t *testing.T) {
	h := newLiveHarness(t, 40<<10)
	b := newTestEngine(t, h.liveCfg(true, 0, 1))
	v := newTestEngine(t, h.liveCfg(false, 0, 1))
	a := h.announcement(5)
	if err := v.Publish(a, h.segment(5), epoch); !errors.Is(err, ErrNotBroadcaster) {
		t.Errorf("viewer Publish: got %v, want ErrNotBroadcaster", err)
	}
	if err := b.Publish(a, h.segment(5), epoch); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	unsigned := h.announcement(6)
	unsigned.Signature = [64]byte{}
	tests := []struct {
		name string
		a    live.Announcement
		data []byte
		want string
	}{
		{"not newer", h.announcement(5), h.segment(5), "not after"},
		{"unsigned", unsigned, h.segment(6), "signature"},
		{"wrong bytes", h.announcement(6), h.segment(7), "chunk"},
		{"short bytes", h.announcement(6), h.segment(6)[1:], "bytes"},
	}
	for _, tt := range tests {
		if err := b.Publish(tt.a, tt.data, epoch); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want an error mentioning %q", tt.name, err, tt.want)
		}
	}
}

func TestLiveWindowBounded(t *testing.T) {
	const segs, window = 500, 4
	h := newLiveHarness(t, 20<<10) // two chunks per segment keeps 500 segments quick
	bc := h.liveCfg(true, 0, 1)
	bc.Live.WindowSegments = window
	h.add("bcast", bc, 0)
	ids := viewerIDs(3)
	for i, id := range ids {
		cfg := h.liveCfg(false, 0, uint64(i)+2)
		cfg.Live.WindowSegments = window
		h.add(id, cfg, 0)
	}
	h.mesh(append([]PeerID{"bcast"}, ids...)...)
	h.runSegments(segs)
	h.checkContinuity(t, 0, segs, ids...)
	for _, id := range append([]PeerID{"bcast"}, ids...) {
		n := h.nodes[id]
		if n.maxWin > window || len(n.eng.LiveSegments(0)) > window {
			t.Errorf("%s: window reached %d segments, want ≤ %d", id, n.maxWin, window)
		}
		if want := int(h.nextSeq) - window; n.evicted != want {
			t.Errorf("%s: %d Evicted actions, want %d", id, n.evicted, want)
		}
		for _, pid := range n.eng.order {
			if out := n.eng.live.fill[n.eng.peers[pid].lp.slot]; out > maxLivePipeline {
				t.Errorf("%s: peer %s has %d requests out, want ≤ %d", id, pid, out, maxLivePipeline)
			}
		}
		n.eng.live.each(func(s *liveSeg) {
			if slots := len(s.held) / s.words(); slots > len(n.eng.order) {
				t.Errorf("%s: segment %d holds state for %d peer slots, want ≤ %d peers", id, s.key.seq, slots, len(n.eng.order))
			}
		})
		if q := len(n.eng.live.up.queue); q > maxLiveQueue*len(n.eng.order) {
			t.Errorf("%s: upload queue of %d, want bounded", id, q)
		}
	}
}

func TestLiveDeterministic(t *testing.T) {
	run := func() []string {
		h, _ := liveSwarm(t, 4, lhSegSize, 2*lhRate, lhRate, 9)
		h.traceOn = true
		h.runSegments(10)
		return h.trace
	}
	a, b := run(), run()
	if len(a) == 0 {
		t.Fatal("empty trace")
	}
	if !slices.Equal(a, b) {
		for i := range min(len(a), len(b)) {
			if a[i] != b[i] {
				t.Fatalf("traces differ at action %d: %q vs %q", i, a[i], b[i])
			}
		}
		t.Fatalf("trace lengths %d and %d, want equal", len(a), len(b))
	}
}

// TestLiveLateJoinerStartsAtFirstStartable: a viewer joining a running
// channel learns the whole window; it fetches neither the segment at the
// playhead nor any other it could not play from its start on time, and
// starts with the oldest one whose deadline is at least a segment's
// duration (less liveStartSlack) away, from peers, then plays every later
// one on time.
func TestLiveLateJoinerStartsAtFirstStartable(t *testing.T) {
	const segs, join = 40, 30
	h, ids := liveSwarm(t, 4, lhSegSize, 2*lhRate, 2*lhRate, 5)
	h.runSegments(join)
	late := h.add("late", h.liveCfg(false, 2*lhRate, 99), 2*lhRate)
	h.traceOn = true
	for _, id := range append([]PeerID{"bcast"}, ids...) {
		h.connect("late", id)
	}
	// deadline(k) = epoch + k·D + latency ≥ now + D − slack
	earliest := h.now.Add(lhSegDur - liveStartSlack - lhLatency).Sub(epoch)
	first := uint64((earliest + lhSegDur - 1) / lhSegDur)
	if w := late.eng.LiveSegments(0); len(w) == 0 || w[0].Sequence+1 >= first {
		t.Fatalf("late joiner's window %v does not reach two segments behind the first startable %d; test proves nothing", w, first)
	}
	h.runSegments(segs)
	for k := range late.ready {
		if k.seq < first {
			t.Errorf("late joiner fetched segment %d before the first startable %d", k.seq, first)
		}
	}
	for _, line := range h.trace {
		if !strings.Contains(line, " late ") {
			continue
		}
		for seq := range first {
			if strings.HasSuffix(line, fmt.Sprintf("fetch-segment 0/%d", seq)) {
				t.Errorf("late joiner asked the origin for old segment %d: %s", seq, line)
			}
		}
	}
	if _, ok := late.ready[segKey{0, first}]; !ok {
		t.Fatalf("late joiner never got the first startable segment %d", first)
	}
	h.checkContinuity(t, first, segs, "late")
	t.Logf("joined at %v: segment %d ready after %v",
		h.nodes["late"].joined.Sub(epoch), first, late.ready[segKey{0, first}].Sub(late.joined))
}

// countingVerifier wraps the real checks and counts calls; it rejects
// chunk number reject of every segment.
type countingVerifier struct {
	anns, chunks int
	reject       int
}

func (v *countingVerifier) Announcement(raw []byte, key ed25519.PublicKey) (live.Announcement, error) {
	v.anns++
	return cryptoVerifier{}.Announcement(raw, key)
}

func (v *countingVerifier) Chunk(a *live.Announcement, c int, b []byte) error {
	v.chunks++
	if c == v.reject {
		return live.ErrBadChunk
	}
	return cryptoVerifier{}.Chunk(a, c, b)
}

func TestLiveVerifierDecides(t *testing.T) {
	h := newLiveHarness(t, 40<<10)
	v := &countingVerifier{reject: 1}
	cfg := h.liveCfg(false, 0, 1)
	cfg.Live.Verifier = v
	e := newTestEngine(t, cfg)
	e.AddPeer("bcast", epoch)
	a := h.announcement(0)
	e.Receive("bcast", wire.Announce{Data: a.Append(nil)}, epoch)
	data := h.segment(0)
	for c := range 2 {
		off := live.ChunkOffset(a, c)
		e.Receive("bcast", wire.LiveData{
			ChunkAddr: wire.ChunkAddr{Sequence: 0, Chunk: uint32(c)},
			Payload:   data[off : off+int64(live.ChunkLen(a, c))],
		}, epoch)
	}
	acts := e.Ready()
	if v.anns != 1 || v.chunks != 2 {
		t.Errorf("verifier saw %d announcements and %d chunks, want 1 and 2", v.anns, v.chunks)
	}
	if !hasDisconnect(acts, "bcast", true) {
		t.Errorf("actions %v, want bcast banned for the chunk the verifier rejected", acts)
	}
}

// TestLiveOriginFetchesMissingSpan: a viewer holding the first and last
// chunks of a segment asks the origin for the chunks in between only, and
// a reply of the wrong length is a failure that leaves the segment
// incomplete.
func TestLiveOriginFetchesMissingSpan(t *testing.T) {
	h, e := liveViewer(t, "p")
	a := h.announcement(0)
	data := h.segment(0)
	e.Receive("p", wire.Announce{Data: a.Append(nil)}, epoch)
	last := len(a.Chunks) - 1
	for _, c := range []int{0, last} {
		off := live.ChunkOffset(a, c)
		e.Receive("p", wire.LiveData{ChunkAddr: wire.ChunkAddr{Chunk: uint32(c)},
			Payload: data[off : off+int64(live.ChunkLen(a, c))]}, epoch)
	}
	e.Ready()
	e.RemovePeer("p", epoch)
	aim := epoch.Add(lhLatency - liveSafetyMargin)
	e.Tick(aim)
	var got []FetchSegment
	for _, act := range e.Ready() {
		if f, ok := act.(FetchSegment); ok {
			got = append(got, f)
		}
	}
	from := live.ChunkOffset(a, 1)
	want := FetchSegment{Sequence: 0, Offset: from, Length: live.ChunkOffset(a, last) - from}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("origin fetches %v, want [%v]", got, want)
	}
	e.LiveOriginData(0, 0, data[from:from+want.Length-1], aim)
	if st := e.LiveSegments(0); st[0].Ready {
		t.Fatalf("segment ready after a short origin reply, want incomplete")
	}
	e.Tick(aim.Add(time.Second))
	e.Ready()
	e.LiveOriginData(0, 0, data[from:from+want.Length], aim.Add(time.Second))
	acts := e.Ready()
	wantReady := SegmentReady{Sequence: 0, FromPeers: int64(len(data)) - want.Length, FromOrigin: want.Length}
	if !slices.Contains(acts, Action(wantReady)) {
		t.Fatalf("actions %v, want %v", acts, wantReady)
	}
}

func TestLiveEdge(t *testing.T) {
	h, e := liveViewer(t, "p")
	if got := e.LiveEdge(); !got.IsZero() {
		t.Fatalf("LiveEdge before any announcement = %v, want zero", got)
	}
	for _, seq := range []uint64{1, 0} {
		a := h.announcement(seq)
		e.Receive("p", wire.Announce{Data: a.Append(nil)}, epoch)
	}
	if got, want := e.LiveEdge(), epoch.Add(2*lhSegDur); !got.Equal(want) {
		t.Errorf("LiveEdge = %v, want the end of segment 1, %v", got, want)
	}
	if seq, ok := e.LiveNewest(0); !ok || seq != 1 {
		t.Errorf("LiveNewest(0) = %d, %t, want 1, true", seq, ok)
	}
	if seq, ok := e.LiveNewest(1); ok {
		t.Errorf("LiveNewest(1) = %d, true for a rendition never announced", seq)
	}
}

// TestLiveMapSchedulesNewChunks checks the schedule after a chunk map: the
// chunks it newly shows are requested of its sender, and a chunk already
// requested of another peer is not asked twice.
func TestLiveMapSchedulesNewChunks(t *testing.T) {
	h, e := liveViewer(t, "p", "q")
	a := h.announcement(0)
	if len(a.Chunks) < 2 {
		t.Fatalf("segment of %d chunks, want at least 2", len(a.Chunks))
	}
	e.Receive("p", wire.Announce{Data: a.Append(nil)}, epoch)
	e.Ready()
	first := piece.NewBitfield(len(a.Chunks))
	first.Set(0)
	e.Receive("p", wire.LiveHave{Chunks: first.Bytes()}, epoch)
	if got := sentTo[wire.LiveRequest](e.Ready(), "p"); len(got) != 1 || got[0].Chunk != 0 {
		t.Fatalf("requests to p after its map of chunk 0: %v, want chunk 0", got)
	}
	both := piece.NewBitfield(len(a.Chunks))
	both.Set(0)
	both.Set(1)
	e.Receive("q", wire.LiveHave{Chunks: both.Bytes()}, epoch)
	acts := e.Ready()
	if got := sentTo[wire.LiveRequest](acts, "q"); len(got) != 1 || got[0].Chunk != 1 {
		t.Errorf("requests to q after its map of chunks 0 and 1: %v, want chunk 1 only", got)
	}
	if got := sentTo[wire.LiveRequest](acts, "p"); len(got) != 0 {
		t.Errorf("%d more requests to p, want none", len(got))
	}
}

// TestLiveRejectAsksElsewhere checks the schedule after a refused request:
// the chunk goes at once to another peer holding it, and the busy peer is
// left alone.
func TestLiveRejectAsksElsewhere(t *testing.T) {
	h, e := liveViewer(t, "p", "q")
	a := h.announcement(0)
	e.Receive("p", wire.Announce{Data: a.Append(nil)}, epoch)
	e.Ready()
	one := piece.NewBitfield(len(a.Chunks))
	one.Set(0)
	e.Receive("p", wire.LiveHave{Chunks: one.Bytes()}, epoch)
	if got := sentTo[wire.LiveRequest](e.Ready(), "p"); len(got) != 1 {
		t.Fatalf("requests to p: %v, want chunk 0", got)
	}
	// q holds chunk 0 too, but it is asked of p already.
	e.Receive("q", wire.LiveHave{Chunks: one.Bytes()}, epoch)
	if got := sentTo[wire.LiveRequest](e.Ready(), "q"); len(got) != 0 {
		t.Fatalf("requests to q while p has chunk 0 asked: %v, want none", got)
	}
	later := epoch.Add(100 * time.Millisecond)
	e.Receive("p", wire.LiveReject{ChunkAddr: wire.ChunkAddr{Chunk: 0}, Reason: wire.RejectTooMany}, later)
	acts := e.Ready()
	if got := sentTo[wire.LiveRequest](acts, "q"); len(got) != 1 || got[0].Chunk != 0 {
		t.Errorf("requests to q after p refused chunk 0: %v, want chunk 0", got)
	}
	if got := sentTo[wire.LiveRequest](acts, "p"); len(got) != 0 {
		t.Errorf("requests to busy p: %v, want none", got)
	}
}

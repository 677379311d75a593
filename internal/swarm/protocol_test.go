package swarm

import (
	"testing"
	"time"

	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/wire"
)

func TestNewValidates(t *testing.T) {
	m := testManifest(4, 16<<10)
	bad := testManifest(4, 16<<10)
	bad.Pieces = bad.Pieces[:3]
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"manifest", Config{Manifest: m}, true},
		{"swarm only", Config{Swarm: piece.ID{1}}, true},
		{"nothing", Config{}, false},
		{"have without manifest", Config{Swarm: piece.ID{1}, Have: piece.NewBitfield(4)}, false},
		{"have wrong length", Config{Manifest: m, Have: piece.NewBitfield(5)}, false},
		{"piece count mismatch", Config{Manifest: bad}, false},
		{"huge block", Config{Manifest: m, BlockSize: MaxBlockSize + 1}, false},
		{"negative slots", Config{Manifest: m, UploadSlots: -1}, false},
	}
	for _, tt := range tests {
		_, err := New(tt.cfg)
		if (err == nil) != tt.ok {
			t.Errorf("%s: got err %v, want ok=%t", tt.name, err, tt.ok)
		}
	}
}

func TestServeRequests(t *testing.T) {
	have := piece.NewBitfield(4)
	have.Set(0)
	e := newTestEngine(t, Config{Manifest: testManifest(4, 16<<10), Have: have, Seed: 1})
	e.AddPeer("a", epoch)
	e.Receive("a", wire.Request{Index: 0, Begin: 0, Length: 1024}, epoch)
	if got := sentTo[wire.Reject](e.Ready(), "a"); len(got) != 1 || got[0].Reason != wire.RejectChoked {
		t.Fatalf("choked request: got %v, want Reject Choked", got)
	}
	e.Receive("a", wire.Bitfield{Bits: piece.NewBitfield(4).Bytes()}, epoch)
	e.Receive("a", wire.Interested{}, epoch)
	if got := sentTo[wire.Unchoke](e.Ready(), "a"); len(got) != 1 {
		t.Fatalf("got %d Unchoke after Interested with free slots, want 1", len(got))
	}
	tests := []struct {
		req    wire.Request
		reason uint8 // 0: served
	}{
		{wire.Request{Index: 0, Begin: 0, Length: 16 << 10}, 0},
		{wire.Request{Index: 0, Begin: 8 << 10, Length: 8 << 10}, 0},
		{wire.Request{Index: 1, Begin: 0, Length: 1024}, wire.RejectNotHave},
		{wire.Request{Index: 4, Begin: 0, Length: 1024}, wire.RejectBadRange},
		{wire.Request{Index: 0, Begin: 16 << 10, Length: 1}, wire.RejectBadRange},
		{wire.Request{Index: 0, Begin: 0, Length: 0}, wire.RejectBadRange},
		{wire.Request{Index: 0, Begin: 0xffffffff, Length: 0xffffffff}, wire.RejectBadRange},
	}
	for _, tt := range tests {
		e.Receive("a", tt.req, epoch)
		acts := e.Ready()
		if tt.reason == 0 {
			if len(acts) != 1 || acts[0] != (Serve{Peer: "a", Req: tt.req}) {
				t.Errorf("%+v: got %v, want Serve", tt.req, acts)
			}
			continue
		}
		if got := sentTo[wire.Reject](acts, "a"); len(got) != 1 || got[0].Reason != tt.reason {
			t.Errorf("%+v: got %v, want Reject reason %d", tt.req, got, tt.reason)
		}
	}
	if got, want := e.Stats().BytesUploaded, int64(24<<10); got != want {
		t.Errorf("got %d bytes uploaded, want %d", got, want)
	}
}

func TestServeTooMany(t *testing.T) {
	e := newTestEngine(t, Config{Manifest: testManifest(1, 16<<10), Have: piece.FullBitfield(1)})
	e.AddPeer("a", epoch)
	e.Receive("a", wire.Interested{}, epoch)
	e.Ready()
	req := wire.Request{Index: 0, Begin: 0, Length: 1}
	for i := 0; i < maxPendingServes; i++ {
		e.Receive("a", req, epoch)
	}
	e.Ready()
	e.Receive("a", req, epoch)
	if got := sentTo[wire.Reject](e.Ready(), "a"); len(got) != 1 || got[0].Reason != wire.RejectTooMany {
		t.Errorf("got %v, want Reject TooMany", got)
	}
	e.Tick(epoch.Add(tickStep))
	e.Ready()
	e.Receive("a", req, epoch)
	if got := e.Ready(); len(got) != 1 {
		t.Errorf("after Tick got %v, want a Serve", got)
	}
}

func TestProtocolViolations(t *testing.T) {
	tests := []struct {
		name       string
		msg        wire.Message
		disconnect bool
		wasted     int64
	}{
		{"short bitfield", wire.Bitfield{Bits: []byte{}}, true, 0},
		{"spare bits", wire.Bitfield{Bits: []byte{0xff, 0xff}}, true, 0},
		{"have out of range", wire.Have{Index: 12}, true, 0},
		{"unrequested data", wire.Data{Index: 0, Begin: 0, Payload: make([]byte, 100)}, false, 100},
		{"data out of range", wire.Data{Index: 99, Begin: 7, Payload: make([]byte, 3)}, false, 3},
		{"stray reject", wire.Reject{Index: 99, Reason: 77}, false, 0},
		{"stray cancel", wire.Cancel{Index: 99}, false, 0},
		{"stray manifest part", wire.Manifest{Total: 5, Offset: 9}, false, 0},
		{"manifest request past end", wire.ManifestRequest{Offset: 1 << 30}, false, 0},
		{"handshake", wire.Handshake{}, false, 0},
		{"peers", wire.Peers{}, false, 0},
		{"nil", nil, false, 0},
	}
	for _, tt := range tests {
		e := newTestEngine(t, Config{Manifest: testManifest(10, 16<<10)})
		e.AddPeer("a", epoch)
		e.Ready()
		e.Receive("a", tt.msg, epoch)
		acts := e.Ready()
		gotDisc := len(acts) > 0 && acts[0] == Disconnect{Peer: "a", Reason: acts[0].(Disconnect).Reason}
		if tt.disconnect {
			if !gotDisc || e.Stats().Peers != 0 || e.Banned("a") {
				t.Errorf("%s: got %v, want a Disconnect without ban", tt.name, acts)
			}
		} else if len(acts) != 0 {
			t.Errorf("%s: got %v, want no actions", tt.name, acts)
		}
		if got := e.Stats().BytesWasted; got != tt.wasted {
			t.Errorf("%s: got %d wasted, want %d", tt.name, got, tt.wasted)
		}
	}
}

func TestFailedPieceSingleSourceBanned(t *testing.T) {
	e := newTestEngine(t, Config{Manifest: testManifest(2, 16<<10), BlockSize: 8 << 10})
	e.AddPeer("a", epoch)
	e.Receive("a", fullBits(2), epoch)
	e.Receive("a", wire.Unchoke{}, epoch)
	reqs := sentTo[wire.Request](e.Ready(), "a")
	for _, r := range reqs[:2] {
		e.Receive("a", wire.Data{Index: r.Index, Begin: r.Begin, Payload: make([]byte, r.Length)}, epoch)
	}
	e.Ready()
	e.PieceVerified(int(reqs[0].Index), false, epoch)
	acts := e.Ready()
	if len(acts) == 0 || acts[0] != (Disconnect{Peer: "a", Ban: true, Reason: "sent a piece that failed verification"}) {
		t.Fatalf("got %v, want a banning Disconnect", acts)
	}
	if !e.Banned("a") || e.Stats().Peers != 0 {
		t.Errorf("got banned=%t peers=%d, want banned and removed", e.Banned("a"), e.Stats().Peers)
	}
}

// TestSmartBan: a piece assembled from two peers fails; neither is banned
// on suspicion alone, but when the piece verifies later the peer whose block
// differed is banned and the honest one is not.
func TestSmartBan(t *testing.T) {
	e := newTestEngine(t, Config{Manifest: testManifest(1, 16<<10), BlockSize: 8 << 10})
	for _, p := range []PeerID{"bad", "good"} {
		e.AddPeer(p, epoch)
		e.Receive(p, fullBits(1), epoch)
	}
	e.Receive("bad", wire.Unchoke{}, epoch)
	e.Receive("good", wire.Unchoke{}, epoch)
	e.Ready()
	good := make([]byte, 8<<10)
	e.Receive("bad", wire.Data{Index: 0, Begin: 0, Payload: flip(good)}, epoch)
	e.Receive("good", wire.Data{Index: 0, Begin: 8 << 10, Payload: good}, epoch)
	e.Ready()
	e.PieceVerified(0, false, epoch)
	e.Ready()
	if e.Banned("bad") || e.Banned("good") {
		t.Fatalf("banned after one mixed failure, want suspicion only")
	}
	// Both blocks requested again; now "good" supplies both.
	e.Receive("bad", wire.Choke{}, epoch)
	e.Receive("good", wire.Data{Index: 0, Begin: 0, Payload: good}, epoch)
	e.Receive("good", wire.Data{Index: 0, Begin: 8 << 10, Payload: good}, epoch)
	e.Ready()
	e.PieceVerified(0, true, epoch)
	if !e.Banned("bad") || e.Banned("good") {
		t.Errorf("got banned bad=%t good=%t, want true false", e.Banned("bad"), e.Banned("good"))
	}
	if !e.Done() {
		t.Errorf("not done after the piece verified")
	}
}

func TestMeter(t *testing.T) {
	var m meter
	now := epoch
	for i := 0; i < 300; i++ {
		m.add(100_000, now)
		now = now.Add(100 * time.Millisecond)
		m.roll(now)
	}
	if got := m.bytesPerSec(); got < 900_000 || got > 1_100_000 {
		t.Errorf("steady 1 MB/s: got %.0f B/s", got)
	}
	m.roll(now.Add(time.Minute))
	if got := m.bytesPerSec(); got > 10_000 {
		t.Errorf("after a silent minute: got %.0f B/s, want near 0", got)
	}
}

func TestPipelineDepth(t *testing.T) {
	tests := []struct {
		rate float64
		want int
	}{{0, minPipeline}, {64 << 10 * 10, 10}, {1 << 40, maxPipeline}}
	for _, tt := range tests {
		p := newPeer("a", false)
		p.down.rate = tt.rate
		if got := p.depth(64<<10, epoch); got != tt.want {
			t.Errorf("rate %.0f: got depth %d, want %d", tt.rate, got, tt.want)
		}
	}
}

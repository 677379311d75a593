package node

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoal-p2p/shoal/internal/gateway"
	"github.com/shoal-p2p/shoal/internal/live"
)

const liveName = "test channel"

// liveSwarm is a broadcaster with a synthetic source and its viewers.
type liveSwarm struct {
	pub     ed25519.PublicKey
	b       *running
	origin  string // the broadcaster's origin base URL
	viewers []*running
}

// synthSource returns a source of the synthetic clip whose first three
// segments exist at once.
func synthSource(t *testing.T) *live.SynthSource {
	t.Helper()
	src, err := live.NewSynthSource(live.SynthConfig{Backlog: 3, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// synthChannel returns a new channel key pair and a synthetic source.
func synthChannel(t *testing.T) (ed25519.PublicKey, ed25519.PrivateKey, *live.SynthSource) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv, synthSource(t)
}

// startBroadcaster starts a broadcaster of the synthetic clip whose first
// three segments exist at once (2 s each, then one every 2 s).
func startBroadcaster(t *testing.T) *liveSwarm {
	t.Helper()
	pub, priv, src := synthChannel(t)
	b := start(t, Config{Live: &LiveConfig{Name: liveName, Key: pub, Signer: priv, Source: src, ChunkSize: 16 << 10}})
	return &liveSwarm{pub: pub, b: b, origin: "http://" + b.HTTPAddr().String()}
}

// addViewer starts a viewer that knows the broadcaster and every earlier
// viewer as bootstrap peers, and the origin.
func (s *liveSwarm) addViewer(t *testing.T, key ed25519.PublicKey, log *slog.Logger) *running {
	t.Helper()
	peers := tcpAddrs(s.b.Addrs())
	for _, v := range s.viewers {
		peers = append(peers, tcpAddrs(v.Addrs())...)
	}
	v := start(t, Config{Peers: peers, Logger: log, Live: &LiveConfig{Name: liveName, Key: key, Origins: []string{s.origin}}})
	s.viewers = append(s.viewers, v)
	return v
}

func tcpAddrs(addrs []string) []string {
	var out []string
	for _, a := range addrs {
		if strings.Contains(a, "/tcp/") {
			out = append(out, a)
		}
	}
	return out
}

// get returns the status and body of a GET.
func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, body
}

// waitFor polls cond until it holds; it fails the test after testTimeout.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	guard := time.After(testTimeout)
	for !cond() {
		select {
		case <-tick.C:
		case <-guard:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func gatewayURL(v *running) string { return "http://" + v.HTTPAddr().String() }

// hasSegment reports whether the viewer's gateway serves segment seq.
func hasSegment(t *testing.T, v *running, seq uint64) bool {
	code, _ := get(t, fmt.Sprintf("%s/live/0/%d.ts", gatewayURL(v), seq))
	return code == http.StatusOK
}

// sameSegments checks that every segment in seqs the viewer serves has the
// bytes the broadcaster's origin serves, and that it serves them all.
func (s *liveSwarm) sameSegments(t *testing.T, v *running, seqs ...uint64) {
	t.Helper()
	for _, seq := range seqs {
		path := fmt.Sprintf("/live/0/%d.ts", seq)
		code, got := get(t, gatewayURL(v)+path)
		wcode, want := get(t, s.origin+path)
		if code != http.StatusOK || wcode != http.StatusOK {
			t.Fatalf("segment %d: viewer answered %d, origin %d", seq, code, wcode)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("segment %d: viewer's %d bytes differ from the broadcaster's %d", seq, len(got), len(want))
		}
	}
}

// listed returns the sequence numbers a media playlist lists.
func listed(playlist string) []uint64 {
	var out []uint64
	for _, line := range strings.Split(playlist, "\n") {
		var seq uint64
		if _, err := fmt.Sscanf(line, "%d.ts", &seq); err == nil {
			out = append(out, seq)
		}
	}
	return out
}

func TestLiveViewersGetBroadcast(t *testing.T) {
	s := startBroadcaster(t)
	for range 3 {
		s.addViewer(t, s.pub, nil)
	}
	const target = 3 // the first segment published after the viewers joined
	var fromPeers int64
	for i, v := range s.viewers {
		waitFor(t, fmt.Sprintf("viewer %d to hold segment %d", i, target), func() bool { return hasSegment(t, v, target) })
		var media string
		waitFor(t, fmt.Sprintf("viewer %d's media playlist", i), func() bool {
			code, body := get(t, gatewayURL(v)+"/live/0/index.m3u8")
			media = string(body)
			return code == http.StatusOK && len(listed(media)) > 0
		})
		code, master := get(t, gatewayURL(v)+"/live/master.m3u8")
		if code != http.StatusOK || !strings.Contains(string(master), "0/index.m3u8") {
			t.Fatalf("viewer %d: master playlist %d:\n%s", i, code, master)
		}
		s.sameSegments(t, v, listed(media)...)
		s.sameSegments(t, v, target)
		st := v.LiveStats()
		fromPeers += st.BytesFromPeers
		t.Logf("viewer %d: %+v", i, st)
	}
	if fromPeers == 0 {
		t.Fatal("no viewer received bytes from peers")
	}
	code, body := get(t, gatewayURL(s.viewers[0])+"/api/v1/stats")
	if code != http.StatusOK || !strings.Contains(string(body), `"bytes_from_peers"`) {
		t.Fatalf("stats %d: %s", code, body)
	}
	if st := s.b.LiveStats(); st.Published < target+1 {
		t.Fatalf("broadcaster published %d segments, want at least %d", st.Published, target+1)
	}
}

func TestLiveBroadcasterCutFromPeers(t *testing.T) {
	s := startBroadcaster(t)
	for range 3 {
		s.addViewer(t, s.pub, nil)
	}
	for i, v := range s.viewers {
		waitFor(t, fmt.Sprintf("viewer %d to hold segment 3", i), func() bool { return hasSegment(t, v, 3) })
	}
	// Cut the broadcaster from the swarm: no new streams, every connection
	// closed. Its HTTP origin keeps serving.
	s.b.host.RemoveStreamHandler(protocolID)
	for _, p := range s.b.host.Network().Peers() {
		s.b.host.Network().ClosePeer(p)
	}
	waitFor(t, "the broadcaster to have no peer", func() bool { return s.b.LiveStats().Peers == 0 })
	uploaded := s.b.LiveStats().BytesUploaded
	var originBefore int64
	for _, v := range s.viewers {
		originBefore += v.LiveStats().BytesFromOrigin
	}
	next := uint64(s.b.LiveStats().Published) // sequences start at 0
	for i, v := range s.viewers {
		for _, seq := range []uint64{next, next + 1} {
			waitFor(t, fmt.Sprintf("viewer %d to hold segment %d after the cut", i, seq), func() bool { return hasSegment(t, v, seq) })
		}
		s.sameSegments(t, v, next, next+1)
	}
	var originAfter int64
	for i, v := range s.viewers {
		st := v.LiveStats()
		originAfter += st.BytesFromOrigin
		t.Logf("viewer %d: %+v", i, st)
	}
	if originAfter <= originBefore {
		t.Fatalf("viewers took %d bytes from the origin after the cut, want some", originAfter-originBefore)
	}
	if got := s.b.LiveStats().BytesUploaded; got != uploaded {
		t.Fatalf("broadcaster uploaded %d bytes to peers after the cut", got-uploaded)
	}
}

// warnings is a slog handler that records warning messages and signals
// the first one.
type warnings struct {
	once  sync.Once
	first chan struct{}
	mu    sync.Mutex // guards msgs
	msgs  []string
}

func (w *warnings) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (w *warnings) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
	w.mu.Lock()
	w.msgs = append(w.msgs, b.String())
	w.mu.Unlock()
	w.once.Do(func() { close(w.first) })
	return nil
}
func (w *warnings) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *warnings) WithGroup(string) slog.Handler      { return w }

func TestLiveWrongKeyRejected(t *testing.T) {
	s := startBroadcaster(t)
	wrong, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	// A link whose ID is the channel's but whose key is not: refused.
	_, err = New(Config{Swarm: live.ChannelID(s.pub, liveName), Live: &LiveConfig{Name: liveName, Key: wrong}})
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "wrong key") {
		t.Fatalf("New with a mismatched key: got %v, want ErrConfig naming the wrong key", err)
	}
	// A viewer of the wrong key's channel: every announcement is rejected.
	w := &warnings{first: make(chan struct{})}
	v := s.addViewer(t, wrong, slog.New(w))
	select {
	case <-w.first:
	case <-time.After(testTimeout):
		t.Fatal("no warning logged")
	}
	w.mu.Lock()
	msg := w.msgs[0]
	w.mu.Unlock()
	if !strings.Contains(msg, "rejected an announcement") {
		t.Fatalf("first warning %q, want a rejected announcement", msg)
	}
	if st := v.LiveStats(); st.Ready != 0 || st.Rejected == 0 || v.live.view.readyCount() != 0 {
		t.Fatalf("viewer with the wrong key: %+v, %d segments held", st, v.live.view.readyCount())
	}
	if code, _ := get(t, gatewayURL(v)+"/live/0/0.ts"); code != http.StatusNotFound {
		t.Fatalf("segment 0 from the wrong-key viewer: status %d, want 404", code)
	}
}

// TestLiveTargetLatencyDefaultsAgree: the gateway keeps its own copy of
// the default target latency (it imports no engine), which must stay the
// engine's, the one a node uses.
func TestLiveTargetLatencyDefaultsAgree(t *testing.T) {
	if gateway.DefaultTargetLatency != DefaultLiveTargetLatency {
		t.Errorf("gateway.DefaultTargetLatency %v, node's (the engine's) %v", gateway.DefaultTargetLatency, DefaultLiveTargetLatency)
	}
}

func TestLiveConfigErrors(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	other, _, _ := ed25519.GenerateKey(nil)
	src, _ := live.NewSynthSource(live.SynthConfig{})
	tests := []struct {
		name string
		lc   LiveConfig
	}{
		{"no key", LiveConfig{}},
		{"signer without source", LiveConfig{Key: pub, Signer: priv}},
		{"source without signer", LiveConfig{Key: pub, Source: src}},
		{"signer of another key", LiveConfig{Key: other, Signer: priv, Source: src}},
		{"tiny chunks", LiveConfig{Key: pub, ChunkSize: 100}},
		{"bad origin", LiveConfig{Key: pub, Origins: []string{"ftp://x"}}},
	}
	for _, tc := range tests {
		lc := tc.lc
		if _, err := New(Config{Live: &lc}); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: got %v, want ErrConfig", tc.name, err)
		}
	}
}

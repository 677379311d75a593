package live

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// guard bounds every wait of a test; it only fires when a test is broken.
const guard = 10 * time.Second

// fakeClock is a manual clock: the source asks for a wait through After, and
// the test decides when it ends.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time // guarded by mu
	waits chan fakeWait
}

type fakeWait struct {
	d    time.Duration
	fire chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), waits: make(chan fakeWait)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	w := fakeWait{d: d, fire: make(chan time.Time, 1)}
	c.waits <- w
	return w.fire
}

// lockedBuffer collects log output from the source goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer // guarded by mu
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness runs a source with a fake clock and lets the test step it.
type harness struct {
	t    *testing.T
	clk  *fakeClock
	log  *lockedBuffer
	out  chan Segment
	done chan error
	wait *fakeWait // the source is idle, waiting for this
}

type runner interface {
	Run(ctx context.Context, out chan<- Segment) error
}

func newHarness(t *testing.T) *harness {
	return &harness{t: t, clk: newFakeClock(), log: &lockedBuffer{}, out: make(chan Segment), done: make(chan error, 1)}
}

func (h *harness) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(h.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func (h *harness) start(src runner) {
	ctx, cancel := context.WithCancel(context.Background())
	h.t.Cleanup(func() {
		cancel()
		select {
		case <-h.done:
		case <-time.After(guard):
			h.t.Errorf("Run did not return after cancel")
		}
	})
	go func() { h.done <- src.Run(ctx, h.out) }()
}

// next returns the next emitted segment.
func (h *harness) next() Segment {
	h.t.Helper()
	select {
	case s := <-h.out:
		return s
	case err := <-h.done:
		h.done <- err
		h.t.Fatalf("Run returned %v, want another segment", err)
	case w := <-h.clk.waits:
		h.t.Fatalf("source went idle (wait %v), want another segment", w.d)
	case <-time.After(guard):
		h.t.Fatalf("no segment within %v", guard)
	}
	return Segment{}
}

// idle waits until the source has finished its poll and asks to wait; it
// fails on any segment emitted meanwhile. It returns the requested wait.
func (h *harness) idle() time.Duration {
	h.t.Helper()
	select {
	case w := <-h.clk.waits:
		h.wait = &w
		return w.d
	case s := <-h.out:
		h.t.Fatalf("unexpected segment %d (%s), want the source idle", s.Sequence, s.URI)
	case err := <-h.done:
		h.done <- err
		h.t.Fatalf("Run returned %v, want the source idle", err)
	case <-time.After(guard):
		h.t.Fatalf("source not idle within %v", guard)
	}
	return 0
}

// fire advances the clock by the wait the source asked for and ends it,
// starting the next poll.
func (h *harness) fire() {
	h.t.Helper()
	if h.wait == nil {
		h.idle()
	}
	h.clk.mu.Lock()
	h.clk.now = h.clk.now.Add(h.wait.d)
	now := h.clk.now
	h.clk.mu.Unlock()
	h.wait.fire <- now
	h.wait = nil
}

// result waits for Run to return.
func (h *harness) result() error {
	h.t.Helper()
	select {
	case err := <-h.done:
		h.done <- err
		return err
	case s := <-h.out:
		h.t.Fatalf("unexpected segment %d (%s), want Run to return", s.Sequence, s.URI)
	case w := <-h.clk.waits:
		h.t.Fatalf("source went idle (wait %v), want Run to return", w.d)
	case <-time.After(guard):
		h.t.Fatalf("Run did not return within %v", guard)
	}
	return nil
}

// expect reads segments and checks rendition, sequence, URI and bytes.
func (h *harness) expect(rendition uint8, seqs ...uint64) []Segment {
	h.t.Helper()
	var got []Segment
	for _, seq := range seqs {
		s := h.next()
		if s.Rendition != rendition || s.Sequence != seq {
			h.t.Fatalf("got rendition %d sequence %d (%s), want rendition %d sequence %d", s.Rendition, s.Sequence, s.URI, rendition, seq)
		}
		if want := segData(rendition, s.URI); !bytes.Equal(s.Data, want) {
			h.t.Fatalf("sequence %d: got %d bytes %q, want %q", seq, len(s.Data), trunc(s.Data), trunc(want))
		}
		got = append(got, s)
	}
	return got
}

func (h *harness) logged(substr string) bool { return strings.Contains(h.log.String(), substr) }

func trunc(b []byte) []byte { return b[:min(len(b), 32)] }

// seg describes one playlist entry.
type seg struct {
	seq  uint64
	dur  string // EXTINF value, default "2.000"
	disc bool
	pdt  string
	uri  string // default segName(seq)
}

func segName(seq uint64) string { return fmt.Sprintf("seg_%05d.ts", seq) }

// segData is the content the tests give a segment file: distinct per
// rendition and URI, and not a multiple of any chunk size.
func segData(rendition uint8, uri string) []byte {
	return []byte(strings.Repeat(fmt.Sprintf("r%d:%s;", rendition, uri), 37))
}

// mediaPlaylist renders an RFC 8216 media playlist.
func mediaPlaylist(target int, endlist bool, segs ...seg) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:%d\n", target)
	if len(segs) > 0 {
		fmt.Fprintf(&b, "#EXT-X-MEDIA-SEQUENCE:%d\n", segs[0].seq)
	}
	for _, s := range segs {
		if s.disc {
			b.WriteString("#EXT-X-DISCONTINUITY\n")
		}
		if s.pdt != "" {
			fmt.Fprintf(&b, "#EXT-X-PROGRAM-DATE-TIME:%s\n", s.pdt)
		}
		dur := s.dur
		if dur == "" {
			dur = "2.000"
		}
		fmt.Fprintf(&b, "#EXTINF:%s,\n%s\n", dur, s.uriOrDefault())
	}
	if endlist {
		b.WriteString("#EXT-X-ENDLIST\n")
	}
	return b.String()
}

func (s seg) uriOrDefault() string {
	if s.uri != "" {
		return s.uri
	}
	return segName(s.seq)
}

// segs returns entries for sequences from..to inclusive.
func segs(from, to uint64) []seg {
	var out []seg
	for q := from; q <= to; q++ {
		out = append(out, seg{seq: q})
	}
	return out
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeSegments writes the files of entries for a rendition into dir.
func writeSegments(t *testing.T, dir string, rendition uint8, entries ...seg) {
	t.Helper()
	for _, s := range entries {
		writeFile(t, filepath.Join(dir, s.uriOrDefault()), string(segData(rendition, s.uriOrDefault())))
	}
}

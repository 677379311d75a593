package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/store"
	"github.com/shoal-p2p/shoal/internal/tracker"
)

// testTimeout guards every wait in these tests; it only fires on failure.
const testTimeout = 60 * time.Second

// writeFiles creates files of pseudo-random content under dir.
func writeFiles(t *testing.T, dir string, sizes map[string]int) {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	for name, size := range sizes {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, size)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func buildManifest(t *testing.T, path string, pieceSize int64) *piece.Manifest {
	t.Helper()
	m, err := store.BuildManifest(context.Background(), path, pieceSize, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// fileAndManifest writes dir/file.bin of size random bytes and returns its
// path and manifest (pieceSize 0: the default).
func fileAndManifest(t *testing.T, dir string, size int, pieceSize int64) (string, *piece.Manifest) {
	t.Helper()
	src := filepath.Join(dir, "file.bin")
	writeFiles(t, dir, map[string]int{"file.bin": size})
	return src, buildManifest(t, src, pieceSize)
}

func startTracker(t *testing.T) string {
	t.Helper()
	srv, err := tracker.New(tracker.Config{})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return hs.URL + "/announce"
}

// running is a node whose Run goroutine the test owns.
type running struct {
	*Node
	cancel context.CancelFunc
	err    chan error
}

func start(t *testing.T, cfg Config) *running {
	t.Helper()
	if cfg.Listen == nil {
		cfg.Listen = []string{"127.0.0.1:0"}
	}
	if cfg.Logger == nil && !testing.Verbose() {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	n, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Node: n, cancel: cancel, err: make(chan error, 1)}
	go func() { r.err <- n.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop cancels the node and waits for Run to return.
func (r *running) stop(t *testing.T) error {
	r.cancel()
	select {
	case err := <-r.err:
		r.err <- err
		return err
	case <-time.After(testTimeout):
		t.Fatalf("node did not stop")
		return nil
	}
}

func waitComplete(t *testing.T, rs ...*running) {
	t.Helper()
	for i, r := range rs {
		select {
		case <-r.Completed():
		case err := <-r.err:
			r.err <- err // keep it for stop
			select {
			case <-r.Completed(): // a download without Seed returns once complete
			default:
				t.Fatalf("node %d: Run returned %v before completing", i, err)
			}
		case <-time.After(testTimeout):
			t.Fatalf("node %d: not complete after %s: %+v", i, testTimeout, r.Stats())
		}
	}
}

// sameTree fails unless every file under want exists under got with the
// same bytes, and got has nothing else.
func sameTree(t *testing.T, want, got string) {
	t.Helper()
	count := 0
	err := filepath.Walk(want, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		count++
		rel, _ := filepath.Rel(want, p)
		a, _ := os.ReadFile(p)
		b, err := os.ReadFile(filepath.Join(got, rel))
		if err != nil {
			return err
		}
		if !bytes.Equal(a, b) {
			return fmt.Errorf("%s differs", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	gotCount := 0
	filepath.Walk(got, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			gotCount++
		}
		return nil
	})
	if gotCount != count {
		t.Fatalf("got %d files under %s, want %d", gotCount, got, count)
	}
}

func TestSwarmFolderOneSeedManyDownloaders(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src", "album")
	writeFiles(t, src, map[string]int{"a.bin": 700_000, "b/c.bin": 1_300_000, "b/empty": 0, "d.txt": 12345})
	m := buildManifest(t, src, 64<<10)
	tr := startTracker(t)
	seed := start(t, Config{Manifest: m, SharePath: src, Trackers: []string{tr}})
	waitComplete(t, seed)

	var early []*running
	for i := 0; i < 4; i++ {
		early = append(early, start(t, Config{Swarm: m.ID(), OutDir: filepath.Join(dir, fmt.Sprint("out", i)), Seed: true, Trackers: []string{tr}}))
	}
	waitComplete(t, early[0])
	// The late joiner starts once another downloader holds everything.
	late := start(t, Config{Swarm: m.ID(), OutDir: filepath.Join(dir, "late"), Trackers: []string{tr}})
	waitComplete(t, append(early, late)...)
	for i, r := range append(early, late) {
		sameTree(t, src, r.FinalPath())
		if st := r.Stats(); !st.Complete || st.Have != m.Length() {
			t.Errorf("downloader %d: got stats %+v, want complete with %d bytes", i, st, m.Length())
		}
	}
	if err := late.stop(t); err != nil {
		t.Errorf("late downloader: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "late", partialDir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("staging folder left behind: %v", err)
	}
}

func TestDownloadFromPeerAddressWithoutTracker(t *testing.T) {
	dir := t.TempDir()
	src, m := fileAndManifest(t, dir, 3_000_000, 0)
	seed := start(t, Config{Manifest: m, SharePath: src})
	d := start(t, Config{Swarm: m.ID(), OutDir: filepath.Join(dir, "out"), Peers: seed.Addrs()[:1]})
	waitComplete(t, d)
	sameTree(t, filepath.Join(dir, "file.bin"), d.FinalPath())
	if got := d.Stats().BytesFromPeers; got < m.Length() {
		t.Errorf("got %d bytes from peers, want at least %d", got, m.Length())
	}
}

func TestWebSeedOnly(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "web", "file.bin")
	writeFiles(t, filepath.Join(dir, "web"), map[string]int{"file.bin": 2_500_000})
	m := buildManifest(t, src, 256<<10)
	hs := httptest.NewServer(http.FileServer(http.Dir(filepath.Join(dir, "web"))))
	defer hs.Close()
	d := start(t, Config{Manifest: m, OutDir: filepath.Join(dir, "out"), Origins: []string{hs.URL + "/file.bin"}})
	waitComplete(t, d)
	sameTree(t, src, d.FinalPath())
	if got := d.Stats().BytesFromOrigin; got != m.Length() {
		t.Errorf("got %d bytes from the web seed, want %d", got, m.Length())
	}
}

func TestResumeKeepsVerifiedPieces(t *testing.T) {
	dir := t.TempDir()
	src, m := fileAndManifest(t, dir, 4_000_000, 64<<10)
	out := filepath.Join(dir, "out")
	// A first run that stops part way: half the pieces staged.
	stagePieces(t, out, m, src, m.NumPieces()/2)
	seed := start(t, Config{Manifest: m, SharePath: src})
	d := start(t, Config{Manifest: m, OutDir: out, Peers: seed.Addrs()[:1]})
	if got, want := d.Stats().PiecesHave, m.NumPieces()/2; got != want {
		t.Errorf("resumed with %d pieces, want %d", got, want)
	}
	waitComplete(t, d)
	sameTree(t, src, d.FinalPath())
	if got, max := d.Stats().BytesFromPeers, m.Length()-int64(m.NumPieces()/2)*m.PieceSize+64<<10; got > max {
		t.Errorf("downloaded %d bytes, want at most %d (resumed pieces fetched again?)", got, max)
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		cfg  Config
	}{
		{"neither share nor out", Config{Swarm: piece.ID{1}}},
		{"no swarm", Config{OutDir: dir}},
		{"bad peer", Config{Swarm: piece.ID{1}, OutDir: dir, Peers: []string{"/ip4/1.2.3.4/tcp/1"}}},
		{"bad listen", Config{Swarm: piece.ID{1}, OutDir: dir, Listen: []string{"localhost"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := New(tt.cfg)
			if err == nil {
				n.Close()
				t.Fatalf("New succeeded, want an error")
			}
			if !errors.Is(err, ErrConfig) {
				t.Errorf("got %v, want ErrConfig", err)
			}
		})
	}
}

func TestExistingDifferentOutputRefused(t *testing.T) {
	dir := t.TempDir()
	_, m := fileAndManifest(t, dir, 200_000, 0)
	out := filepath.Join(dir, "out")
	writeFiles(t, out, map[string]int{"file.bin": 10})
	_, err := New(Config{Manifest: m, OutDir: out})
	if !errors.Is(err, ErrExists) {
		t.Fatalf("got %v, want ErrExists", err)
	}
}

func TestListenPortInUseIsAnError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	n, err := New(Config{Swarm: piece.ID{1}, OutDir: t.TempDir(), Listen: []string{ln.Addr().String()}})
	if err == nil {
		n.Close()
		t.Fatalf("New succeeded on a busy port, want an error")
	}
	if !strings.Contains(err.Error(), "in use") {
		t.Errorf("got %v, want it to say the address is in use", err)
	}
}

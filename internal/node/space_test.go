package node

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/store"
)

// smallDisk is a file system of limited capacity in front of a download's
// storage. Writes past the capacity fail with store.ErrNoSpace after
// writing what fits, as a real disk does, and its space check reports the
// capacity left. Every failed check is offered on checks.
type smallDisk struct {
	checks chan error

	mu       sync.Mutex // guards the fields below
	capacity int64      // bytes that may be written in all
	used     int64
	fillAt   int64 // when used reaches it, something else takes the rest (0: never)
}

func newSmallDisk(capacity, fillAt int64) *smallDisk {
	return &smallDisk{checks: make(chan error, 1), capacity: capacity, fillAt: fillAt}
}

// reserve takes up to n bytes of space and returns how many it got.
func (d *smallDisk) reserve(n int) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	got := int(min(int64(n), max(d.capacity-d.used, 0)))
	d.used += int64(got)
	if d.fillAt > 0 && d.used >= d.fillAt {
		d.capacity, d.fillAt = d.used, 0
	}
	return got
}

// grow makes room again.
func (d *smallDisk) grow(capacity int64) {
	d.mu.Lock()
	d.capacity = capacity
	d.mu.Unlock()
}

// check is the node's Config.SpaceCheck.
func (d *smallDisk) check(dir string, need int64) error {
	d.mu.Lock()
	free := d.capacity - d.used
	d.mu.Unlock()
	if free >= need {
		return nil
	}
	err := &store.SpaceError{Dir: dir, Need: need, Free: free}
	select {
	case d.checks <- err:
	default:
	}
	return err
}

func (d *smallDisk) wrap(s store.Storage) store.Storage { return limitedStorage{s, d} }

// limitedStorage writes through to real storage within a smallDisk's space.
type limitedStorage struct {
	store.Storage
	d *smallDisk
}

func (s limitedStorage) WriteAt(p []byte, off int64) (int, error) {
	n := s.d.reserve(len(p))
	if n > 0 {
		if k, err := s.Storage.WriteAt(p[:n], off); err != nil {
			return k, err
		}
	}
	if n < len(p) {
		return n, fmt.Errorf("test: write at %d: %w", off+int64(n), store.ErrNoSpace)
	}
	return n, nil
}

// waitPaused waits for a failed space check, then for the node to say it
// is paused.
func waitPaused(t *testing.T, r *running, d *smallDisk) Stats {
	t.Helper()
	select {
	case <-d.checks:
	case <-time.After(testTimeout):
		t.Fatalf("no failed space check after %s: %+v", testTimeout, r.Stats())
	}
	waitUntil(t, "paused in stats", func() bool { return r.Stats().Paused != "" })
	return r.Stats()
}

func TestDiskFullPausesAndResumes(t *testing.T) {
	dir := t.TempDir()
	src, m := fileAndManifest(t, dir, 3_000_000, 64<<10)
	seed := start(t, Config{Manifest: m, SharePath: src})
	out := filepath.Join(dir, "out")
	// Plenty of room at the start; after 1 MB the disk fills up.
	disk := newSmallDisk(1<<40, 1_000_000)
	d := start(t, Config{Swarm: m.ID(), OutDir: out, Peers: seed.Addrs()[:1],
		SpaceCheck: disk.check, SpacePoll: 5 * time.Millisecond, wrapStorage: disk.wrap})
	st := waitPaused(t, d, disk)
	if !strings.Contains(st.Paused, "disk full") || !strings.Contains(st.Paused, "free") {
		t.Errorf("got Paused %q, want it to say the disk is full and how much is free", st.Paused)
	}
	if st.PiecesHave >= m.NumPieces() || st.Peers == 0 {
		t.Errorf("paused: got %d of %d pieces and %d peers, want fewer pieces and the peer kept", st.PiecesHave, m.NumPieces(), st.Peers)
	}
	// Nothing is held that is not fully on disk, and the paused node
	// still serves what it holds.
	onDisk := verifyStaged(t, out, m)
	if onDisk < d.Stats().PiecesHave || onDisk == m.NumPieces() {
		t.Errorf("paused: %d pieces verify on disk, node holds %d of %d", onDisk, d.Stats().PiecesHave, m.NumPieces())
	}
	other := start(t, Config{Swarm: m.ID(), OutDir: filepath.Join(dir, "other"), Peers: d.Addrs()[:1]})
	waitUntil(t, "a piece from the paused node", func() bool { return other.Stats().PiecesHave > 0 })

	disk.grow(1 << 40)
	waitComplete(t, d)
	sameTree(t, src, d.FinalPath())
	if st := d.Stats(); st.Paused != "" {
		t.Errorf("complete: got Paused %q, want empty", st.Paused)
	}
}

func TestDiskFullAtStartWaitsForSpace(t *testing.T) {
	for _, known := range []bool{true, false} {
		t.Run(fmt.Sprintf("manifest known %v", known), func(t *testing.T) {
			dir := t.TempDir()
			src, m := fileAndManifest(t, dir, 1_500_000, 64<<10)
			seed := start(t, Config{Manifest: m, SharePath: src})
			disk := newSmallDisk(500_000, 0)
			cfg := Config{Swarm: m.ID(), OutDir: filepath.Join(dir, "out"), Peers: seed.Addrs()[:1],
				SpaceCheck: disk.check, SpacePoll: 5 * time.Millisecond, wrapStorage: disk.wrap}
			if known {
				cfg.Manifest = m
			}
			d := start(t, cfg)
			st := waitPaused(t, d, disk)
			if !strings.Contains(st.Paused, "need") {
				t.Errorf("got Paused %q, want the space needed", st.Paused)
			}
			if known && st.BytesFromPeers != 0 {
				t.Errorf("paused from the start: got %d bytes from peers, want none", st.BytesFromPeers)
			}
			disk.grow(1 << 40)
			waitComplete(t, d)
			sameTree(t, src, d.FinalPath())
		})
	}
}

// verifyStaged returns how many pieces of m verify in out's staging area.
func verifyStaged(t *testing.T, out string, m *piece.Manifest) int {
	t.Helper()
	disk, err := store.OpenDisk(filepath.Join(out, partialDir, m.ID().String()), m, true)
	if err != nil {
		t.Fatal(err)
	}
	defer disk.Close()
	have, err := store.Verify(context.Background(), m, disk, nil)
	if err != nil {
		t.Fatal(err)
	}
	return have.Count()
}

package node

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/store"
)

// stagePieces writes the first n pieces of src into out's staging area the
// way a killed download leaves them: verified pieces stored, nothing moved
// into place.
func stagePieces(t *testing.T, out string, m *piece.Manifest, src string, n int) {
	t.Helper()
	dl, err := store.OpenDownload(out, m, m.ID().String())
	if err != nil {
		t.Fatal(err)
	}
	defer dl.Close()
	content, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		off := m.PieceOffset(i)
		if _, err := dl.Storage().WriteAt(content[off:off+m.PieceLen(i)], off); err != nil {
			t.Fatal(err)
		}
	}
}

// TestResumeWithEveryPieceStaged: a download killed after its last piece
// was stored but before the content was moved into place finishes on the
// restart, with no peer to ask. The engine holds every piece from the start
// and never reports Completed; the restart once waited forever (seen in CI
// as a SIGKILLed "shoal get" whose resume never returned).
func TestResumeWithEveryPieceStaged(t *testing.T) {
	dir := t.TempDir()
	src, m := fileAndManifest(t, dir, 1_000_000, 64<<10)
	out := filepath.Join(dir, "out")
	stagePieces(t, out, m, src, m.NumPieces())
	d := start(t, Config{Manifest: m, OutDir: out})
	waitComplete(t, d)
	sameTree(t, src, d.FinalPath())
	if err := d.stop(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, partialDir)); !os.IsNotExist(err) {
		t.Errorf("staging folder left behind: %v", err)
	}
}

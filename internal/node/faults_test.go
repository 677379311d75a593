package node

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/shoal-p2p/shoal/internal/swarm"
	"github.com/shoal-p2p/shoal/internal/tracker"
)

// A tracker that goes away mid-download stops discovery only: peers that
// already met keep exchanging until every download completes.
func TestTrackerDownMidDownload(t *testing.T) {
	dir := t.TempDir()
	src, m := fileAndManifest(t, dir, 3_000_000, 64<<10)
	srv, err := tracker.New(tracker.Config{})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	tr := []string{hs.URL + "/announce"}
	// A slow seed keeps the downloads running long enough to cut the
	// tracker in their middle.
	start(t, Config{Manifest: m, SharePath: src, Trackers: tr, UploadRate: 2_000_000})
	var ds []*running
	for i := range 2 {
		ds = append(ds, start(t, Config{Swarm: m.ID(), OutDir: filepath.Join(dir, fmt.Sprint("out", i)), Seed: true, Trackers: tr}))
	}
	waitUntil(t, "every downloader to have a piece and both peers", func() bool {
		for _, d := range ds {
			if st := d.Stats(); st.PiecesHave == 0 || st.Peers < 2 {
				return false
			}
		}
		return true
	})
	hs.Close()
	for _, d := range ds {
		if d.Stats().Complete {
			t.Fatal("a download completed before the tracker went away; slow the seed down")
		}
	}
	waitComplete(t, ds...)
	for _, d := range ds {
		sameTree(t, src, d.FinalPath())
	}
}

// badWebSeed is a web seed that fails every request with a 500, or
// (hang) sends the headers of the ranged answer asked for, of content of
// size bytes, and then nothing until the test ends. Each request is signalled on asked.
func badWebSeed(t *testing.T, hang bool, size int64) (url string, asked <-chan struct{}) {
	done, ch := make(chan struct{}), make(chan struct{}, 1)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case ch <- struct{}{}:
		default:
		}
		if !hang {
			http.Error(w, "no", http.StatusInternalServerError)
			return
		}
		var first, last int64
		if _, err := fmt.Sscanf(r.Header.Get("Range"), "bytes=%d-%d", &first, &last); err != nil {
			t.Errorf("web seed: Range %q: %v", r.Header.Get("Range"), err)
		}
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", first, last, size))
		w.Header().Set("Content-Length", fmt.Sprint(last-first+1))
		w.WriteHeader(http.StatusPartialContent) // and no body
		w.(http.Flusher).Flush()
		select {
		case <-done:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(done); hs.Close() })
	return hs.URL + "/file.bin", ch
}

// A web seed that fails or hangs costs the download nothing: the pieces
// it was asked for come from peers.
func TestBadWebSeedDoesNotBreakDownload(t *testing.T) {
	for _, hang := range []bool{false, true} {
		t.Run(fmt.Sprintf("hang %v", hang), func(t *testing.T) {
			dir := t.TempDir()
			src, m := fileAndManifest(t, dir, 2_000_000, 64<<10)
			tr := []string{startTracker(t)}
			web, asked := badWebSeed(t, hang, m.Length())
			// Alone with the web seed, the downloader asks it at once. A
			// fetch left unanswered is raced by peers after RequestTimeout.
			d := start(t, Config{Manifest: m, OutDir: filepath.Join(dir, "out"), Trackers: tr, Origins: []string{web},
				Engine: swarm.Config{RequestTimeout: time.Second}})
			select {
			case <-asked:
			case <-time.After(testTimeout):
				t.Fatal("the web seed was never asked")
			}
			start(t, Config{Manifest: m, SharePath: src, Trackers: tr}) // finds the downloader through the tracker
			waitComplete(t, d)
			sameTree(t, src, d.FinalPath())
			if st := d.Stats(); st.BytesFromOrigin != 0 {
				t.Errorf("got %d bytes from the web seed, want none", st.BytesFromOrigin)
			}
		})
	}
}

package node

import (
	"crypto/ed25519"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// startSynthBroadcaster starts a broadcaster of the synthetic clip keeping
// its identity and numbering in data, its origin on httpAddr.
func startSynthBroadcaster(t *testing.T, priv ed25519.PrivateKey, data, httpAddr string) *running {
	t.Helper()
	src := synthSource(t)
	return start(t, Config{DataDir: data, Live: &LiveConfig{
		Name: liveName, Key: priv.Public().(ed25519.PublicKey), Signer: priv, Source: src, ChunkSize: 16 << 10, HTTP: httpAddr,
	}})
}

// mediaPlaylist returns the viewer's playlist of rendition 0 ("" until
// it lists a segment).
func mediaPlaylist(t *testing.T, v *running) string {
	code, body := get(t, gatewayURL(v)+"/live/0/index.m3u8")
	if code != http.StatusOK {
		return ""
	}
	return string(body)
}

func TestLiveBroadcasterRestartResumes(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	b1 := startSynthBroadcaster(t, priv, data, "127.0.0.1:0")
	s := &liveSwarm{pub: pub, b: b1, origin: "http://" + b1.HTTPAddr().String()}
	v := s.addViewer(t, pub, nil)
	waitFor(t, "the viewer to list segment 2", func() bool {
		return slices.Contains(listed(mediaPlaylist(t, v)), 2)
	})
	b1.stop(t)
	next := uint64(b1.LiveStats().Published) // the first run numbered from 0

	// The same data folder, and the origin address the viewer knows.
	b2 := startSynthBroadcaster(t, priv, data, b1.HTTPAddr().String())
	s.b = b2
	var playlist string
	waitFor(t, "the viewer to list segments of the second run", func() bool {
		playlist = mediaPlaylist(t, v)
		seqs := listed(playlist)
		return len(seqs) > 0 && seqs[len(seqs)-1] > next
	})
	// The second run's first segments are stamped as if it had begun three
	// segments before it started (the synthetic source's backlog), so the
	// viewer may learn of the first after its deadline and skip it: the
	// playlist then goes on from the next one, never waiting for it. The
	// first run may also have published a last segment just before it
	// stopped, which the viewer could fetch from no one: that one is
	// skipped too.
	seqs := listed(playlist)
	i := slices.IndexFunc(seqs, func(q uint64) bool { return q >= next })
	if i < 3 || !slices.Equal(seqs[:i], contiguous(seqs[0], seqs[i-1])) || seqs[i-1] < next-2 || seqs[i] > next+2 || !slices.Contains(seqs, 2) {
		t.Fatalf("playlist lists %v, want the first run's segments up to %d (or %d, its last one unfetched), then the second run's from %d:\n%s", seqs, next-1, next-2, next, playlist)
	}
	first := seqs[i]
	before, _, _ := strings.Cut(playlist, fmt.Sprintf("\n%d.ts\n", first))
	if !strings.HasSuffix(before[:strings.LastIndex(before, "#EXT-X-PROGRAM-DATE-TIME")], "#EXT-X-DISCONTINUITY\n") {
		t.Errorf("no EXT-X-DISCONTINUITY before segment %d, the first after the restart:\n%s", first, playlist)
	}
	s.sameSegments(t, v, seqs[i:]...) // signed by the same key, served by the new run
	if st := v.LiveStats(); st.Rejected != 0 {
		t.Errorf("viewer rejected %d announcements, want none", st.Rejected)
	}
}

// contiguous returns lo, lo+1, ..., hi.
func contiguous(lo, hi uint64) []uint64 {
	var out []uint64
	for q := lo; q <= hi; q++ {
		out = append(out, q)
	}
	return out
}

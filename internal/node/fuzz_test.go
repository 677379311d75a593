package node

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/shoal-p2p/shoal/internal/live"
)

// Fuzz targets for the live origin protocol (live_origin.go): what a
// viewer reads from an origin it does not trust, and what the
// broadcaster's origin reads from anyone on the network. Seeds: below and
// testdata/fuzz/<FuzzName>/.

// fuzzAnnouncement is a valid signed announcement encoding of segment seq.
func fuzzAnnouncement(seq uint64) []byte {
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	a, err := live.NewAnnouncement(live.ChannelID(priv.Public().(ed25519.PublicKey), "f"), live.Segment{
		Sequence: seq, Duration: 2e9, Data: []byte("segment bytes"),
	}, live.MinChunkSize)
	if err != nil {
		panic(err)
	}
	if err := a.Sign(priv); err != nil {
		panic(err)
	}
	return a.Append(nil)
}

// FuzzAnnounceResponse decodes an origin's /live/announce answer and
// feeds it to a poller, as a viewer does. The poller's cursors do not move
// (only what the engine verified moves them), and its interval stays in
// its bounds.
func FuzzAnnounceResponse(f *testing.F) {
	good, _ := json.Marshal(announceResponse{Renditions: []uint8{0}, Announcements: [][]byte{fuzzAnnouncement(7), fuzzAnnouncement(3)}})
	f.Add(good)
	f.Add([]byte(`{"renditions":[0,1,255],"announcements":[]}`))
	f.Add([]byte(`{"renditions":[256],"announcements":["!!"]}`))
	f.Add([]byte(`{"announcements":["` + base64.StdEncoding.EncodeToString([]byte("not an announcement")) + `"]}` + "trailing"))
	f.Add([]byte(`{"renditions":null,"announcements":[null,""]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		resp, err := decodeAnnounceResponse(bytes.NewReader(body))
		if err != nil {
			return
		}
		p := newPoller([]string{"http://origin.test"}, slog.New(slog.DiscardHandler))
		if got := p.learn(resp.Announcements); len(got) != len(resp.Announcements) {
			t.Fatalf("learn passed on %d of %d announcements, want all (the engine judges them)", len(got), len(resp.Announcements))
		}
		if p.interval < pollMin || p.interval > pollMax {
			t.Fatalf("poll interval %v outside [%v, %v]", p.interval, pollMin, pollMax)
		}
		if len(p.cursor) != 0 {
			t.Fatalf("cursors %v moved on unverified announcements", p.cursor)
		}
	})
}

// FuzzOriginRequest sends arbitrary requests to a broadcaster's origin.
// It answers only with the statuses its routes define, and a segment it
// serves whole is the one stored under that rendition and sequence.
func FuzzOriginRequest(f *testing.F) {
	for _, s := range []struct{ method, target, rng string }{
		{"GET", "/live/0/3.ts", ""},
		{"GET", "/live/0/3.ts", "bytes=2-5"},
		{"GET", "/live/0/3.ts", "bytes=100-"},
		{"HEAD", "/live/1/4.ts", "bytes=-3"},
		{"GET", "/live/0/003.ts", ""},
		{"GET", "/live/256/3.ts", ""},
		{"GET", "/live/0/18446744073709551616.ts", ""},
		{"GET", "/live/announce?r=0&after=2", ""},
		{"GET", "/live/announce?r=x", ""},
		{"GET", "/live/announce?after=18446744073709551615", ""},
		{"POST", "/live/0/3.ts", ""},
		{"GET", "/healthz", ""},
		{"GET", "/live/../etc/passwd", ""},
	} {
		f.Add(s.method, s.target, s.rng)
	}
	o := newOriginStore(4)
	segs := map[string][]byte{"/live/0/3.ts": []byte("segment zero three"), "/live/1/4.ts": []byte("segment one four")}
	o.add(0, 3, fuzzAnnouncement(3), segs["/live/0/3.ts"])
	o.add(1, 4, fuzzAnnouncement(4), segs["/live/1/4.ts"])
	allowed := []int{200, 206, 400, 404, 405, 416}
	f.Fuzz(func(t *testing.T, method, target, rng string) {
		raw := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: origin.test\r\n", method, target)
		if rng != "" {
			raw += "Range: " + rng + "\r\n"
		}
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw + "\r\n")))
		if err != nil {
			return
		}
		w := httptest.NewRecorder()
		o.ServeHTTP(w, req)
		if !slices.Contains(allowed, w.Code) {
			t.Fatalf("%s %s (Range %q): status %d", method, target, rng, w.Code)
		}
		if want, ok := segs[req.URL.Path]; ok && w.Code == 200 && method == "GET" && !bytes.Equal(w.Body.Bytes(), want) {
			t.Fatalf("%s: served %q, want %q", req.URL.Path, w.Body.Bytes(), want)
		}
	})
}

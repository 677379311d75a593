package node

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The broadcaster's HTTP origin, the viewers' fallback when no peer
// delivers in time:
//
//	GET /live/<r>/<seq>.ts                segment bytes (Range supported); 404 when unknown
//	GET /live/announce[?r=<r>][&after=<seq>]
//	                                      signed announcements as JSON (below)
//	GET /healthz                          liveness
//
// /live/announce answers
//
//	{"renditions": [0, 1], "announcements": ["<base64 canonical encoding>", …]}
//
// listing every rendition in the window and the announcements of rendition
// r (every rendition when r is absent), oldest first: those with a sequence
// greater than after, or when after is absent the newest announceLatest per
// rendition. The encodings are the signed ones (live.Announcement.Append);
// viewers verify them in the engine, so the origin needs no trust and a CDN
// may cache segments. Viewers poll it about twice per segment duration.
const (
	originAnnouncePath = "/live/announce"
	announceLatest     = 10
)

// announceResponse is the JSON body of /live/announce.
type announceResponse struct {
	Renditions    []uint8  `json:"renditions"`
	Announcements [][]byte `json:"announcements"` // base64 in JSON
}

// originStore is the broadcaster origin's window: the newest segments of
// each rendition with their signed announcements, bounded per rendition.
type originStore struct {
	window int

	mu     sync.Mutex // guards rends and served
	rends  map[uint8][]originSegment
	served int64 // segment bytes written to clients
}

// originSegment is one published segment as the origin serves it.
type originSegment struct {
	seq  uint64
	raw  []byte // signed announcement encoding
	data []byte
}

func newOriginStore(window int) *originStore {
	return &originStore{window: window, rends: make(map[uint8][]originSegment)}
}

// add keeps a published segment, evicting the oldest beyond the window.
// Sequences are increasing per rendition (the engine refuses others).
func (o *originStore) add(r uint8, seq uint64, raw, data []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	segs := append(o.rends[r], originSegment{seq: seq, raw: raw, data: data})
	if len(segs) > o.window {
		segs = slices.Delete(segs, 0, len(segs)-o.window)
	}
	o.rends[r] = segs
}

// segment returns the bytes of a segment in the window.
func (o *originStore) segment(r uint8, seq uint64) ([]byte, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, s := range o.rends[r] {
		if s.seq == seq {
			return s.data, true
		}
	}
	return nil, false
}

// announcements returns the answer to /live/announce: rendition r only
// when onlyR, and sequences after after when hasAfter.
func (o *originStore) announcements(r uint8, onlyR bool, after uint64, hasAfter bool) announceResponse {
	o.mu.Lock()
	defer o.mu.Unlock()
	resp := announceResponse{Renditions: []uint8{}, Announcements: [][]byte{}}
	for rend := range o.rends {
		resp.Renditions = append(resp.Renditions, rend)
	}
	slices.Sort(resp.Renditions)
	for _, rend := range resp.Renditions {
		if onlyR && rend != r {
			continue
		}
		segs := o.rends[rend]
		if !hasAfter && len(segs) > announceLatest {
			segs = segs[len(segs)-announceLatest:]
		}
		for _, s := range segs {
			if !hasAfter || s.seq > after {
				resp.Announcements = append(resp.Announcements, s.raw)
			}
		}
	}
	return resp
}

// servedBytes returns the segment bytes the origin has written.
func (o *originStore) servedBytes() int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.served
}

func (o *originStore) addServed(n int64) {
	o.mu.Lock()
	o.served += n
	o.mu.Unlock()
}

// ServeHTTP serves the origin's routes (see the top of this file).
func (o *originStore) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch {
	case r.URL.Path == "/healthz":
		w.Write([]byte("ok\n"))
	case r.URL.Path == originAnnouncePath:
		o.serveAnnounce(w, r)
	case strings.HasPrefix(r.URL.Path, "/live/"):
		o.serveSegment(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (o *originStore) serveAnnounce(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rend, onlyR, ok1 := optUint(q.Get("r"), 8)
	after, hasAfter, ok2 := optUint(q.Get("after"), 64)
	if !ok1 || !ok2 {
		http.Error(w, "bad r or after: want decimal numbers", http.StatusBadRequest)
		return
	}
	body, err := json.Marshal(o.announcements(uint8(rend), onlyR, after, hasAfter))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(append(body, '\n'))
}

func (o *originStore) serveSegment(w http.ResponseWriter, r *http.Request) {
	dir, name, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/live/"), "/")
	rend, err1 := strconv.ParseUint(dir, 10, 8)
	seq, err2 := strconv.ParseUint(strings.TrimSuffix(name, ".ts"), 10, 64)
	if !ok || err1 != nil || err2 != nil || !strings.HasSuffix(name, ".ts") {
		http.NotFound(w, r)
		return
	}
	data, found := o.segment(uint8(rend), seq)
	if !found {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "video/mp2t")
	w.Header().Set("Cache-Control", "public, max-age=60, immutable")
	cw := &countWriter{ResponseWriter: w}
	http.ServeContent(cw, r, "", time.Time{}, bytes.NewReader(data))
	o.addServed(cw.n)
}

// optUint parses an optional decimal parameter: present reports whether
// it was given, ok whether it parsed.
func optUint(s string, bits int) (v uint64, present, ok bool) {
	if s == "" {
		return 0, false, true
	}
	v, err := strconv.ParseUint(s, 10, bits)
	return v, true, err == nil
}

// countWriter counts the body bytes written through it.
type countWriter struct {
	http.ResponseWriter
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.ResponseWriter.Write(p)
	c.n += int64(n)
	return n, err
}

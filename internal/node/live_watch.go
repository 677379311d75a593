package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-p2p/shoal/internal/live"
	"github.com/shoal-p2p/shoal/internal/origin"
	"github.com/shoal-p2p/shoal/internal/swarm"
)

// Viewer-side origin use: announcement polling and segment fetches.
const (
	pollDefault        = time.Second // poll interval before a segment duration is known
	pollMin            = 250 * time.Millisecond
	pollMax            = 5 * time.Second
	pollTimeout        = 10 * time.Second // one announcement request
	maxAnnounceBody    = 8 << 20
	originFetchTimeout = 15 * time.Second // one segment fetch
	pollWarnAfter      = 5                // consecutive failed polls before a warning
)

// poller learns the live edge from the origin: it polls /live/announce
// (see live_origin.go) about twice per segment duration, while the engine
// does not learn it from peers (stale), and hands new
// announcements to the loop, which feeds them to the engine's LiveAnnounce
// (where they are verified). It runs on one goroutine and owns its fields.
type poller struct {
	origins  []string
	log      *slog.Logger
	client   *http.Client
	cursor   map[uint8]uint64 // newest sequence seen per rendition
	interval time.Duration
	rescan   bool      // ask for every rendition's newest announcements next
	turn     int       // origin to ask next
	failures int       // consecutive failed polls
	edge     int64     // the engine's LiveEdge (Unix ms) seen last
	edgeAt   time.Time // when edge last changed
	known    []rendSeq // catchUp's scratch
}

func newPoller(origins []string, log *slog.Logger) *poller {
	return &poller{
		origins: origins, log: log, client: &http.Client{Timeout: pollTimeout},
		cursor: make(map[uint8]uint64), interval: pollDefault,
	}
}

// run polls until ctx ends.
func (p *poller) run(ctx context.Context, l *loop) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if p.stale(l.n.live.edge.Load(), time.Now()) {
			p.known = l.n.live.newestKnown(p.known[:0])
			p.catchUp(p.known)
			raws := p.poll(ctx)
			if len(raws) > 0 && !l.send(evAnnounced{raws: raws}) {
				return
			}
		}
		t.Reset(p.interval)
	}
}

// stale reports whether a poll is needed: the engine knows no segment
// (edge, its LiveEdge in Unix ms, is 0), or its edge has not moved for one
// and a half segment durations (three poll intervals) of our own clock.
// While peers relay announcements the edge keeps moving and the origin is
// not asked: polls from every viewer every half segment cost 1.8 copies of
// the stream at 1,000 viewers in the simulator. Only local time is
// compared, so a broadcaster clock that differs from ours does not matter.
func (p *poller) stale(edge int64, now time.Time) bool {
	if edge != p.edge {
		p.edge, p.edgeAt = edge, now
	}
	return edge == 0 || now.Sub(p.edgeAt) >= 3*p.interval
}

// catchUp moves each cursor up to the engine's newest segment of its
// rendition: what peers relayed need not be asked for again. A viewer that
// learnt the stream from peers and never polled so asks only for what
// follows, not for the newest announcements of every rendition; at the end
// of a stream every viewer's edge stops at once, and those answers were
// most of the origin's egress after the last segment.
func (p *poller) catchUp(known []rendSeq) {
	for _, k := range known {
		if cur, ok := p.cursor[k.r]; !ok || k.seq > cur {
			p.cursor[k.r] = k.seq
		}
	}
}

// poll asks one origin for what is new: everything recent when nothing is
// known yet, then each known rendition after its cursor.
func (p *poller) poll(ctx context.Context) [][]byte {
	base := strings.TrimSuffix(p.origins[p.turn%len(p.origins)], "/")
	queries := []string{""}
	if len(p.cursor) > 0 && !p.rescan {
		queries = queries[:0]
		for r, seq := range p.cursor {
			queries = append(queries, "?r="+strconv.Itoa(int(r))+"&after="+strconv.FormatUint(seq, 10))
		}
	}
	p.rescan = false
	var out [][]byte
	for _, q := range queries {
		resp, err := p.get(ctx, base+originAnnouncePath+q)
		if err != nil {
			p.failed(ctx, base, err)
			return out
		}
		out = append(out, p.learn(resp.Announcements)...)
		for _, r := range resp.Renditions {
			if _, ok := p.cursor[r]; !ok {
				p.rescan = true // a rendition not seen yet: next poll asks for everything
			}
		}
	}
	p.failures = 0
	return out
}

// learn sets the interval to half a segment from the announcements (read
// unverified, within [pollMin, pollMax]). It does not move the cursors:
// they follow only what the engine verified and kept (catchUp), so an
// origin, or anyone on its path, that answers with a forged announcement
// of a far sequence cannot make the poller skip the real ones.
func (p *poller) learn(raws [][]byte) [][]byte {
	for _, raw := range raws {
		a, err := live.ParseAnnouncement(raw)
		if err != nil {
			continue // the engine rejects it and says so
		}
		p.interval = min(max(a.Duration/2, pollMin), pollMax)
	}
	return raws
}

func (p *poller) get(ctx context.Context, u string) (announceResponse, error) {
	var resp announceResponse
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return resp, err
	}
	r, err := p.client.Do(req)
	if err != nil {
		return resp, err
	}
	defer r.Body.Close()
	if r.StatusCode != http.StatusOK {
		return resp, fmt.Errorf("GET %s: status %s", u, r.Status)
	}
	resp, err = decodeAnnounceResponse(r.Body)
	if err != nil {
		return resp, fmt.Errorf("GET %s: %w", u, err)
	}
	return resp, nil
}

// decodeAnnounceResponse reads an origin's /live/announce answer, at most
// maxAnnounceBody bytes of it. The announcements inside are unverified.
func decodeAnnounceResponse(r io.Reader) (announceResponse, error) {
	var resp announceResponse
	err := json.NewDecoder(io.LimitReader(r, maxAnnounceBody)).Decode(&resp)
	return resp, err
}

// failed notes a failed poll and moves to the next origin.
func (p *poller) failed(ctx context.Context, base string, err error) {
	if ctx.Err() != nil {
		return
	}
	p.turn++
	p.failures++
	if p.failures == pollWarnAfter {
		p.log.Warn("live: origin announcements unreachable", "origin", base, "err", err)
	} else {
		p.log.Debug("live: origin poll failed", "origin", base, "err", err)
	}
}

// fetchSegment GETs a whole segment from an origin on a goroutine owned by
// the loop and reports the result as an event.
func (l *loop) fetchSegment(ctx context.Context, a swarm.FetchSegment) {
	origins := l.n.live.cfg.Origins
	base := strings.TrimSuffix(origins[a.Sequence%uint64(len(origins))], "/")
	u := fmt.Sprintf("%s/live/%d/%d.ts", base, a.Rendition, a.Sequence)
	l.go_(func() {
		ev := evSegmentFetched{r: a.Rendition, seq: a.Sequence}
		fctx, cancel := context.WithTimeout(ctx, originFetchTimeout)
		ev.data, ev.err = l.n.origin.FetchURL(fctx, u, a.Offset, a.Length)
		cancel()
		l.send(ev)
	})
}

// segmentFetched feeds an origin fetch's result to the engine.
func (l *loop) segmentFetched(ev evSegmentFetched, now time.Time) {
	if ev.err != nil {
		var se *origin.StatusError
		if !errors.As(ev.err, &se) || se.StatusCode != http.StatusNotFound {
			l.n.log.Debug("live: origin fetch failed", "rendition", ev.r, "sequence", ev.seq, "err", ev.err)
		}
		ln := l.n.live
		ln.mu.Lock()
		ln.stats.OriginFailures++
		ln.mu.Unlock()
		l.eng.LiveOriginFailed(ev.r, ev.seq, now)
		return
	}
	l.eng.LiveOriginData(ev.r, ev.seq, ev.data, now)
}

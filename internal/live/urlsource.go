package live

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

// defaultRequestTimeout bounds one playlist or segment request.
const defaultRequestTimeout = 30 * time.Second

// URLConfig configures a URLSource. The zero value of every field but URL
// means the default.
type URLConfig struct {
	// URL of the live playlist on an origin or CDN (required, http or
	// https): a media playlist, or a multivariant playlist whose variants
	// become renditions 0, 1, … in order.
	URL string
	// Client makes the requests; nil means http.DefaultClient.
	Client *http.Client
	// RequestTimeout bounds each request; 0 means 30 s.
	RequestTimeout time.Duration
	// Backlog limits how many of the segments already listed at start are
	// emitted: the newest Backlog. 0 emits all of them.
	Backlog int
	// MaxSegmentSize skips larger segments with a warning. Default and
	// maximum MaxSegmentSize.
	MaxSegmentSize int64
	// Logger receives warnings; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// After waits between polls; nil means time.After.
	After func(time.Duration) <-chan time.Time
}

// URLSource follows a live HLS stream that an existing origin or CDN serves
// over HTTP.
type URLSource struct {
	url   string
	fetch httpFetcher
	opts  options
}

// NewURLSource validates cfg and returns a source; nothing is fetched before
// Run.
func NewURLSource(cfg URLConfig) (*URLSource, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("live: url source: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("live: url source: %q is not an http(s) URL", cfg.URL)
	}
	if cfg.RequestTimeout < 0 {
		return nil, fmt.Errorf("live: url source: request timeout %v is negative", cfg.RequestTimeout)
	}
	opts, err := newOptions(cfg.Logger, cfg.Now, cfg.After, cfg.Backlog, cfg.MaxSegmentSize)
	if err != nil {
		return nil, fmt.Errorf("live: url source: %w", err)
	}
	h := httpFetcher{client: cfg.Client, timeout: cfg.RequestTimeout}
	if h.client == nil {
		h.client = http.DefaultClient
	}
	if h.timeout == 0 {
		h.timeout = defaultRequestTimeout
	}
	return &URLSource{url: u.String(), fetch: h, opts: opts}, nil
}

// Run polls the playlist every half target duration and sends each new
// segment on out exactly once, in order per rendition. It returns nil after
// EXT-X-ENDLIST once everything is sent, ctx.Err() when ctx ends,
// ErrNoPlaylist when the playlist is missing (404, 410) at start and
// ErrStalled when the stream stops growing. Run does not close out.
func (s *URLSource) Run(ctx context.Context, out chan<- Segment) error {
	f := &follower{opts: s.opts, fetch: s.fetch, root: s.url}
	return f.run(ctx, out)
}

// httpFetcher reads absolute http(s) URLs.
type httpFetcher struct {
	client  *http.Client
	timeout time.Duration
}

var _ fetcher = httpFetcher{}

func (h httpFetcher) read(ctx context.Context, ref string, limit int64) ([]byte, string, error) {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ref, nil)
	if err != nil {
		return nil, ref, err
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, ref, err
	}
	defer resp.Body.Close()
	base := resp.Request.URL.String() // after redirects
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, base, fmt.Errorf("GET %s: %s: %w", ref, resp.Status, fs.ErrNotExist)
	case resp.StatusCode != http.StatusOK:
		return nil, base, fmt.Errorf("GET %s: %s", ref, resp.Status)
	case resp.ContentLength > limit:
		return nil, base, fmt.Errorf("%w: %s is %d bytes, limit %d", errTooLarge, ref, resp.ContentLength, limit)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, base, fmt.Errorf("GET %s: %w", ref, err)
	}
	if int64(len(data)) > limit {
		return nil, base, fmt.Errorf("%w: %s is over %d bytes", errTooLarge, ref, limit)
	}
	return data, base, nil
}

func (h httpFetcher) resolve(base, uri string) (string, error) {
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(uri)
	if err != nil {
		return "", fmt.Errorf("live: segment URI %q: %w", uri, err)
	}
	abs := b.ResolveReference(u)
	if (abs.Scheme != "http" && abs.Scheme != "https") || abs.Host == "" {
		return "", errors.New("live: segment URI " + uri + " is not an http(s) URL with a host")
	}
	return abs.String(), nil
}

// size is never cheap over HTTP.
func (httpFetcher) size(string) (int64, bool) { return 0, false }

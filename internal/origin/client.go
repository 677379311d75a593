package origin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/shoal-p2p/shoal/internal/piece"
)

// Config configures a Client. The zero value is usable; fields ≤ 0 or nil
// take the defaults given below.
type Config struct {
	// HTTP sends the requests; default a client with dial, TLS and
	// response-header timeouts (no overall timeout: use the context).
	HTTP *http.Client
	// MaxBody caps the bytes one Fetch or FetchURL may ask for; default
	// 64 MiB.
	MaxBody int64
	// MaxFullBody is the largest 200 answer (a server that ignores Range)
	// read whole and sliced; default 8 MiB. Larger ones are an error.
	MaxFullBody int64
	// Logger receives debug notes about odd servers; default
	// slog.Default().
	Logger *slog.Logger
}

var (
	// ErrBadResponse is wrapped by errors for an answer that is not the
	// requested bytes: a non-2xx status, a wrong Content-Range, a short
	// body, an encoded body or an oversized 200.
	ErrBadResponse = errors.New("origin: bad response")
	// ErrBadRange is returned for a request outside what the Client or the
	// manifest allows.
	ErrBadRange = errors.New("origin: bad range")
)

// StatusError is the error for a non-2xx answer. It matches ErrBadResponse
// with errors.Is; callers use errors.As to branch on the status code (for
// example 404 for a live segment not yet published).
type StatusError struct {
	URL        string
	StatusCode int
	Status     string // as sent, e.g. "404 Not Found"
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%v: GET %s: status %s", ErrBadResponse, e.URL, e.Status)
}

// Unwrap returns ErrBadResponse.
func (e *StatusError) Unwrap() error { return ErrBadResponse }

// Client fetches byte ranges over HTTP. It is safe for concurrent use.
type Client struct {
	http        *http.Client
	maxBody     int64
	maxFullBody int64
	log         *slog.Logger
}

// New returns a Client for cfg, with defaults filled in.
func New(cfg Config) *Client {
	c := &Client{http: cfg.HTTP, maxBody: cfg.MaxBody, maxFullBody: cfg.MaxFullBody, log: cfg.Logger}
	if c.http == nil {
		c.http = &http.Client{Transport: defaultTransport()}
	}
	if c.maxBody <= 0 {
		c.maxBody = 64 << 20
	}
	if c.maxFullBody <= 0 {
		c.maxFullBody = 8 << 20
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	return c
}

// defaultTransport is http.DefaultTransport with a bound on the wait for
// response headers.
func defaultTransport() http.RoundTripper {
	t, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return http.DefaultTransport
	}
	t = t.Clone()
	t.ResponseHeaderTimeout = 30 * time.Second
	t.MaxIdleConnsPerHost = 16
	return t
}

// Fetch returns the n bytes of m's content starting at content offset off.
// For a single file (m.Dir false) base is the file's URL; for a folder it
// is the folder's URL, and each file is at base + "/" + its path with every
// segment escaped. A range over several files makes one request per file,
// in order; zero-length files are skipped.
func (c *Client) Fetch(ctx context.Context, base string, m *piece.Manifest, off, n int64) ([]byte, error) {
	if n < 0 || n > c.maxBody {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrBadRange, n, c.maxBody)
	}
	spans, err := m.Spans(off, n)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadRange, err)
	}
	buf := make([]byte, n)
	var pos int64
	for _, sp := range spans {
		u, err := fileURL(base, m, sp.File)
		if err != nil {
			return nil, err
		}
		if err := c.fetchInto(ctx, u, sp.Offset, buf[pos:pos+sp.Length]); err != nil {
			return nil, err
		}
		pos += sp.Length
	}
	return buf, nil
}

// FetchURL returns the n bytes of the resource at rawURL starting at off.
func (c *Client) FetchURL(ctx context.Context, rawURL string, off, n int64) ([]byte, error) {
	if off < 0 || n < 0 || n > c.maxBody {
		return nil, fmt.Errorf("%w: %d bytes at %d, limit %d", ErrBadRange, n, off, c.maxBody)
	}
	if _, err := parseBase(rawURL); err != nil {
		return nil, err
	}
	buf := make([]byte, n)
	if err := c.fetchInto(ctx, rawURL, off, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

// parseBase parses an http(s) URL.
func parseBase(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("origin: url: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("origin: url %q: want an http or https URL with a host", raw)
	}
	return u, nil
}

// fileURL returns the URL of file i of m under base.
func fileURL(base string, m *piece.Manifest, i int) (string, error) {
	u, err := parseBase(base)
	if err != nil {
		return "", err
	}
	if !m.Dir {
		return base, nil
	}
	segs := strings.Split(m.Files[i].Path, "/")
	esc := make([]string, len(segs))
	for j, s := range segs {
		if s == "" || s == "." || s == ".." {
			return "", fmt.Errorf("%w: file path %q is not clean", ErrBadRange, m.Files[i].Path)
		}
		esc[j] = url.PathEscape(s)
	}
	rawDir := strings.TrimRight(u.EscapedPath(), "/")
	u.Path = strings.TrimRight(u.Path, "/") + "/" + strings.Join(segs, "/")
	u.RawPath = rawDir + "/" + strings.Join(esc, "/")
	return u.String(), nil
}

package tracker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ClientConfig configures a Client. The zero value is usable.
type ClientConfig struct {
	// HTTP sends the requests; default a client using
	// http.DefaultTransport.
	HTTP *http.Client
	// Timeout bounds one announce, connection included; default 10s
	// (values ≤ 0 mean the default).
	Timeout time.Duration
}

// Client announces to HTTP trackers. It is safe for concurrent use.
type Client struct {
	http    *http.Client
	timeout time.Duration
}

var (
	// ErrUnreachable is wrapped by announce errors where no answer came
	// back from the tracker: refused, timed out, DNS failure.
	ErrUnreachable = errors.New("tracker: unreachable")
	// ErrRejected is wrapped by announce errors where the tracker answered
	// with a status other than 200; the message carries its explanation.
	ErrRejected = errors.New("tracker: announce rejected")
)

// maxErrorBody caps how much of a non-200 answer is read for its message.
const maxErrorBody = 64 << 10

// NewClient returns a Client for cfg.
func NewClient(cfg ClientConfig) *Client {
	c := &Client{http: cfg.HTTP, timeout: cfg.Timeout}
	if c.http == nil {
		c.http = &http.Client{}
	}
	if c.timeout <= 0 {
		c.timeout = 10 * time.Second
	}
	return c
}

// announceError is an announce failure: it prints as
// "tracker: announce to URL: cause" and matches both kind (one of the
// sentinels) and the cause with errors.Is.
type announceError struct {
	url  string
	kind error
	err  error
}

func (e *announceError) Error() string { return "tracker: announce to " + e.url + ": " + e.err.Error() }

func (e *announceError) Unwrap() []error { return []error{e.kind, e.err} }

// Announce sends req to the tracker at trackerURL and returns its answer.
// trackerURL is the tracker's base URL ("http://host:port"); "/announce" is
// appended to its path unless the path already ends with it. Errors wrap
// ErrUnreachable, ErrRejected or ErrBadResponse, or the context's error.
func (c *Client) Announce(ctx context.Context, trackerURL string, req AnnounceRequest) (AnnounceResponse, error) {
	u, err := announceURL(trackerURL, req)
	if err != nil {
		return AnnounceResponse{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return AnnounceResponse{}, fmt.Errorf("tracker: announce to %s: %w", trackerURL, err)
	}
	hreq.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(hreq)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return AnnounceResponse{}, &announceError{url: trackerURL, kind: transportKind(err), err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return AnnounceResponse{}, &announceError{url: trackerURL, kind: ErrRejected, err: statusError(resp)}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseSize+1))
	if err != nil {
		return AnnounceResponse{}, &announceError{url: trackerURL, kind: transportKind(err), err: err}
	}
	out, err := parseResponse(body)
	if err != nil {
		return AnnounceResponse{}, &announceError{url: trackerURL, kind: ErrBadResponse, err: errors.New(strings.TrimPrefix(err.Error(), "tracker: "))}
	}
	return out, nil
}

// transportKind classifies a failure to get an answer: the caller's
// cancellation, or ErrUnreachable.
func transportKind(err error) error {
	if errors.Is(err, context.Canceled) {
		return context.Canceled
	}
	return ErrUnreachable
}

// announceURL builds the announce URL for req from a tracker base URL.
func announceURL(trackerURL string, req AnnounceRequest) (string, error) {
	u, err := url.Parse(trackerURL)
	if err != nil {
		return "", fmt.Errorf("tracker: tracker url: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("tracker: tracker url %q: want http(s)://host", trackerURL)
	}
	if !strings.HasSuffix(u.Path, "/announce") {
		u = u.JoinPath("announce")
	}
	q := u.Query()
	for k, v := range req.query() {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	u.Fragment = ""
	return u.String(), nil
}

// statusError describes a non-200 answer, using the server's JSON error
// message when there is one.
func statusError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var eb errorBody
	if json.Unmarshal(b, &eb) == nil && eb.Error != "" {
		msg := eb.Error
		if len(msg) > 512 {
			msg = msg[:512] + "..."
		}
		return fmt.Errorf("status %d: %s", resp.StatusCode, msg)
	}
	return fmt.Errorf("status %s", resp.Status)
}

package origin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// fetchInto fills dst with the bytes of the resource at u starting at off,
// using one Range request. An empty dst makes no request.
func (c *Client) fetchInto(ctx context.Context, u string, off int64, dst []byte) error {
	if len(dst) == 0 {
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("origin: GET %s: %w", u, err)
	}
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", off, off+int64(len(dst))-1))
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("origin: GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	if ce := resp.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return badResponse(u, resp, "Content-Encoding %q", ce)
	}
	switch resp.StatusCode {
	case http.StatusPartialContent:
		return c.readPartial(u, resp, off, dst)
	case http.StatusOK:
		return c.readWhole(u, resp, off, dst)
	}
	return &StatusError{URL: u, StatusCode: resp.StatusCode, Status: resp.Status}
}

// readPartial reads a 206 answer whose Content-Range must be exactly the
// requested range.
func (c *Client) readPartial(u string, resp *http.Response, off int64, dst []byte) error {
	n := int64(len(dst))
	cr := resp.Header.Get("Content-Range")
	first, last, size, ok := parseContentRange(cr)
	if !ok || first != off || last != off+n-1 || (size >= 0 && last >= size) {
		return badResponse(u, resp, "Content-Range %q, want bytes %d-%d", cr, off, off+n-1)
	}
	if resp.ContentLength >= 0 && resp.ContentLength != n {
		return badResponse(u, resp, "Content-Length %d, want %d", resp.ContentLength, n)
	}
	if k, err := io.ReadFull(resp.Body, dst); err != nil {
		return readError(u, resp, err, k, n)
	}
	return nil
}

// readWhole reads a 200 answer from a server that ignored Range: the whole
// resource, if it is at most MaxFullBody bytes, sliced to the range.
func (c *Client) readWhole(u string, resp *http.Response, off int64, dst []byte) error {
	n := int64(len(dst))
	if resp.ContentLength > c.maxFullBody {
		return badResponse(u, resp, "Range ignored and %d bytes exceed the %d byte limit", resp.ContentLength, c.maxFullBody)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxFullBody+1))
	if err != nil {
		return readError(u, resp, err, len(body), resp.ContentLength)
	}
	if int64(len(body)) > c.maxFullBody {
		return badResponse(u, resp, "Range ignored and the body exceeds the %d byte limit", c.maxFullBody)
	}
	if int64(len(body)) < off+n {
		return badResponse(u, resp, "Range ignored and the body has %d bytes, want at least %d", len(body), off+n)
	}
	c.log.Debug("origin ignored Range", "url", u, "size", len(body))
	copy(dst, body[off:off+n])
	return nil
}

// parseContentRange parses "bytes first-last/size" (RFC 9110 §14.4); size
// is -1 when sent as "*".
func parseContentRange(s string) (first, last, size int64, ok bool) {
	rest, found := strings.CutPrefix(s, "bytes ")
	if !found {
		return 0, 0, 0, false
	}
	span, total, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, 0, false
	}
	a, b, found := strings.Cut(span, "-")
	if !found {
		return 0, 0, 0, false
	}
	var err1, err2, err3 error
	first, err1 = parseDecimal(a)
	last, err2 = parseDecimal(b)
	size = -1
	if total != "*" {
		size, err3 = parseDecimal(total)
	}
	if err1 != nil || err2 != nil || err3 != nil || last < first {
		return 0, 0, 0, false
	}
	return first, last, size, true
}

// parseDecimal parses a non-negative decimal number of digits only.
func parseDecimal(s string) (int64, error) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseInt(s, 10, 64)
}

// badResponse returns an ErrBadResponse error naming u and the status.
func badResponse(u string, resp *http.Response, format string, args ...any) error {
	return fmt.Errorf("%w: GET %s: status %s: %s", ErrBadResponse, u, resp.Status, fmt.Sprintf(format, args...))
}

// readError describes a failure while reading a body: a short body is
// ErrBadResponse; a cancelled context or a network error keeps its cause.
func readError(u string, resp *http.Response, err error, got int, want int64) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		if want < 0 {
			return badResponse(u, resp, "short body: cut after %d bytes", got)
		}
		return badResponse(u, resp, "short body: %d of %d bytes", got, want)
	}
	return fmt.Errorf("origin: GET %s: status %s: reading body: %w", u, resp.Status, err)
}

package origin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
)

// Fuzz targets for what an origin, CDN or web seed sends back: the
// Content-Range header and whole answers. Seeds: below and
// testdata/fuzz/<FuzzName>/.

func FuzzParseContentRange(f *testing.F) {
	for _, s := range []string{
		"bytes 0-99/100", "bytes 5-5/*", "bytes 10-9/100", "bytes -1-5/10", "bytes 0-99/", "bytes 0-99",
		"bytes=0-99/100", "bytes 00-099/0100", "bytes +1-2/3", "bytes 0-9223372036854775807/*",
		"bytes 0-9223372036854775808/*", "bytes  0-1/2", "", "bytes */100",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		first, last, size, ok := parseContentRange(s)
		if !ok {
			return
		}
		if first < 0 || last < first || size < -1 {
			t.Fatalf("parseContentRange(%q) = %d, %d, %d: want 0 ≤ first ≤ last and size ≥ -1", s, first, last, size)
		}
		total := "*"
		if size >= 0 {
			total = strconv.FormatInt(size, 10)
		}
		canon := fmt.Sprintf("bytes %d-%d/%s", first, last, total)
		f2, l2, s2, ok2 := parseContentRange(canon)
		if !ok2 || f2 != first || l2 != last || s2 != size {
			t.Fatalf("canonical %q of %q parses as %d, %d, %d, %v", canon, s, f2, l2, s2, ok2)
		}
	})
}

// answer is a canned HTTP response; it implements http.RoundTripper.
type answer struct {
	status        int
	contentRange  string
	contentLength int64 // -1: unknown
	body          []byte
}

func (a answer) RoundTrip(r *http.Request) (*http.Response, error) {
	h := http.Header{}
	if a.contentRange != "" {
		h.Set("Content-Range", a.contentRange)
	}
	return &http.Response{
		StatusCode: a.status, Status: http.StatusText(a.status), Header: h, Request: r,
		ContentLength: a.contentLength, Body: io.NopCloser(bytes.NewReader(a.body)),
	}, nil
}

// FuzzFetchAnswer gives FetchURL arbitrary answers to a range request. It
// returns either an error or exactly the bytes the answer holds for the
// range: a 206's body, or the range's slice of a 200's whole body.
func FuzzFetchAnswer(f *testing.F) {
	f.Add(uint16(206), "bytes 10-19/100", int64(10), []byte("0123456789"), uint16(10), uint16(10))
	f.Add(uint16(206), "bytes 10-19/15", int64(-1), []byte("0123456789"), uint16(10), uint16(10))
	f.Add(uint16(206), "bytes 10-19/*", int64(12), []byte("0123456789ab"), uint16(10), uint16(10))
	f.Add(uint16(206), "bytes 0-3/4", int64(4), []byte("01"), uint16(0), uint16(4))
	f.Add(uint16(200), "", int64(-1), []byte("0123456789abcdef"), uint16(4), uint16(8))
	f.Add(uint16(200), "", int64(16), []byte("0123"), uint16(4), uint16(8))
	f.Add(uint16(404), "", int64(0), []byte{}, uint16(0), uint16(1))
	f.Add(uint16(416), "bytes */100", int64(0), []byte{}, uint16(200), uint16(1))
	f.Fuzz(func(t *testing.T, status uint16, cr string, clen int64, body []byte, off, n uint16) {
		if status < 100 || status > 999 {
			return
		}
		if clen < -1 {
			clen = -1
		}
		c := New(Config{HTTP: &http.Client{Transport: answer{int(status), cr, clen, body}}, MaxFullBody: 1 << 16})
		got, err := c.FetchURL(context.Background(), "http://origin.test/x", int64(off), int64(n))
		if err != nil {
			if got != nil {
				t.Fatalf("FetchURL returned %d bytes with error %v", len(got), err)
			}
			var se *StatusError
			if errors.As(err, &se) && (se.StatusCode == 200 || se.StatusCode == 206) {
				t.Fatalf("status error %v for a success status", err)
			}
			return
		}
		var want []byte
		switch {
		case n == 0:
			want = []byte{}
		case status == http.StatusPartialContent:
			want = body[:n]
		case status == http.StatusOK:
			want = body[off : int(off)+int(n)]
		default:
			t.Fatalf("status %d accepted", status)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
}

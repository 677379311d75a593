package origin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoal-p2p/shoal/internal/piece"
)

// content returns n deterministic bytes that differ per seed.
func content(seed byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i*7+i/251)
	}
	return b
}

// fileServer serves files by URL path with http.ServeContent and counts
// requests per path.
type fileServer struct {
	files map[string][]byte // by unescaped URL path

	mu   sync.Mutex // guards hits
	hits map[string]int
}

func (s *fileServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits[r.URL.Path]++
	s.mu.Unlock()
	b, ok := s.files[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	http.ServeContent(w, r, r.URL.Path, time.Time{}, bytes.NewReader(b))
}

func (s *fileServer) hitCount(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// folder is a test folder manifest whose files' sizes are those given.
func folder(sizes map[string]int, order []string) (*piece.Manifest, map[string][]byte, []byte) {
	m := &piece.Manifest{Name: "set", Dir: true, PieceSize: 16 << 10}
	files := map[string][]byte{}
	var all []byte
	for i, p := range order {
		b := content(byte(i+1), sizes[p])
		m.Files = append(m.Files, piece.File{Path: p, Size: int64(len(b))})
		files[p] = b
		all = append(all, b...)
	}
	return m, files, all
}

func TestFetchSingleFile(t *testing.T) {
	data := content(3, 100_000)
	fs := &fileServer{files: map[string][]byte{"/video.mp4": data}, hits: map[string]int{}}
	ts := httptest.NewServer(fs)
	defer ts.Close()
	m := &piece.Manifest{Name: "video.mp4", PieceSize: 16 << 10, Files: []piece.File{{Path: "video.mp4", Size: int64(len(data))}}}
	tests := []struct{ off, n int64 }{{0, 1}, {0, 16384}, {5000, 12345}, {99_999, 1}, {0, 100_000}, {500, 0}}
	c := New(Config{})
	for _, tt := range tests {
		got, err := c.Fetch(context.Background(), ts.URL+"/video.mp4", m, tt.off, tt.n)
		if err != nil {
			t.Fatalf("Fetch(%d, %d): %v", tt.off, tt.n, err)
		}
		if want := data[tt.off : tt.off+tt.n]; !bytes.Equal(got, want) {
			t.Errorf("Fetch(%d, %d): got %d bytes, want %d matching bytes", tt.off, tt.n, len(got), len(want))
		}
	}
	if got, want := fs.hitCount("/video.mp4"), len(tests)-1; got != want {
		t.Errorf("got %d requests, want %d (none for n=0)", got, want)
	}
}

func TestFetchFolder(t *testing.T) {
	order := []string{"a.bin", "empty", "sub dir/b#1.bin", "sub dir/c?.bin"}
	m, files, all := folder(map[string]int{"a.bin": 1000, "empty": 0, "sub dir/b#1.bin": 300, "sub dir/c?.bin": 2000}, order)
	fs := &fileServer{files: map[string][]byte{}, hits: map[string]int{}}
	for p, b := range files {
		fs.files["/pub/my set/"+p] = b
	}
	ts := httptest.NewServer(fs)
	defer ts.Close()
	tests := []struct {
		name   string
		base   string
		off, n int64
		hits   map[string]int // requests per file path
	}{
		{"within first", ts.URL + "/pub/my%20set", 10, 90, map[string]int{"a.bin": 1}},
		{"spanning three", ts.URL + "/pub/my%20set/", 900, 1200, map[string]int{"a.bin": 1, "sub dir/b#1.bin": 1, "sub dir/c?.bin": 1}},
		{"exact file", ts.URL + "/pub/my%20set", 1000, 300, map[string]int{"sub dir/b#1.bin": 1}},
		{"everything", ts.URL + "/pub/my%20set", 0, 3300, map[string]int{"a.bin": 1, "sub dir/b#1.bin": 1, "sub dir/c?.bin": 1}},
	}
	c := New(Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs.hits = map[string]int{}
			got, err := c.Fetch(context.Background(), tt.base, m, tt.off, tt.n)
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if want := all[tt.off : tt.off+tt.n]; !bytes.Equal(got, want) {
				t.Fatalf("got %d bytes, want %d matching bytes", len(got), len(want))
			}
			for _, p := range order {
				if got, want := fs.hitCount("/pub/my set/"+p), tt.hits[p]; got != want {
					t.Errorf("%s: got %d requests, want %d", p, got, want)
				}
			}
		})
	}
}

func TestFileURL(t *testing.T) {
	dir := &piece.Manifest{Name: "d", Dir: true, Files: []piece.File{{Path: "a b/c%d;e.txt", Size: 1}, {Path: "../x", Size: 1}}}
	single := &piece.Manifest{Name: "f", Files: []piece.File{{Path: "f", Size: 1}}}
	tests := []struct {
		base string
		m    *piece.Manifest
		file int
		want string // "" means an error
	}{
		{"http://h/x/", dir, 0, "http://h/x/a%20b/c%25d%3Be.txt"},
		{"http://h/x", dir, 0, "http://h/x/a%20b/c%25d%3Be.txt"},
		{"http://h", dir, 0, "http://h/a%20b/c%25d%3Be.txt"},
		{"https://h/my%20dir?sig=abc", dir, 0, "https://h/my%20dir/a%20b/c%25d%3Be.txt?sig=abc"},
		{"http://h/x", dir, 1, ""},
		{"ftp://h/x", dir, 0, ""},
		{"http://h/file.iso?t=1", single, 0, "http://h/file.iso?t=1"},
	}
	for _, tt := range tests {
		got, err := fileURL(tt.base, tt.m, tt.file)
		if tt.want == "" {
			if err == nil {
				t.Errorf("fileURL(%q, %d): got %q, want an error", tt.base, tt.file, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("fileURL(%q, %d): got %q, %v, want %q", tt.base, tt.file, got, err, tt.want)
		}
	}
}

// serverData is what the servers of serverTests hold.
var serverData = content(9, 1000)

// serverTests are servers that misbehave in various ways.
var serverTests = []struct {
	name    string
	handler http.HandlerFunc
	off, n  int64
	cfg     Config
	err     string // substring; "" means success with serverData[off:off+n]
	status  int    // StatusError code expected, if any
}{
	{"ignores range", func(w http.ResponseWriter, r *http.Request) { w.Write(serverData) }, 100, 50, Config{}, "", 0},
	{"ignores range, too big", func(w http.ResponseWriter, r *http.Request) { w.Write(serverData) }, 100, 50, Config{MaxFullBody: 999},
		"status 200 OK: Range ignored and 1000 bytes exceed the 999 byte limit", 0},
	{"ignores range, chunked too big", func(w http.ResponseWriter, r *http.Request) {
		w.Write(serverData[:500])
		w.(http.Flusher).Flush()
		w.Write(serverData[500:])
	}, 100, 50, Config{MaxFullBody: 999}, "body exceeds the 999 byte limit", 0},
	{"ignores range, short", func(w http.ResponseWriter, r *http.Request) { w.Write(serverData[:120]) }, 100, 50, Config{},
		"body has 120 bytes, want at least 150", 0},
	{"wrong content-range", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Range", "bytes 0-49/1000")
		w.WriteHeader(http.StatusPartialContent)
		w.Write(serverData[:50])
	}, 100, 50, Config{}, `Content-Range "bytes 0-49/1000", want bytes 100-149`, 0},
	{"missing content-range", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusPartialContent)
		w.Write(serverData[100:150])
	}, 100, 50, Config{}, `Content-Range "", want bytes 100-149`, 0},
	{"range past size", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Range", "bytes 100-149/120")
		w.WriteHeader(http.StatusPartialContent)
		w.Write(serverData[100:150])
	}, 100, 50, Config{}, "Content-Range", 0},
	{"truncated", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Range", "bytes 100-149/1000")
		w.Header().Set("Content-Length", "50")
		w.WriteHeader(http.StatusPartialContent)
		w.Write(serverData[100:120])
	}, 100, 50, Config{}, "status 206 Partial Content: short body: 20 of 50 bytes", 0},
	{"gzip", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(serverData)
	}, 0, 10, Config{}, `Content-Encoding "gzip"`, 0},
	{"not found", http.NotFound, 0, 10, Config{}, "status 404 Not Found", 404},
	{"range not satisfiable", func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "x", time.Time{}, bytes.NewReader(serverData))
	}, 2000, 10, Config{}, "status 416", 416},
}

// TestFetchURLServers covers servers that misbehave in various ways.
func TestFetchURLServers(t *testing.T) {
	for _, tt := range serverTests {
		t.Run(tt.name, func(t *testing.T) {
			ts := httptest.NewServer(tt.handler)
			defer ts.Close()
			u := ts.URL + "/seg.ts"
			got, err := New(tt.cfg).FetchURL(context.Background(), u, tt.off, tt.n)
			if tt.err == "" {
				if err != nil || !bytes.Equal(got, serverData[tt.off:tt.off+tt.n]) {
					t.Fatalf("got %d bytes, %v, want %d matching bytes", len(got), err, tt.n)
				}
				return
			}
			if !errors.Is(err, ErrBadResponse) || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), u) {
				t.Fatalf("got error %v, want ErrBadResponse naming %s and containing %q", err, u, tt.err)
			}
			gotStatus := 0
			if se := (*StatusError)(nil); errors.As(err, &se) {
				gotStatus = se.StatusCode
			}
			if gotStatus != tt.status {
				t.Fatalf("got StatusError code %d, want %d", gotStatus, tt.status)
			}
		})
	}
}

func TestFetchContextCanceled(t *testing.T) {
	started := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Range", "bytes 0-99/100")
		w.WriteHeader(http.StatusPartialContent)
		w.Write(make([]byte, 10))
		w.(http.Flusher).Flush()
		close(started)
		<-r.Context().Done()
	}))
	defer ts.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	_, err := New(Config{}).FetchURL(ctx, ts.URL, 0, 100)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got error %v, want context.Canceled", err)
	}
}

func TestFetchBadArguments(t *testing.T) {
	m := &piece.Manifest{Name: "f", Files: []piece.File{{Path: "f", Size: 100}}}
	c := New(Config{MaxBody: 50})
	tests := []struct {
		name string
		run  func() error
		want error
	}{
		{"past end", func() error { _, err := c.Fetch(context.Background(), "http://h/f", m, 90, 20); return err }, piece.ErrOutOfRange},
		{"negative offset", func() error { _, err := c.Fetch(context.Background(), "http://h/f", m, -1, 10); return err }, ErrBadRange},
		{"over MaxBody", func() error { _, err := c.Fetch(context.Background(), "http://h/f", m, 0, 51); return err }, ErrBadRange},
		{"url negative", func() error { _, err := c.FetchURL(context.Background(), "http://h/f", -1, 1); return err }, ErrBadRange},
		{"url over MaxBody", func() error { _, err := c.FetchURL(context.Background(), "http://h/f", 0, 51); return err }, ErrBadRange},
	}
	for _, tt := range tests {
		if err := tt.run(); !errors.Is(err, tt.want) {
			t.Errorf("%s: got error %v, want %v", tt.name, err, tt.want)
		}
	}
	if _, err := c.FetchURL(context.Background(), "file:///etc/passwd", 0, 1); err == nil {
		t.Errorf("file URL: got nil error, want an error")
	}
}

func TestFetchUnreachable(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	u := ts.URL + "/x"
	ts.Close()
	_, err := New(Config{}).FetchURL(context.Background(), u, 0, 1)
	if want := fmt.Sprintf("origin: GET %s: dial tcp", u); err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("got error %v, want prefix %q", err, want)
	}
}

package gateway

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// lateStream is a memStream whose first segment turns up, Ready, only after
// the gateway has looked once and found nothing.
type lateStream struct {
	*memStream
	mu    sync.Mutex // guards looks
	looks int
}

func (s *lateStream) Segments(r uint8) []SegmentInfo {
	s.mu.Lock()
	s.looks++
	first := s.looks == 1
	s.mu.Unlock()
	segs := s.memStream.Segments(r)
	if first {
		s.add(0, segAt(0), []byte("segment zero"))
	}
	return segs
}

func TestPlaylistHold(t *testing.T) {
	tests := []struct {
		name string
		hold time.Duration
		want int
	}{
		{"held until a segment is listable", 10 * time.Second, http.StatusOK},
		{"no hold answers at once", 0, http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stream := &lateStream{memStream: newMemStream(Rendition{Index: 0, Bandwidth: 500_000})}
			clk := &clock{t: at(10 * time.Second)}
			s, err := New(Config{Stream: stream, Now: clk.Now, PlaylistHold: tt.hold})
			if err != nil {
				t.Fatal(err)
			}
			w := httptest.NewRecorder()
			s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/live/0/index.m3u8", nil))
			if w.Code != tt.want {
				t.Errorf("got status %d, want %d", w.Code, tt.want)
			}
		})
	}
}

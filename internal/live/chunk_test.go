package live

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/shoal-p2p/shoal/internal/piece"
)

func TestChunkHashes(t *testing.T) {
	data := bytes.Repeat([]byte("abcdefgh"), 512) // 4096 bytes
	tests := []struct {
		name      string
		size      int
		chunkSize int
		wantLens  []int
	}{
		{"empty", 0, 1024, nil},
		{"shorter than a chunk", 10, 1024, []int{10}},
		{"exact multiple", 4096, 1024, []int{1024, 1024, 1024, 1024}},
		{"remainder", 4000, 1024, []int{1024, 1024, 1024, 928}},
		{"one byte over", 1025, 1024, []int{1024, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ChunkHashes(data[:tt.size], tt.chunkSize)
			if len(got) != len(tt.wantLens) {
				t.Fatalf("got %d hashes, want %d", len(got), len(tt.wantLens))
			}
			off := 0
			for i, n := range tt.wantLens {
				if want := piece.HashBytes(data[off : off+n]); got[i] != want {
					t.Errorf("chunk %d: got hash %x, want %x", i, got[i][:4], want[:4])
				}
				off += n
			}
		})
	}
}

func TestChunkLenAndVerifyChunk(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 250) // 2500 bytes: 1024, 1024, 452
	seg := Segment{Sequence: 9, Duration: 2 * time.Second, Data: data, ProgramDateTime: time.Now()}
	a, err := NewAnnouncement(piece.ID{1}, seg, 1024)
	if err != nil {
		t.Fatalf("NewAnnouncement: %v", err)
	}
	wantLens := []int{1024, 1024, 452}
	for i, want := range wantLens {
		if got := ChunkLen(a, i); got != want {
			t.Errorf("ChunkLen(%d) = %d, want %d", i, got, want)
		}
		off := ChunkOffset(a, i)
		if err := VerifyChunk(a, i, data[off:off+int64(want)]); err != nil {
			t.Errorf("VerifyChunk(%d) of the right bytes: %v", i, err)
		}
	}
	tampered := bytes.Clone(data[1024:2048])
	tampered[100] ^= 1
	tests := []struct {
		name string
		i    int
		data []byte
	}{
		{"index past end", 3, data[:452]},
		{"negative index", -1, data[:1024]},
		{"short", 0, data[:1023]},
		{"long", 2, data[2048-1:]},
		{"wrong chunk", 0, data[1024:2048]},
		{"flipped bit", 1, tampered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := VerifyChunk(a, tt.i, tt.data); !errors.Is(err, ErrBadChunk) {
				t.Fatalf("got %v, want ErrBadChunk", err)
			}
		})
	}
	if got := ChunkLen(a, 3); got != 0 {
		t.Errorf("ChunkLen past the end = %d, want 0", got)
	}
}

func TestNewAnnouncementRejects(t *testing.T) {
	ok := Segment{Duration: time.Second, Data: []byte("x")}
	tests := []struct {
		name      string
		seg       Segment
		chunkSize int
	}{
		{"chunk size too small", ok, 512},
		{"chunk size too big", ok, 2 << 20},
		{"empty segment", Segment{Duration: time.Second}, 1024},
		{"no duration", Segment{Data: []byte("x")}, 1024},
		{"too long", Segment{Duration: 61 * time.Second, Data: []byte("x")}, 1024},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewAnnouncement(piece.ID{}, tt.seg, tt.chunkSize); !errors.Is(err, ErrBadAnnouncement) {
				t.Fatalf("got %v, want ErrBadAnnouncement", err)
			}
		})
	}
}

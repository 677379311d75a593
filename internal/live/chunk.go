package live

import (
	"errors"
	"fmt"
	"time"

	"github.com/shoal-p2p/shoal/internal/piece"
)

// ErrBadChunk is returned by VerifyChunk for a chunk whose index, length or
// hash does not match its announcement.
var ErrBadChunk = errors.New("live: chunk does not match announcement")

// ChunkHashes cuts segment into chunks of chunkSize bytes (the last one may
// be shorter) and returns the SHA-256 of each. It returns nil for an empty
// segment and panics if chunkSize is not positive.
func ChunkHashes(segment []byte, chunkSize int) []piece.Hash {
	if chunkSize <= 0 {
		panic(fmt.Sprintf("live: chunk size %d is not positive", chunkSize))
	}
	if len(segment) == 0 {
		return nil
	}
	hashes := make([]piece.Hash, 0, (len(segment)+chunkSize-1)/chunkSize)
	for off := 0; off < len(segment); off += chunkSize {
		end := min(off+chunkSize, len(segment))
		hashes = append(hashes, piece.HashBytes(segment[off:end]))
	}
	return hashes
}

// ChunkLen returns the length of chunk i of the segment a announces: ChunkSize
// for all but the last chunk, the remainder for the last, and 0 when i is out
// of range.
func ChunkLen(a Announcement, i int) int {
	if i < 0 || i >= len(a.Chunks) || a.ChunkSize == 0 {
		return 0
	}
	off := uint64(i) * uint64(a.ChunkSize)
	if off >= a.Size {
		return 0
	}
	return int(min(uint64(a.ChunkSize), a.Size-off))
}

// ChunkOffset returns the byte offset of chunk i within its segment.
func ChunkOffset(a Announcement, i int) int64 {
	return int64(i) * int64(a.ChunkSize)
}

// VerifyChunk checks that data is chunk i of the segment a announces: the
// index exists, the length matches ChunkLen and the SHA-256 matches. The
// announcement itself must have been verified (Verify) by the caller.
func VerifyChunk(a Announcement, i int, data []byte) error {
	want := ChunkLen(a, i)
	if want == 0 {
		return fmt.Errorf("%w: sequence %d has no chunk %d", ErrBadChunk, a.Sequence, i)
	}
	if len(data) != want {
		return fmt.Errorf("%w: sequence %d chunk %d is %d bytes, want %d", ErrBadChunk, a.Sequence, i, len(data), want)
	}
	if piece.HashBytes(data) != a.Chunks[i] {
		return fmt.Errorf("%w: sequence %d chunk %d hash mismatch", ErrBadChunk, a.Sequence, i)
	}
	return nil
}

// NewAnnouncement builds the unsigned announcement of seg in channel, cut
// into chunks of chunkSize bytes. It fails with ErrBadAnnouncement when the
// segment or chunk size break the limits.
func NewAnnouncement(channel piece.ID, seg Segment, chunkSize int) (Announcement, error) {
	if chunkSize < MinChunkSize || chunkSize > MaxChunkSize {
		return Announcement{}, fmt.Errorf("%w: chunk size %d outside [%d, %d]", ErrBadAnnouncement, chunkSize, MinChunkSize, MaxChunkSize)
	}
	a := Announcement{
		Channel:       channel,
		Rendition:     seg.Rendition,
		Sequence:      seg.Sequence,
		Duration:      seg.Duration,
		Time:          seg.ProgramDateTime.Truncate(time.Millisecond).UTC(),
		Size:          uint64(len(seg.Data)),
		ChunkSize:     uint32(chunkSize),
		Discontinuity: seg.Discontinuity,
	}
	if len(seg.Data) > 0 {
		a.Chunks = ChunkHashes(seg.Data, chunkSize)
	}
	if err := a.Validate(); err != nil {
		return Announcement{}, err
	}
	return a, nil
}

package piece

import (
	"crypto/sha256"
	"fmt"
	"hash"
)

// Piece size bounds and the target number of pieces ChoosePieceSize aims at.
const (
	MinPieceSize    = 16 << 10
	MaxPieceSize    = 16 << 20
	targetMaxPieces = 2048
	minAutoPiece    = 256 << 10
)

// ChoosePieceSize returns the smallest power of two of at least 256 KiB that
// cuts total bytes into at most 2048 pieces, capped at MaxPieceSize.
func ChoosePieceSize(total int64) int64 {
	size := int64(minAutoPiece)
	for size < MaxPieceSize && ceilDiv(total, size) > targetMaxPieces {
		size <<= 1
	}
	return size
}

// ceilDiv returns ⌈a/b⌉ for a >= 0 and b > 0 without overflowing.
func ceilDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 {
		q++
	}
	return q
}

// Hasher computes piece hashes over a stream of content written to it in
// order, cutting it every pieceSize bytes regardless of write boundaries.
type Hasher struct {
	pieceSize int64
	filled    int64 // bytes written into the current piece
	h         hash.Hash
	sums      []Hash
}

// NewHasher returns a Hasher cutting pieces of pieceSize bytes. It panics if
// pieceSize is not positive.
func NewHasher(pieceSize int64) *Hasher {
	if pieceSize <= 0 {
		panic(fmt.Sprintf("piece: non-positive piece size %d", pieceSize))
	}
	return &Hasher{pieceSize: pieceSize, h: sha256.New()}
}

// Write hashes p; it never fails.
func (h *Hasher) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		room := h.pieceSize - h.filled
		take := int64(len(p))
		if take > room {
			take = room
		}
		h.h.Write(p[:take])
		h.filled += take
		p = p[take:]
		if h.filled == h.pieceSize {
			h.cut()
		}
	}
	return n, nil
}

func (h *Hasher) cut() {
	var sum Hash
	h.h.Sum(sum[:0])
	h.sums = append(h.sums, sum)
	h.h.Reset()
	h.filled = 0
}

// Sum closes the last, possibly short, piece and returns every piece hash.
// Content of zero bytes has no pieces.
func (h *Hasher) Sum() []Hash {
	if h.filled > 0 {
		h.cut()
	}
	return h.sums
}

// VerifyPiece reports whether the concatenation of blocks hashes to want.
// It does not copy the blocks.
func VerifyPiece(want Hash, blocks ...[]byte) bool {
	d := sha256.New()
	for _, b := range blocks {
		d.Write(b)
	}
	var got Hash
	d.Sum(got[:0])
	return got == want
}

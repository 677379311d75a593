package wire

import "encoding/binary"

// MaxLiveHaveBytes is the largest LiveHave bitmap: one bit per chunk of the
// largest segment.
const MaxLiveHaveBytes = MaxLiveChunks / 8

// liveHaveHeaderLen is the length of LiveHave's fixed fields before Chunks.
const liveHaveHeaderLen = 1 + 8

// LiveHave announces every verified chunk the sender holds of one live
// segment. It replaces the sender's previous LiveHave for that segment.
// Chunks uses piece.Bitfield's layout (chunk 0 is the high bit of the first
// byte); the receiver checks its length and spare bits against the
// segment's chunk count.
//
// Encoding: u8 rendition, u64 sequence, then Chunks (1..MaxLiveHaveBytes
// bytes) to the end of the frame. A parsed Chunks aliases the parsed buffer.
type LiveHave struct {
	Rendition uint8
	Sequence  uint64
	Chunks    []byte
}

// Type returns TypeLiveHave.
func (LiveHave) Type() Type { return TypeLiveHave }

// Append appends the payload encoding of m to b.
func (m LiveHave) Append(b []byte) []byte {
	b = append(b, m.Rendition)
	b = binary.BigEndian.AppendUint64(b, m.Sequence)
	return append(b, m.Chunks...)
}

func parseLiveHave(p []byte) (LiveHave, error) {
	if len(p) < liveHaveHeaderLen {
		return LiveHave{}, malformed(TypeLiveHave, "%d bytes, want at least %d", len(p), liveHaveHeaderLen+1)
	}
	if n := len(p) - liveHaveHeaderLen; n == 0 || n > MaxLiveHaveBytes {
		return LiveHave{}, malformed(TypeLiveHave, "bitmap of %d bytes outside 1..%d", n, MaxLiveHaveBytes)
	}
	return LiveHave{
		Rendition: p[0],
		Sequence:  binary.BigEndian.Uint64(p[1:]),
		Chunks:    p[liveHaveHeaderLen:],
	}, nil
}

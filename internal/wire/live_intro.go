package wire

import "encoding/binary"

// LiveIntro introduces a live segment to a peer that has not seen it: the
// segment's announcement (as Announce carries it) and the sender's chunk
// map of it (as LiveHave carries it), in one message instead of two. The
// segment's rendition and sequence are the announcement's.
//
// Encoding: u32 announcement length (1..MaxAnnounceSize), the announcement,
// then Chunks (1..MaxLiveHaveBytes bytes) to the end of the frame. Parsed
// Announce and Chunks alias the parsed buffer.
type LiveIntro struct {
	Announce []byte
	Chunks   []byte
}

// Type returns TypeLiveIntro.
func (LiveIntro) Type() Type { return TypeLiveIntro }

// Append appends the payload encoding of m to b.
func (m LiveIntro) Append(b []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(m.Announce)))
	b = append(b, m.Announce...)
	return append(b, m.Chunks...)
}

func parseLiveIntro(p []byte) (LiveIntro, error) {
	if len(p) < 4 {
		return LiveIntro{}, malformed(TypeLiveIntro, "%d bytes, want at least 6", len(p))
	}
	n := binary.BigEndian.Uint32(p)
	if n == 0 || n > MaxAnnounceSize {
		return LiveIntro{}, malformed(TypeLiveIntro, "announcement of %d bytes outside 1..%d", n, MaxAnnounceSize)
	}
	rest := p[4:]
	if uint64(len(rest)) < uint64(n) {
		return LiveIntro{}, malformed(TypeLiveIntro, "announcement of %d bytes in %d", n, len(rest))
	}
	chunks := rest[n:]
	if len(chunks) == 0 || len(chunks) > MaxLiveHaveBytes {
		return LiveIntro{}, malformed(TypeLiveIntro, "bitmap of %d bytes outside 1..%d", len(chunks), MaxLiveHaveBytes)
	}
	return LiveIntro{Announce: rest[:n:n], Chunks: chunks}, nil
}

package wire

import "encoding/binary"

// MaxLiveChunks bounds the chunks of one live segment: a 64 MiB segment in
// 1 KiB chunks, the limits of live announcements. Chunk indexes are below it.
const MaxLiveChunks = 1 << 16

// chunkAddrLen is the encoded length of a live chunk address: rendition,
// sequence, chunk.
const chunkAddrLen = 1 + 8 + 4

// ChunkAddr names one chunk of a live stream: the segment's rendition and
// media sequence number, and the chunk's index within the segment.
type ChunkAddr struct {
	Rendition uint8
	Sequence  uint64
	Chunk     uint32
}

// appendAddr appends a: u8 rendition, u64 sequence, u32 chunk.
func appendAddr(b []byte, a ChunkAddr) []byte {
	b = append(b, a.Rendition)
	b = binary.BigEndian.AppendUint64(b, a.Sequence)
	return binary.BigEndian.AppendUint32(b, a.Chunk)
}

// parseAddr decodes the first chunkAddrLen bytes of p, which the caller has
// checked exist, and enforces the chunk index limit.
func parseAddr(t Type, p []byte) (ChunkAddr, error) {
	a := ChunkAddr{
		Rendition: p[0],
		Sequence:  binary.BigEndian.Uint64(p[1:]),
		Chunk:     binary.BigEndian.Uint32(p[9:]),
	}
	if a.Chunk >= MaxLiveChunks {
		return ChunkAddr{}, malformed(t, "chunk %d not below %d", a.Chunk, MaxLiveChunks)
	}
	return a, nil
}

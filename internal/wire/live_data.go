package wire

// LiveData carries one whole chunk of a live segment, answering a
// LiveRequest or pushed unasked by the broadcaster. The receiver checks it
// against the chunk hash in the segment's signed announcement.
//
// Encoding: u8 rendition, u64 sequence, u32 chunk, then the payload
// (1..MaxBlockSize bytes, the largest live chunk) to the end of the frame;
// chunk is below MaxLiveChunks. A parsed Payload aliases the parsed buffer.
type LiveData struct {
	ChunkAddr
	Payload []byte
}

// Type returns TypeLiveData.
func (LiveData) Type() Type { return TypeLiveData }

// Append appends the payload encoding of m to b.
func (m LiveData) Append(b []byte) []byte { return append(appendAddr(b, m.ChunkAddr), m.Payload...) }

func parseLiveData(p []byte) (LiveData, error) {
	if len(p) < chunkAddrLen {
		return LiveData{}, malformed(TypeLiveData, "%d bytes, want at least %d", len(p), chunkAddrLen+1)
	}
	if n := len(p) - chunkAddrLen; n == 0 || n > MaxBlockSize {
		return LiveData{}, malformed(TypeLiveData, "chunk length %d outside 1..%d", n, MaxBlockSize)
	}
	a, err := parseAddr(TypeLiveData, p)
	if err != nil {
		return LiveData{}, err
	}
	return LiveData{ChunkAddr: a, Payload: p[chunkAddrLen:]}, nil
}

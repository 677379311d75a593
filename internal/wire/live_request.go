package wire

// LiveRequest asks for one whole chunk of a live segment.
//
// Encoding: u8 rendition, u64 sequence, u32 chunk (13 bytes); chunk is below
// MaxLiveChunks.
type LiveRequest struct {
	ChunkAddr
}

// Type returns TypeLiveRequest.
func (LiveRequest) Type() Type { return TypeLiveRequest }

// Append appends the payload encoding of m to b.
func (m LiveRequest) Append(b []byte) []byte { return appendAddr(b, m.ChunkAddr) }

func parseLiveRequest(p []byte) (LiveRequest, error) {
	if err := wantLen(TypeLiveRequest, p, chunkAddrLen); err != nil {
		return LiveRequest{}, err
	}
	a, err := parseAddr(TypeLiveRequest, p)
	return LiveRequest{a}, err
}

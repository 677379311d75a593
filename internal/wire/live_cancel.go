package wire

// LiveCancel withdraws an earlier LiveRequest.
//
// Encoding: as LiveRequest: u8 rendition, u64 sequence, u32 chunk (13
// bytes); chunk is below MaxLiveChunks.
type LiveCancel struct {
	ChunkAddr
}

// Type returns TypeLiveCancel.
func (LiveCancel) Type() Type { return TypeLiveCancel }

// Append appends the payload encoding of m to b.
func (m LiveCancel) Append(b []byte) []byte { return appendAddr(b, m.ChunkAddr) }

func parseLiveCancel(p []byte) (LiveCancel, error) {
	if err := wantLen(TypeLiveCancel, p, chunkAddrLen); err != nil {
		return LiveCancel{}, err
	}
	a, err := parseAddr(TypeLiveCancel, p)
	return LiveCancel{a}, err
}

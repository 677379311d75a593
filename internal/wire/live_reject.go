package wire

// LiveReject refuses a LiveRequest, with Reject's reasons: RejectChoked (not
// serving the requester now), RejectNotHave (the chunk is not held, or left
// the window), RejectTooMany (upload queue full or too slow to serve in
// time) and RejectBadRange (no such segment or chunk).
//
// Encoding: the refused LiveRequest's u8 rendition, u64 sequence, u32 chunk,
// then a u8 reason (14 bytes); chunk is below MaxLiveChunks and reason one
// of the Reject constants.
type LiveReject struct {
	ChunkAddr
	Reason uint8
}

// Type returns TypeLiveReject.
func (LiveReject) Type() Type { return TypeLiveReject }

// Append appends the payload encoding of m to b.
func (m LiveReject) Append(b []byte) []byte { return append(appendAddr(b, m.ChunkAddr), m.Reason) }

func parseLiveReject(p []byte) (LiveReject, error) {
	if err := wantLen(TypeLiveReject, p, chunkAddrLen+1); err != nil {
		return LiveReject{}, err
	}
	a, err := parseAddr(TypeLiveReject, p)
	if err != nil {
		return LiveReject{}, err
	}
	r := p[chunkAddrLen]
	if r < RejectChoked || r > RejectBadRange {
		return LiveReject{}, malformed(TypeLiveReject, "reason %d outside %d..%d", r, RejectChoked, RejectBadRange)
	}
	return LiveReject{ChunkAddr: a, Reason: r}, nil
}

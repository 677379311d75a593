package wire

// Reject reasons.
const (
	RejectChoked   uint8 = 1 // the sender is not serving the requester now
	RejectNotHave  uint8 = 2 // the sender does not have that piece
	RejectTooMany  uint8 = 3 // too many pending requests from the requester
	RejectBadRange uint8 = 4 // the range lies outside the piece
)

// Reject refuses a Request.
//
// Encoding: the refused Request's u32 index, u32 begin, u32 length, then a u8
// reason (13 bytes); length is 1..MaxBlockSize and reason one of the Reject
// constants.
type Reject struct {
	Index, Begin, Length uint32
	Reason               uint8
}

// Type returns TypeReject.
func (Reject) Type() Type { return TypeReject }

// Append appends the payload encoding of m to b.
func (m Reject) Append(b []byte) []byte {
	return append(appendRange(b, m.Index, m.Begin, m.Length), m.Reason)
}

func parseReject(p []byte) (Reject, error) {
	if err := wantLen(TypeReject, p, rangeLen+1); err != nil {
		return Reject{}, err
	}
	i, o, n, err := parseRange(TypeReject, p)
	if err != nil {
		return Reject{}, err
	}
	r := p[rangeLen]
	if r < RejectChoked || r > RejectBadRange {
		return Reject{}, malformed(TypeReject, "reason %d outside %d..%d", r, RejectChoked, RejectBadRange)
	}
	return Reject{Index: i, Begin: o, Length: n, Reason: r}, nil
}

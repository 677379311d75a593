package wire

import "encoding/binary"

// rangeLen is the encoded length of a block range: index, begin, length.
const rangeLen = 12

// Request asks for Length bytes of piece Index starting at Begin.
//
// Encoding: u32 index, u32 begin, u32 length (12 bytes); length is
// 1..MaxBlockSize.
type Request struct {
	Index, Begin, Length uint32
}

// Type returns TypeRequest.
func (Request) Type() Type { return TypeRequest }

// Append appends the payload encoding of m to b.
func (m Request) Append(b []byte) []byte { return appendRange(b, m.Index, m.Begin, m.Length) }

func parseRequest(p []byte) (Request, error) {
	if err := wantLen(TypeRequest, p, rangeLen); err != nil {
		return Request{}, err
	}
	i, o, n, err := parseRange(TypeRequest, p)
	return Request{Index: i, Begin: o, Length: n}, err
}

// appendRange appends the block range shared by Request, Cancel and Reject.
func appendRange(b []byte, index, begin, length uint32) []byte {
	b = binary.BigEndian.AppendUint32(b, index)
	b = binary.BigEndian.AppendUint32(b, begin)
	return binary.BigEndian.AppendUint32(b, length)
}

// parseRange decodes the first rangeLen bytes of p, which the caller has
// checked exist, and enforces the block length limits.
func parseRange(t Type, p []byte) (index, begin, length uint32, err error) {
	index = binary.BigEndian.Uint32(p)
	begin = binary.BigEndian.Uint32(p[4:])
	length = binary.BigEndian.Uint32(p[8:])
	if length == 0 || length > MaxBlockSize {
		return 0, 0, 0, malformed(t, "block length %d outside 1..%d", length, MaxBlockSize)
	}
	return index, begin, length, nil
}

package wire

import "encoding/binary"

// MaxBlockSize is the largest block a Request, Cancel, Reject or Data may
// carry.
const MaxBlockSize = 1 << 20

// dataHeaderLen is the length of Data's fixed fields before the payload.
const dataHeaderLen = 8

// Data carries bytes of piece Index starting at Begin.
//
// Encoding: u32 index, u32 begin, then the payload (1..MaxBlockSize bytes)
// to the end of the frame. A parsed Payload aliases the parsed buffer.
type Data struct {
	Index, Begin uint32
	Payload      []byte
}

// Type returns TypeData.
func (Data) Type() Type { return TypeData }

// Append appends the payload encoding of m to b.
func (m Data) Append(b []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, m.Index)
	b = binary.BigEndian.AppendUint32(b, m.Begin)
	return append(b, m.Payload...)
}

func parseData(p []byte) (Data, error) {
	if len(p) < dataHeaderLen {
		return Data{}, malformed(TypeData, "%d bytes, want at least %d", len(p), dataHeaderLen+1)
	}
	n := len(p) - dataHeaderLen
	if n == 0 || n > MaxBlockSize {
		return Data{}, malformed(TypeData, "block length %d outside 1..%d", n, MaxBlockSize)
	}
	return Data{
		Index:   binary.BigEndian.Uint32(p),
		Begin:   binary.BigEndian.Uint32(p[4:]),
		Payload: p[dataHeaderLen:],
	}, nil
}

package wire

import "encoding/binary"

// Have announces one newly verified piece.
//
// Encoding: u32 piece index (4 bytes).
type Have struct {
	Index uint32
}

// Type returns TypeHave.
func (Have) Type() Type { return TypeHave }

// Append appends the payload encoding of m to b.
func (m Have) Append(b []byte) []byte { return binary.BigEndian.AppendUint32(b, m.Index) }

func parseHave(p []byte) (Have, error) {
	if err := wantLen(TypeHave, p, 4); err != nil {
		return Have{}, err
	}
	return Have{Index: binary.BigEndian.Uint32(p)}, nil
}

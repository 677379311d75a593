package wire

// MaxBitfieldBytes is the largest Bitfield payload: 8 Mi pieces.
const MaxBitfieldBytes = 1 << 20

// Bitfield announces every piece the sender has. Bits uses piece.Bitfield's
// wire layout; its length is checked against the manifest by the receiver.
//
// Encoding: the whole payload is Bits (0..MaxBitfieldBytes bytes). An empty
// payload parses as nil Bits.
type Bitfield struct {
	Bits []byte
}

// Type returns TypeBitfield.
func (Bitfield) Type() Type { return TypeBitfield }

// Append appends the payload encoding of m to b.
func (m Bitfield) Append(b []byte) []byte { return append(b, m.Bits...) }

func parseBitfield(p []byte) (Bitfield, error) {
	if len(p) > MaxBitfieldBytes {
		return Bitfield{}, malformed(TypeBitfield, "%d bytes, limit %d", len(p), MaxBitfieldBytes)
	}
	if len(p) == 0 {
		return Bitfield{}, nil
	}
	return Bitfield{Bits: p}, nil
}

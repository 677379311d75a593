package wire

// Cancel withdraws an earlier Request.
//
// Encoding: as Request: u32 index, u32 begin, u32 length (12 bytes); length
// is 1..MaxBlockSize.
type Cancel struct {
	Index, Begin, Length uint32
}

// Type returns TypeCancel.
func (Cancel) Type() Type { return TypeCancel }

// Append appends the payload encoding of m to b.
func (m Cancel) Append(b []byte) []byte { return appendRange(b, m.Index, m.Begin, m.Length) }

func parseCancel(p []byte) (Cancel, error) {
	if err := wantLen(TypeCancel, p, rangeLen); err != nil {
		return Cancel{}, err
	}
	i, o, n, err := parseRange(TypeCancel, p)
	return Cancel{Index: i, Begin: o, Length: n}, err
}

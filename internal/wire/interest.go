package wire

// Interested tells the receiver the sender wants pieces it has. Its payload
// is empty.
type Interested struct{}

// Type returns TypeInterested.
func (Interested) Type() Type { return TypeInterested }

// Append returns b unchanged: the payload is empty.
func (Interested) Append(b []byte) []byte { return b }

// NotInterested withdraws Interested. Its payload is empty.
type NotInterested struct{}

// Type returns TypeNotInterested.
func (NotInterested) Type() Type { return TypeNotInterested }

// Append returns b unchanged: the payload is empty.
func (NotInterested) Append(b []byte) []byte { return b }

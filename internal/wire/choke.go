package wire

// Choke tells the receiver its requests will be rejected until Unchoke.
// Its payload is empty.
type Choke struct{}

// Type returns TypeChoke.
func (Choke) Type() Type { return TypeChoke }

// Append returns b unchanged: the payload is empty.
func (Choke) Append(b []byte) []byte { return b }

// Unchoke tells the receiver it may send requests. Its payload is empty.
type Unchoke struct{}

// Type returns TypeUnchoke.
func (Unchoke) Type() Type { return TypeUnchoke }

// Append returns b unchanged: the payload is empty.
func (Unchoke) Append(b []byte) []byte { return b }

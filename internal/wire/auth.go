package wire

// MaxCredentialSize bounds the credential an Auth carries (an encoded
// access.Credential is at most 466 bytes).
const MaxCredentialSize = 512

// Auth proves membership of private content (docs/private.md): right after
// the Handshake on a private swarm, and as the request on the key protocol
// (KeysProtocolID). Credential is an encoded access.Credential; Proof is the
// member key's signature over an access.Context naming the purpose and both
// peers. The codec only bounds sizes; the receiver verifies.
//
// Encoding: 64-byte proof, then the credential to the end
// (1..MaxCredentialSize bytes). A parsed Credential aliases the buffer.
type Auth struct {
	Proof      [64]byte
	Credential []byte
}

// Type returns TypeAuth.
func (Auth) Type() Type { return TypeAuth }

// Append appends the payload encoding of m to b.
func (m Auth) Append(b []byte) []byte {
	b = append(b, m.Proof[:]...)
	return append(b, m.Credential...)
}

func parseAuth(p []byte) (Auth, error) {
	if n := len(p) - 64; n < 1 || n > MaxCredentialSize {
		return Auth{}, malformed(TypeAuth, "%d bytes, want 64 + 1..%d", len(p), MaxCredentialSize)
	}
	var m Auth
	copy(m.Proof[:], p)
	m.Credential = p[64:len(p):len(p)]
	return m, nil
}

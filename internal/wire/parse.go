package wire

import "fmt"

// Parse decodes the payload of a message of type t strictly: the payload must
// have exactly the encoded length, no trailing bytes, and every value within
// the protocol limits. It returns the value types of this package
// (Request, not *Request). Byte slices in the result (Data.Payload,
// Bitfield.Bits, Manifest.Data, Peers IDs and addresses, Announce.Data,
// LiveHave.Chunks, LiveIntro.Announce and Chunks, LiveData.Payload, Auth.Credential) alias payload.
//
// Errors wrap ErrMalformed, or ErrUnknownType for a type this version does
// not define.
func Parse(t Type, payload []byte) (Message, error) {
	switch t {
	case TypeHandshake:
		return ret(parseHandshake(payload))
	case TypeBitfield:
		return ret(parseBitfield(payload))
	case TypeHave:
		return ret(parseHave(payload))
	case TypeRequest:
		return ret(parseRequest(payload))
	case TypeData:
		return ret(parseData(payload))
	case TypeCancel:
		return ret(parseCancel(payload))
	case TypeReject:
		return ret(parseReject(payload))
	case TypeChoke:
		return ret(Choke{}, wantLen(t, payload, 0))
	case TypeUnchoke:
		return ret(Unchoke{}, wantLen(t, payload, 0))
	case TypeInterested:
		return ret(Interested{}, wantLen(t, payload, 0))
	case TypeNotInterested:
		return ret(NotInterested{}, wantLen(t, payload, 0))
	case TypeManifestRequest:
		return ret(parseManifestRequest(payload))
	case TypeManifest:
		return ret(parseManifest(payload))
	case TypePeers:
		return ret(parsePeers(payload))
	case TypeAnnounce:
		return ret(parseAnnounce(payload))
	case TypeLiveHave:
		return ret(parseLiveHave(payload))
	case TypeLiveRequest:
		return ret(parseLiveRequest(payload))
	case TypeLiveData:
		return ret(parseLiveData(payload))
	case TypeLiveCancel:
		return ret(parseLiveCancel(payload))
	case TypeLiveReject:
		return ret(parseLiveReject(payload))
	case TypeAuth:
		return ret(parseAuth(payload))
	case TypeKeys:
		return ret(parseKeys(payload))
	case TypeLiveIntro:
		return ret(parseLiveIntro(payload))
	}
	return nil, fmt.Errorf("%w: %d", ErrUnknownType, uint8(t))
}

// ret converts a typed parse result to Parse's, so that a failed parse
// returns a nil Message rather than a zero value.
func ret[M Message](m M, err error) (Message, error) {
	if err != nil {
		return nil, err
	}
	return m, nil
}

// malformed returns an error wrapping ErrMalformed for a message of type t.
func malformed(t Type, format string, args ...any) error {
	return fmt.Errorf("%w: %v: "+format, append([]any{ErrMalformed, t}, args...)...)
}

// wantLen checks that a fixed-size payload has exactly n bytes.
func wantLen(t Type, p []byte, n int) error {
	if len(p) != n {
		return malformed(t, "%d bytes, want %d", len(p), n)
	}
	return nil
}

// cursor decodes length-prefixed fields. After the first error every method
// returns zero values and err keeps that first error.
type cursor struct {
	t   Type
	b   []byte
	err error
}

// count reads a u8 count that must not exceed limit.
func (c *cursor) count(what string, limit int) int {
	if c.err != nil {
		return 0
	}
	if len(c.b) == 0 {
		c.err = malformed(c.t, "truncated before %s", what)
		return 0
	}
	n := int(c.b[0])
	c.b = c.b[1:]
	if n > limit {
		c.err = malformed(c.t, "%s %d exceeds %d", what, n, limit)
		return 0
	}
	return n
}

// field reads a u8 length (1..limit) and that many bytes, aliasing the input.
func (c *cursor) field(what string, limit int) []byte {
	n := c.count(what+" length", limit)
	if c.err != nil {
		return nil
	}
	if n == 0 {
		c.err = malformed(c.t, "empty %s", what)
		return nil
	}
	if len(c.b) < n {
		c.err = malformed(c.t, "%s of %d bytes truncated to %d", what, n, len(c.b))
		return nil
	}
	f := c.b[:n:n]
	c.b = c.b[n:]
	return f
}

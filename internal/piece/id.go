package piece

import (
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
)

// ID identifies a swarm. For static content it is the SHA-256 of the
// canonical manifest encoding (see Manifest.Encode).
type ID [32]byte

// Hash is a SHA-256 digest of one piece.
type Hash [32]byte

// HashBytes returns the SHA-256 digest of b.
func HashBytes(b []byte) Hash { return sha256.Sum256(b) }

// idEncoding is lowercase RFC 4648 base32 without padding: 52 characters for
// 32 bytes, safe in URLs, file names and terminals.
var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// idTextLen is the length of the base32 form of a 32-byte value.
const idTextLen = 52

// ErrBadID is returned when a textual swarm ID cannot be decoded.
var ErrBadID = errors.New("piece: malformed swarm id")

// String returns the base32 form of the ID used in links and logs.
func (id ID) String() string { return idEncoding.EncodeToString(id[:]) }

// IsZero reports whether the ID is all zero bytes.
func (id ID) IsZero() bool { return id == ID{} }

// ParseID decodes the base32 form produced by ID.String. ASCII upper case is
// accepted; anything else that is not exactly the 52-character canonical
// base32 form of 32 bytes is an error (no line breaks, no non-zero unused
// trailing bits), so every ID has exactly one lower-case text form.
func ParseID(s string) (ID, error) {
	b, err := decode32(s)
	if err != nil {
		return ID{}, fmt.Errorf("%w: %v", ErrBadID, err)
	}
	return ID(b), nil
}

// decode32 decodes the canonical base32 form of a 32-byte value (IDs and
// link keys). Its errors carry no package prefix; callers wrap them.
func decode32(s string) ([32]byte, error) {
	var v [32]byte
	if len(s) != idTextLen {
		return v, fmt.Errorf("%d characters, want %d", len(s), idTextLen)
	}
	lower := make([]byte, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i] = c
	}
	n, err := idEncoding.Decode(v[:], lower)
	if err != nil {
		return v, err
	}
	if n != len(v) || idEncoding.EncodeToString(v[:]) != string(lower) {
		return v, errors.New("not canonical base32")
	}
	return v, nil
}

package piece

import (
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
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

// ErrBadID is returned when a textual swarm ID cannot be decoded.
var ErrBadID = errors.New("piece: malformed swarm id")

// String returns the base32 form of the ID used in links and logs.
func (id ID) String() string { return idEncoding.EncodeToString(id[:]) }

// IsZero reports whether the ID is all zero bytes.
func (id ID) IsZero() bool { return id == ID{} }

// ParseID decodes the base32 form produced by ID.String. Upper case is
// accepted; anything else that is not exactly 32 bytes of base32 is an error.
func ParseID(s string) (ID, error) {
	var id ID
	b, err := idEncoding.DecodeString(strings.ToLower(s))
	if err != nil {
		return id, fmt.Errorf("%w: %v", ErrBadID, err)
	}
	if len(b) != len(id) {
		return id, fmt.Errorf("%w: %d bytes, want %d", ErrBadID, len(b), len(id))
	}
	copy(id[:], b)
	return id, nil
}

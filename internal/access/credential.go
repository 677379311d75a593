package access

import (
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/shoal-p2p/shoal/internal/piece"
)

// Limits of a credential's fields.
const (
	MaxMemberLen  = 64  // longest member name, in bytes
	MaxChannelLen = 255 // longest channel name, in bytes
	// MaxCredentialLen is the longest encoded Credential, signature included.
	MaxCredentialLen = credFixedLen + MaxChannelLen + MaxMemberLen + ed25519.SignatureSize
)

// Layout of the canonical encoding (integers big endian):
//
//	version 1 | swarm 32 | issued unix s 8 | expires unix s 8 | member key 32 |
//	channel length 1 | channel | member length 1 | member | signature 64
const (
	credVersion  = 1
	credFixedLen = 1 + 32 + 8 + 8 + ed25519.PublicKeySize + 1 + 1
	credDomain   = "shoal-credential-v1\x00"
)

// clockSkew is how far in the future a credential's issue time may lie
// before it is refused as not yet valid.
const clockSkew = 5 * time.Minute

// Errors callers branch on. Every error of this package wraps one of them.
var (
	// ErrMalformed reports an encoding that does not decode strictly.
	ErrMalformed = errors.New("access: malformed token")
	// ErrBadSignature reports a credential not signed by the owner key, or
	// a proof not signed by the credential's member key.
	ErrBadSignature = errors.New("access: bad signature")
	// ErrWrongSwarm reports a credential issued for other content.
	ErrWrongSwarm = errors.New("access: token is for other content")
	// ErrExpired reports a credential past its expiry time.
	ErrExpired = errors.New("access: token expired")
	// ErrNotYetValid reports a credential issued in the future.
	ErrNotYetValid = errors.New("access: token not valid yet")
)

// Claims are what the owner vouches for in a Credential.
type Claims struct {
	Swarm   piece.ID  // the content: a live channel ID or a file swarm ID
	Channel string    // the live channel name (with the owner key it makes Swarm); empty for files
	Member  string    // who the token was issued to; the name revocation lists use
	Issued  time.Time // second precision
	Expires time.Time // second precision; the token is refused from then on
}

// Credential is the public part of a token: the claims, the member's public
// key and the owner's signature over both.
type Credential struct {
	Claims
	MemberKey ed25519.PublicKey
	Signature [ed25519.SignatureSize]byte
}

// check validates the fields against the limits of the encoding.
func (c *Claims) check() error {
	switch {
	case c.Member == "" || len(c.Member) > MaxMemberLen:
		return fmt.Errorf("%w: member name of %d bytes, want 1..%d", ErrMalformed, len(c.Member), MaxMemberLen)
	case len(c.Channel) > MaxChannelLen:
		return fmt.Errorf("%w: channel name of %d bytes, want at most %d", ErrMalformed, len(c.Channel), MaxChannelLen)
	case !c.Expires.After(c.Issued):
		return fmt.Errorf("%w: expiry %s not after issue time %s", ErrMalformed, c.Expires.UTC(), c.Issued.UTC())
	}
	if err := CheckMember(c.Member); err != nil {
		return err
	}
	if !utf8.ValidString(c.Channel) || strings.ContainsFunc(c.Channel, unicode.IsControl) {
		return fmt.Errorf("%w: channel name is not printable UTF-8", ErrMalformed)
	}
	return nil
}

// CheckMember accepts member names that fit a token and a revocation list
// (one name per line): 1..MaxMemberLen bytes of UTF-8 without control
// characters or surrounding white space.
func CheckMember(name string) error {
	switch {
	case name == "" || len(name) > MaxMemberLen:
		return fmt.Errorf("%w: member name of %d bytes, want 1..%d", ErrMalformed, len(name), MaxMemberLen)
	case !utf8.ValidString(name) || strings.ContainsFunc(name, unicode.IsControl):
		return fmt.Errorf("%w: member name %q is not printable UTF-8", ErrMalformed, name)
	case strings.TrimSpace(name) != name:
		return fmt.Errorf("%w: member name %q has surrounding white space", ErrMalformed, name)
	}
	return nil
}

// appendFields appends the encoding of every field but the signature.
func (c *Credential) appendFields(b []byte) []byte {
	b = append(b, credVersion)
	b = append(b, c.Swarm[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(c.Issued.Unix()))
	b = binary.BigEndian.AppendUint64(b, uint64(c.Expires.Unix()))
	b = append(b, c.MemberKey...)
	b = append(b, byte(len(c.Channel)))
	b = append(b, c.Channel...)
	b = append(b, byte(len(c.Member)))
	return append(b, c.Member...)
}

// Append appends the canonical encoding of c, signature included, to b.
func (c Credential) Append(b []byte) []byte {
	return append(c.appendFields(b), c.Signature[:]...)
}

// signed returns the message the owner signs: a domain prefix and the fields.
func (c *Credential) signed() []byte {
	return c.appendFields([]byte(credDomain))
}

// ParseCredential decodes the canonical encoding strictly: known version,
// exact length, valid names, expiry after issue. The signature is not
// checked; see Verify.
func ParseCredential(b []byte) (Credential, error) {
	var c Credential
	if len(b) < credFixedLen+ed25519.SignatureSize || len(b) > MaxCredentialLen {
		return c, fmt.Errorf("%w: credential of %d bytes", ErrMalformed, len(b))
	}
	if b[0] != credVersion {
		return c, fmt.Errorf("%w: credential version %d, want %d", ErrMalformed, b[0], credVersion)
	}
	p := b[1:]
	p = p[copy(c.Swarm[:], p):]
	c.Issued, p = time.Unix(int64(binary.BigEndian.Uint64(p)), 0).UTC(), p[8:]
	c.Expires, p = time.Unix(int64(binary.BigEndian.Uint64(p)), 0).UTC(), p[8:]
	c.MemberKey, p = ed25519.PublicKey(append([]byte(nil), p[:ed25519.PublicKeySize]...)), p[ed25519.PublicKeySize:]
	var ok bool
	if c.Channel, p, ok = lenString(p); !ok {
		return Credential{}, fmt.Errorf("%w: channel name truncated", ErrMalformed)
	}
	if c.Member, p, ok = lenString(p); !ok {
		return Credential{}, fmt.Errorf("%w: member name truncated", ErrMalformed)
	}
	if len(p) != ed25519.SignatureSize {
		return Credential{}, fmt.Errorf("%w: %d bytes after the names, want a %d-byte signature", ErrMalformed, len(p), ed25519.SignatureSize)
	}
	copy(c.Signature[:], p)
	if err := c.check(); err != nil {
		return Credential{}, err
	}
	return c, nil
}

// lenString reads a u8 length and that many bytes.
func lenString(p []byte) (string, []byte, bool) {
	if len(p) < 1 || len(p) < 1+int(p[0]) {
		return "", nil, false
	}
	n := int(p[0])
	return string(p[1 : 1+n]), p[1+n:], true
}

// Verify checks that c was signed by the owner key, names swarm, and is
// valid at now. Errors wrap ErrBadSignature, ErrWrongSwarm, ErrExpired or
// ErrNotYetValid.
func (c *Credential) Verify(owner ed25519.PublicKey, swarm piece.ID, now time.Time) error {
	if len(owner) != ed25519.PublicKeySize || !ed25519.Verify(owner, c.signed(), c.Signature[:]) {
		return fmt.Errorf("%w: token of member %q was not issued with this content's key", ErrBadSignature, c.Member)
	}
	if c.Swarm != swarm {
		return fmt.Errorf("%w: token of member %q is for %s, not %s", ErrWrongSwarm, c.Member, c.Swarm, swarm)
	}
	if !now.Before(c.Expires) {
		return fmt.Errorf("%w: token of member %q expired at %s", ErrExpired, c.Member, c.Expires.UTC().Format(time.RFC3339))
	}
	if c.Issued.After(now.Add(clockSkew)) {
		return fmt.Errorf("%w: token of member %q is issued at %s, in the future", ErrNotYetValid, c.Member, c.Issued.UTC().Format(time.RFC3339))
	}
	return nil
}

package access

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"time"
)

// tokenPrefix opens the printable form of a version 1 token.
const tokenPrefix = "st1."

// MaxTokenLen is the longest printable token ParseToken accepts.
const MaxTokenLen = len(tokenPrefix) + (MaxCredentialLen*4+2)/3 + 1 + (ed25519.SeedSize*4+2)/3

// b64 is the printable alphabet: URL-safe base64 without padding.
var b64 = base64.RawURLEncoding.Strict()

// Token is a member's credential and the private key that makes proofs
// with it. It is a secret: whoever holds it is the member.
type Token struct {
	Credential
	memberKey ed25519.PrivateKey
}

// Issue makes a token for claims signed with the owner key; the member key
// pair is drawn from random (crypto/rand.Reader when nil). Issued and
// Expires are truncated to seconds.
func Issue(owner ed25519.PrivateKey, claims Claims, random io.Reader) (Token, error) {
	if len(owner) != ed25519.PrivateKeySize {
		return Token{}, fmt.Errorf("access: issue: owner key of %d bytes, want %d", len(owner), ed25519.PrivateKeySize)
	}
	claims.Issued = claims.Issued.Truncate(time.Second).UTC()
	claims.Expires = claims.Expires.Truncate(time.Second).UTC()
	if err := claims.check(); err != nil {
		return Token{}, fmt.Errorf("access: issue: %w", err)
	}
	pub, priv, err := ed25519.GenerateKey(random)
	if err != nil {
		return Token{}, fmt.Errorf("access: issue: %w", err)
	}
	t := Token{Credential: Credential{Claims: claims, MemberKey: pub}, memberKey: priv}
	copy(t.Signature[:], ed25519.Sign(owner, t.signed()))
	return t, nil
}

// String returns the printable form: "st1." then the credential and the
// member's key seed, each in unpadded URL-safe base64, joined by ".".
func (t Token) String() string {
	return tokenPrefix + b64.EncodeToString(t.Credential.Append(nil)) + "." + b64.EncodeToString(t.memberKey.Seed())
}

// ParseToken decodes the printable form strictly: surrounding white space is
// ignored; the prefix, both parts and their base64 must be exact, the
// credential must parse and the seed must be the credential's member key.
// It does not check the owner's signature or expiry; see Credential.Verify.
func ParseToken(s string) (Token, error) {
	s = strings.TrimSpace(s)
	if len(s) > MaxTokenLen {
		return Token{}, fmt.Errorf("%w: %d characters, limit %d", ErrMalformed, len(s), MaxTokenLen)
	}
	rest, ok := strings.CutPrefix(s, tokenPrefix)
	if !ok {
		return Token{}, fmt.Errorf("%w: does not start with %q", ErrMalformed, tokenPrefix)
	}
	credText, seedText, ok := strings.Cut(rest, ".")
	if !ok {
		return Token{}, fmt.Errorf("%w: want two parts after %q", ErrMalformed, tokenPrefix)
	}
	raw, err := b64.DecodeString(credText)
	if err != nil {
		return Token{}, fmt.Errorf("%w: credential: bad base64", ErrMalformed)
	}
	seed, err := b64.DecodeString(seedText)
	if err != nil || len(seed) != ed25519.SeedSize {
		return Token{}, fmt.Errorf("%w: member key: want %d bytes of base64", ErrMalformed, ed25519.SeedSize)
	}
	c, err := ParseCredential(raw)
	if err != nil {
		return Token{}, err
	}
	priv := ed25519.NewKeyFromSeed(seed)
	if !bytes.Equal(priv.Public().(ed25519.PublicKey), c.MemberKey) {
		return Token{}, fmt.Errorf("%w: member key does not match the credential", ErrMalformed)
	}
	return Token{Credential: c, memberKey: priv}, nil
}

// Prove signs context (see Context) with the member key.
func (t Token) Prove(context []byte) [ed25519.SignatureSize]byte {
	var sig [ed25519.SignatureSize]byte
	copy(sig[:], ed25519.Sign(t.memberKey, append([]byte(proofDomain), context...)))
	return sig
}

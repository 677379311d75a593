package access

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"

	"github.com/shoal-p2p/shoal/internal/piece"
)

// proofDomain prefixes every proof, so a member key's signature can never
// be taken for anything else.
const proofDomain = "shoal-proof-v1\x00"

// Purposes of a proof: each names where it is presented.
const (
	PurposePeer     = "peer"     // to a peer at the handshake: parts are the prover's and the verifier's peer IDs
	PurposeKeys     = "keys"     // to the owner's key service: parts as for PurposePeer
	PurposeAnnounce = "announce" // to a tracker: parts are the announced peer ID and the time (unix seconds, decimal)
)

// Context returns what a proof for purpose about swarm signs: the purpose,
// the swarm and the parts, each length-prefixed so that no two different
// inputs give the same bytes.
func Context(purpose string, swarm piece.ID, parts ...[]byte) []byte {
	b := appendPart(nil, []byte(purpose))
	b = append(b, swarm[:]...)
	for _, p := range parts {
		b = appendPart(b, p)
	}
	return b
}

func appendPart(b, p []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
	return append(b, p...)
}

// CheckProof checks that sig is the member's signature over context. The
// credential itself must be verified too (Verify).
func (c *Credential) CheckProof(context []byte, sig [ed25519.SignatureSize]byte) error {
	if len(c.MemberKey) != ed25519.PublicKeySize || !ed25519.Verify(c.MemberKey, append([]byte(proofDomain), context...), sig[:]) {
		return fmt.Errorf("%w: proof of member %q does not match its credential", ErrBadSignature, c.Member)
	}
	return nil
}

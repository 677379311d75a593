// Package access holds what private content needs and no I/O: membership
// tokens signed by the content owner's Ed25519 key, the proofs a token's
// holder makes to peers, trackers and the key service, epoch content keys
// derived from the owner's key, the AES-256-GCM sealing of live segments
// under them, and the sealing of a private file share's pieces under a
// random content key of its own (docs/private.md).
//
// A Token is a Credential (swarm, channel, member name, member public key,
// issue and expiry time, signed by the owner) plus the member's private key.
// Only the Credential is ever sent: with it goes a proof, the member's
// signature over a context that names the purpose and both ends (Context),
// so a Credential seen by one peer cannot be replayed to another.
package access

package swarm

import (
	"crypto/ed25519"

	"github.com/shoal-p2p/shoal/internal/live"
)

// LiveVerifier checks what a live engine receives: announcements from
// peers and the runtime, chunks from peers and the origin, and what the
// broadcaster publishes. LiveConfig.Verifier nil means the real checks
// (Ed25519 signature, SHA-256 per chunk), which is what every runtime
// uses; there is no way to switch verification off. The simulator supplies
// an equivalent that recognises its own genuine buffers instead of hashing
// them, as its file driver does for pieces, so that thousands of engines
// fit in one process.
type LiveVerifier interface {
	// Announcement parses raw and verifies its signature under key.
	Announcement(raw []byte, key ed25519.PublicKey) (live.Announcement, error)
	// Chunk returns nil if b is chunk c of the segment a announces.
	Chunk(a *live.Announcement, c int, b []byte) error
}

// cryptoVerifier is the default LiveVerifier.
type cryptoVerifier struct{}

var _ LiveVerifier = cryptoVerifier{}

// Announcement parses raw and checks its Ed25519 signature.
func (cryptoVerifier) Announcement(raw []byte, key ed25519.PublicKey) (live.Announcement, error) {
	a, err := live.ParseAnnouncement(raw)
	if err != nil {
		return a, err
	}
	return a, a.Verify(key)
}

// Chunk checks b against the chunk's SHA-256 in a.
func (cryptoVerifier) Chunk(a *live.Announcement, c int, b []byte) error {
	return live.VerifyChunk(*a, c, b)
}

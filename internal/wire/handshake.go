package wire

import (
	"encoding/binary"

	"github.com/shoal-p2p/shoal/internal/piece"
)

// handshakeLen is the exact payload length of a Handshake.
const handshakeLen = 2 + len(piece.ID{}) + 1

// Role flags announced in the handshake.
const (
	RoleSeed        uint8 = 1 << 0 // has every piece
	RoleHasManifest uint8 = 1 << 1 // can answer ManifestRequest
	RolePrivate     uint8 = 1 << 2 // private content: an Auth must follow the Handshake (docs/private.md)
)

// Handshake is the first message in each direction on a new stream.
//
// Encoding: u16 version, 32-byte swarm ID, u8 role flags (35 bytes). The codec
// accepts any version and any role bits; deciding whether to talk to the peer
// is the caller's job.
type Handshake struct {
	Version uint16
	Swarm   piece.ID
	Roles   uint8
}

// Type returns TypeHandshake.
func (Handshake) Type() Type { return TypeHandshake }

// Append appends the payload encoding of m to b.
func (m Handshake) Append(b []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, m.Version)
	b = append(b, m.Swarm[:]...)
	return append(b, m.Roles)
}

func parseHandshake(p []byte) (Handshake, error) {
	if err := wantLen(TypeHandshake, p, handshakeLen); err != nil {
		return Handshake{}, err
	}
	var m Handshake
	m.Version = binary.BigEndian.Uint16(p)
	copy(m.Swarm[:], p[2:])
	m.Roles = p[handshakeLen-1]
	return m, nil
}

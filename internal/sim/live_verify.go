package sim

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"fmt"

	"github.com/shoal-p2p/shoal/internal/live"
	"github.com/shoal-p2p/shoal/internal/swarm"
)

// segVerifier is the engines' swarm.LiveVerifier in a live run. Every
// genuine announcement is one signed encoding the driver made, and every
// genuine chunk is a sub-slice of the driver's segment buffer at the
// chunk's offset, because nothing copies payloads. So an announcement is
// checked by comparing its bytes with the genuine encoding of its
// (rendition, sequence), and a chunk by comparing addresses: equivalent to
// the Ed25519 and SHA-256 checks for every input a run produces, without
// their cost. Segments the driver no longer keeps fall back to the real
// checks, which hold since the buffers carry real bytes.
type segVerifier struct{ lv *liveRun }

var _ swarm.LiveVerifier = (*segVerifier)(nil)

// errForged is returned for an announcement that differs from the genuine
// encoding of its segment: only the broadcaster signs, once per segment.
var errForged = fmt.Errorf("%w: not the broadcaster's announcement", live.ErrBadSignature)

// errNotGenuine is returned for a chunk that is not the genuine buffer.
var errNotGenuine = fmt.Errorf("%w: not the genuine bytes", live.ErrBadChunk)

// Announcement implements swarm.LiveVerifier.
func (v *segVerifier) Announcement(raw []byte, key ed25519.PublicKey) (live.Announcement, error) {
	if r, seq, ok := announceAddr(raw); ok && bytes.Equal(key, v.lv.pub) {
		if sg := v.lv.get(r, seq); sg != nil {
			if !bytes.Equal(raw, sg.raw) {
				return live.Announcement{}, errForged
			}
			return sg.ann, nil
		}
	}
	a, err := live.ParseAnnouncement(raw)
	if err != nil {
		return a, err
	}
	return a, a.Verify(key)
}

// Chunk implements swarm.LiveVerifier.
func (v *segVerifier) Chunk(a *live.Announcement, c int, b []byte) error {
	sg := v.lv.get(a.Rendition, a.Sequence)
	if sg == nil || sg.ann.Signature != a.Signature {
		return live.VerifyChunk(*a, c, b)
	}
	n := live.ChunkLen(*a, c)
	off := live.ChunkOffset(*a, c)
	if n == 0 || len(b) != n || &b[0] != &sg.buf[off] {
		return errNotGenuine
	}
	return nil
}

// announceAddr reads the rendition and sequence of an announcement
// encoding (live.Announcement.Append) without parsing the rest.
func announceAddr(raw []byte) (uint8, uint64, bool) {
	const at = 32 // after the channel ID
	if len(raw) < at+1+8 {
		return 0, 0, false
	}
	return raw[at], binary.BigEndian.Uint64(raw[at+1:]), true
}

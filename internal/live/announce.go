package live

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/shoal-p2p/shoal/internal/piece"
)

// Limits enforced on every announcement, by ParseAnnouncement, Sign and
// NewAnnouncement alike.
const (
	MinChunkSize   = 1 << 10          // smallest chunk size, 1 KiB
	MaxChunkSize   = 1 << 20          // largest chunk size, 1 MiB
	MaxSegmentSize = 64 << 20         // largest segment, 64 MiB
	MaxDuration    = 60 * time.Second // longest segment
)

// Layout of the canonical encoding (all integers big endian):
//
//	channel 32 | rendition 1 | sequence 8 | duration ns 8 | time unix ms 8 |
//	size 8 | chunk size 4 | flags 1 | chunk count 4 | chunks 32×n | signature 64
const (
	headerLen    = 32 + 1 + 8 + 8 + 8 + 8 + 4 + 1 + 4
	signatureLen = ed25519.SignatureSize

	flagDiscontinuity = 1 << 0
)

// MaxAnnouncementLen is the longest canonical encoding an announcement within
// the limits can have; decoders of messages that carry one can bound on it.
const MaxAnnouncementLen = headerLen + (MaxSegmentSize/MinChunkSize)*sha256.Size + signatureLen

// Domain separation prefixes: a signature or ID made for one purpose can
// never be replayed as another.
const (
	announceDomain = "shoal-announce-v1\x00"
	channelDomain  = "shoal-channel-v1\x00"
)

var (
	// ErrBadAnnouncement is returned for an encoding or field values that
	// break the rules of the canonical form.
	ErrBadAnnouncement = errors.New("live: malformed announcement")
	// ErrBadSignature is returned by Verify when the signature does not
	// match the announcement and the channel key.
	ErrBadSignature = errors.New("live: bad announcement signature")
)

// Announcement tells a channel's swarm that a segment exists: where it sits in
// the stream, how big it is and the hash of each of its chunks, signed by the
// broadcaster's Ed25519 key so that peers can verify chunks as they arrive.
type Announcement struct {
	Channel       piece.ID      // ChannelID of the broadcaster's key and channel name
	Rendition     uint8         // index of the rendition (variant) within the channel
	Sequence      uint64        // media sequence number, strictly increasing per rendition
	Duration      time.Duration // playback duration, 0 < Duration <= MaxDuration
	Time          time.Time     // wall clock of the segment start; millisecond precision
	Size          uint64        // segment length in bytes, 1..MaxSegmentSize
	ChunkSize     uint32        // MinChunkSize..MaxChunkSize; the last chunk may be shorter
	Chunks        []piece.Hash  // SHA-256 of each chunk, NumChunks(Size, ChunkSize) of them
	Discontinuity bool          // EXT-X-DISCONTINUITY precedes this segment
	Signature     [64]byte      // Ed25519 over AppendSigned
}

// ChannelID returns the swarm ID of the live channel name published under
// the broadcaster key pub: SHA-256 over a domain-separated, length-prefixed
// encoding of both.
func ChannelID(pub ed25519.PublicKey, name string) piece.ID {
	h := sha256.New()
	h.Write([]byte(channelDomain))
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(pub)))
	h.Write(n[:])
	h.Write(pub)
	binary.BigEndian.PutUint32(n[:], uint32(len(name)))
	h.Write(n[:])
	h.Write([]byte(name))
	return piece.ID(h.Sum(nil))
}

// NumChunks returns how many chunks of chunkSize bytes a segment of size
// bytes has: ceil(size/chunkSize), and 0 when chunkSize is 0.
func NumChunks(size uint64, chunkSize uint32) uint64 {
	if chunkSize == 0 {
		return 0
	}
	return (size + uint64(chunkSize) - 1) / uint64(chunkSize)
}

// Validate checks the fields against the limits of the canonical form. It
// does not check the signature.
func (a *Announcement) Validate() error {
	switch {
	case a.ChunkSize < MinChunkSize || a.ChunkSize > MaxChunkSize:
		return fmt.Errorf("%w: chunk size %d outside [%d, %d]", ErrBadAnnouncement, a.ChunkSize, MinChunkSize, MaxChunkSize)
	case a.Size == 0 || a.Size > MaxSegmentSize:
		return fmt.Errorf("%w: size %d outside [1, %d]", ErrBadAnnouncement, a.Size, MaxSegmentSize)
	case a.Duration <= 0 || a.Duration > MaxDuration:
		return fmt.Errorf("%w: duration %v outside (0, %v]", ErrBadAnnouncement, a.Duration, MaxDuration)
	case uint64(len(a.Chunks)) != NumChunks(a.Size, a.ChunkSize):
		return fmt.Errorf("%w: %d chunk hashes, want %d", ErrBadAnnouncement, len(a.Chunks), NumChunks(a.Size, a.ChunkSize))
	}
	return nil
}

// appendFields appends every field but the signature.
func (a *Announcement) appendFields(b []byte) []byte {
	b = append(b, a.Channel[:]...)
	b = append(b, a.Rendition)
	b = binary.BigEndian.AppendUint64(b, a.Sequence)
	b = binary.BigEndian.AppendUint64(b, uint64(a.Duration))
	b = binary.BigEndian.AppendUint64(b, uint64(a.Time.UnixMilli()))
	b = binary.BigEndian.AppendUint64(b, a.Size)
	b = binary.BigEndian.AppendUint32(b, a.ChunkSize)
	var flags byte
	if a.Discontinuity {
		flags |= flagDiscontinuity
	}
	b = append(b, flags)
	b = binary.BigEndian.AppendUint32(b, uint32(len(a.Chunks)))
	for _, h := range a.Chunks {
		b = append(b, h[:]...)
	}
	return b
}

// Append appends the canonical encoding of a, signature included, to b and
// returns the extended slice. It does not validate; see Validate.
func (a *Announcement) Append(b []byte) []byte {
	b = a.appendFields(b)
	return append(b, a.Signature[:]...)
}

// AppendSigned appends the message the signature covers to b: the prefix
// "shoal-announce-v1\x00" followed by the canonical encoding without the
// signature.
func (a *Announcement) AppendSigned(b []byte) []byte {
	b = append(b, announceDomain...)
	return a.appendFields(b)
}

// Sign validates a and sets its signature with the broadcaster key priv.
func (a *Announcement) Sign(priv ed25519.PrivateKey) error {
	if len(priv) != ed25519.PrivateKeySize {
		return fmt.Errorf("live: sign announcement: private key is %d bytes, want %d", len(priv), ed25519.PrivateKeySize)
	}
	if err := a.Validate(); err != nil {
		return err
	}
	copy(a.Signature[:], ed25519.Sign(priv, a.AppendSigned(nil)))
	return nil
}

// Verify checks that a is valid and signed by pub. It returns
// ErrBadSignature when the signature does not match and ErrBadAnnouncement
// when the fields break the limits.
func (a *Announcement) Verify(pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: public key is %d bytes, want %d", ErrBadSignature, len(pub), ed25519.PublicKeySize)
	}
	if err := a.Validate(); err != nil {
		return err
	}
	if !ed25519.Verify(pub, a.AppendSigned(nil), a.Signature[:]) {
		return fmt.Errorf("%w: channel %s rendition %d sequence %d", ErrBadSignature, a.Channel, a.Rendition, a.Sequence)
	}
	return nil
}

// ParseAnnouncement decodes the canonical encoding strictly: the input must
// be exactly as long as its chunk count says, the count must equal
// NumChunks(Size, ChunkSize), unknown flags must be clear and every limit must
// hold. Time is returned in UTC. The signature is not checked; see Verify.
func ParseAnnouncement(b []byte) (Announcement, error) {
	var a Announcement
	if len(b) < headerLen+signatureLen {
		return a, fmt.Errorf("%w: %d bytes, shorter than the fixed part", ErrBadAnnouncement, len(b))
	}
	copy(a.Channel[:], b)
	p := b[32:]
	a.Rendition, p = p[0], p[1:]
	a.Sequence, p = binary.BigEndian.Uint64(p), p[8:]
	dur, p := binary.BigEndian.Uint64(p), p[8:]
	ms, p := int64(binary.BigEndian.Uint64(p)), p[8:]
	a.Size, p = binary.BigEndian.Uint64(p), p[8:]
	a.ChunkSize, p = binary.BigEndian.Uint32(p), p[4:]
	flags, p := p[0], p[1:]
	count, p := binary.BigEndian.Uint32(p), p[4:]
	if dur > uint64(MaxDuration) {
		return a, fmt.Errorf("%w: duration %d ns too long", ErrBadAnnouncement, dur)
	}
	a.Duration = time.Duration(dur)
	a.Time = time.UnixMilli(ms).UTC()
	if flags&^flagDiscontinuity != 0 {
		return a, fmt.Errorf("%w: unknown flags %#x", ErrBadAnnouncement, flags)
	}
	a.Discontinuity = flags&flagDiscontinuity != 0
	if uint64(count) != NumChunks(a.Size, a.ChunkSize) {
		return a, fmt.Errorf("%w: %d chunk hashes, want %d", ErrBadAnnouncement, count, NumChunks(a.Size, a.ChunkSize))
	}
	if want := uint64(count)*sha256.Size + signatureLen; uint64(len(p)) != want {
		return a, fmt.Errorf("%w: %d bytes after the header, want %d", ErrBadAnnouncement, len(p), want)
	}
	a.Chunks = make([]piece.Hash, count)
	for i := range a.Chunks {
		p = p[copy(a.Chunks[i][:], p):]
	}
	copy(a.Signature[:], p)
	if err := a.Validate(); err != nil {
		return Announcement{}, err
	}
	return a, nil
}

// AnnouncementKey returns the rendition and sequence an encoded
// announcement names, read without parsing or checking the rest; ok is
// false when b is too short to hold them.
func AnnouncementKey(b []byte) (rendition uint8, sequence uint64, ok bool) {
	if len(b) < 32+1+8 {
		return 0, 0, false
	}
	return b[32], binary.BigEndian.Uint64(b[33:]), true
}

package access

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/shoal-p2p/shoal/internal/piece"
)

// Layout of sealed data:
//
//	magic "\x89SHL" 4 | version 1 | epoch 8 | nonce 12 | AES-256-GCM ciphertext and tag
//
// The header is authenticated with the caller's additional data. The magic
// starts with a byte no MPEG-TS (0x47) or fMP4 (box size) segment starts
// with, so sealed data is never mistaken for media.
const (
	sealMagic   = "\x89SHL"
	sealVersion = 1
	nonceLen    = 12
	tagLen      = 16
	// SealHeaderLen is the length of the header before the ciphertext.
	SealHeaderLen = len(sealMagic) + 1 + 8 + nonceLen
	// SealOverhead is how many bytes sealing adds to a plaintext.
	SealOverhead = SealHeaderLen + tagLen
)

var (
	// ErrBadSealed reports data that is not sealed in this format.
	ErrBadSealed = errors.New("access: malformed sealed data")
	// ErrDecrypt reports sealed data that does not open under the key: a
	// wrong key, or data altered or moved to another place.
	ErrDecrypt = errors.New("access: cannot decrypt")
)

// SegmentAAD returns the additional data a live segment is sealed with: its
// channel, rendition and sequence, so it opens only in its own place.
func SegmentAAD(channel piece.ID, rendition uint8, sequence uint64) []byte {
	b := append([]byte("shoal-segment-v1\x00"), channel[:]...)
	b = append(b, rendition)
	return binary.BigEndian.AppendUint64(b, sequence)
}

// Seal encrypts plaintext under key with a random nonce from random
// (crypto/rand.Reader when nil) and returns header and ciphertext. Random
// 96-bit nonces never need state: a restarted sealer cannot repeat one
// (by chance, at most once in 2^32 seals per key: far beyond an epoch).
func Seal(key Key, epoch uint64, aad, plaintext []byte, random io.Reader) ([]byte, error) {
	if random == nil {
		random = rand.Reader
	}
	out := make([]byte, SealHeaderLen, SealOverhead+len(plaintext))
	copy(out, sealMagic)
	out[len(sealMagic)] = sealVersion
	binary.BigEndian.PutUint64(out[len(sealMagic)+1:], epoch)
	if _, err := io.ReadFull(random, out[SealHeaderLen-nonceLen:]); err != nil {
		return nil, fmt.Errorf("access: seal: nonce: %w", err)
	}
	gcm := newGCM(key)
	return gcm.Seal(out, out[SealHeaderLen-nonceLen:], plaintext, append(out[:SealHeaderLen:SealHeaderLen], aad...)), nil
}

// IsSealed reports whether b starts like sealed data.
func IsSealed(b []byte) bool {
	return len(b) >= len(sealMagic) && string(b[:len(sealMagic)]) == sealMagic
}

// SealedEpoch returns the epoch whose key opens b, checking the header
// strictly: magic, version, and room for the tag.
func SealedEpoch(b []byte) (uint64, error) {
	switch {
	case len(b) < SealOverhead:
		return 0, fmt.Errorf("%w: %d bytes, shorter than header and tag", ErrBadSealed, len(b))
	case !IsSealed(b):
		return 0, fmt.Errorf("%w: bad magic", ErrBadSealed)
	case b[len(sealMagic)] != sealVersion:
		return 0, fmt.Errorf("%w: version %d, want %d", ErrBadSealed, b[len(sealMagic)], sealVersion)
	}
	return binary.BigEndian.Uint64(b[len(sealMagic)+1:]), nil
}

// Open decrypts sealed data under key with the additional data it was
// sealed with. It returns a new slice.
func Open(key Key, aad, sealed []byte) ([]byte, error) {
	epoch, err := SealedEpoch(sealed)
	if err != nil {
		return nil, err
	}
	hdr := sealed[:SealHeaderLen]
	out, err := newGCM(key).Open(nil, hdr[SealHeaderLen-nonceLen:], sealed[SealHeaderLen:], append(hdr[:len(hdr):len(hdr)], aad...))
	if err != nil {
		return nil, fmt.Errorf("%w: epoch %d", ErrDecrypt, epoch)
	}
	return out, nil
}

func newGCM(key Key) cipher.AEAD {
	block, err := aes.NewCipher(key[:])
	if err != nil {
		panic("access: aes: " + err.Error()) // cannot happen: 32-byte key
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		panic("access: gcm: " + err.Error()) // cannot happen: standard nonce and tag sizes
	}
	return gcm
}

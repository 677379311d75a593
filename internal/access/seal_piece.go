package access

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"fmt"

	"github.com/shoal-p2p/shoal/internal/piece"
)

// The pieces of a private file share are sealed with AES-256-GCM under a
// content key of their own (docs/private.md):
//
//   - the nonce is the piece index, 96-bit big-endian, and the additional
//     data is pieceLabel and the index, so a piece opens only in its place;
//   - the ciphertext is as long as the plaintext and the 16-byte tag is
//     kept apart (in the manifest, piece.Manifest.Tags), so content keeps
//     its layout and a web seed serves ciphertext files of the same sizes.
//
// Deriving the nonce from the index is safe because a content key is
// drawn at random for one content (one plaintext manifest, which fixes the
// piece size and every piece's bytes) and never used for another: a nonce
// only ever seals the same plaintext again, giving the same ciphertext.
// That determinism is what lets an owner or member seal a piece each time
// it reads one from its plaintext copy.

// pieceLabel starts the additional data of every sealed piece.
const pieceLabel = "shoal-piece-v1\x00"

// NewContentKey draws a random content key (crypto/rand).
func NewContentKey() Key {
	var k Key
	rand.Read(k[:]) // never fails: crypto/rand.Read crashes the program instead
	return k
}

// pieceNonce returns the GCM nonce of piece index: the index, big-endian.
func pieceNonce(index int) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, nonceLen-8, nonceLen), uint64(index))
}

// pieceAAD returns the additional data piece index is sealed with.
func pieceAAD(index int) []byte {
	return binary.BigEndian.AppendUint64([]byte(pieceLabel), uint64(index))
}

// SealPiece encrypts piece index of content sealed under key and appends
// its ciphertext (as long as plaintext) and then its tag (piece.TagSize
// bytes) to dst. To seal in place, pass plaintext[:0] as dst with room
// for the tag.
func SealPiece(key Key, index int, dst, plaintext []byte) []byte {
	return newGCM(key).Seal(dst, pieceNonce(index), plaintext, pieceAAD(index))
}

// OpenPiece checks and decrypts sealed, the ciphertext of piece index
// followed by its tag, and appends the plaintext to dst (sealed[:0]
// decrypts in place). It fails with ErrDecrypt for a wrong key or for
// bytes altered or taken from another piece.
func OpenPiece(key Key, index int, dst, sealed []byte) ([]byte, error) {
	if len(sealed) < piece.TagSize {
		return nil, fmt.Errorf("%w: piece %d: %d bytes, shorter than its tag", ErrBadSealed, index, len(sealed))
	}
	out, err := newGCM(key).Open(dst, pieceNonce(index), sealed, pieceAAD(index))
	if err != nil {
		return nil, fmt.Errorf("%w: piece %d", ErrDecrypt, index)
	}
	return out, nil
}

// XORPiece sets dst to src XOR the key stream of piece index from byte off
// of the piece on: from plaintext it makes exactly the ciphertext
// SealPiece makes of those bytes (and back), without the tag and without
// sealing the rest of the piece. It serves a block of a sealed piece. dst
// and src must overlap entirely or not at all; off+len(src) must stay
// within one piece (piece.MaxPieceSize).
func XORPiece(key Key, index int, off int64, dst, src []byte) {
	block, err := aes.NewCipher(key[:])
	if err != nil {
		panic("access: aes: " + err.Error()) // cannot happen: 32-byte key
	}
	// GCM with a 96-bit nonce encrypts block k of the plaintext with the
	// counter nonce ‖ uint32(2+k) (NIST SP 800-38D, 7.1). Pieces are at
	// most 2^20 blocks, so CTR's 128-bit increment never carries into the
	// nonce and equals GCM's 32-bit one.
	iv := binary.BigEndian.AppendUint32(pieceNonce(index), uint32(2+off/aes.BlockSize))
	ctr := cipher.NewCTR(block, iv)
	var skip [aes.BlockSize]byte
	ctr.XORKeyStream(skip[:off%aes.BlockSize], skip[:off%aes.BlockSize])
	ctr.XORKeyStream(dst[:len(src)], src)
}

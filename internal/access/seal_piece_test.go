package access

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"testing"

	"github.com/shoal-p2p/shoal/internal/piece"
)

// pieceText returns n bytes of deterministic plaintext.
func pieceText(n int) []byte {
	b := make([]byte, n)
	seeded(3).Read(b)
	return b
}

func TestSealPieceOpenPiece(t *testing.T) {
	key, other := Key{1}, Key{2}
	plain := pieceText(100_000)
	sealed := SealPiece(key, 7, nil, plain)
	if len(sealed) != len(plain)+piece.TagSize {
		t.Fatalf("sealed %d bytes into %d, want %d (length-preserving plus the tag)", len(plain), len(sealed), len(plain)+piece.TagSize)
	}
	if bytes.Contains(sealed, plain[1000:1032]) {
		t.Fatal("the ciphertext contains a run of the plaintext")
	}
	if again := SealPiece(key, 7, nil, plain); !bytes.Equal(again, sealed) {
		t.Fatal("sealing the same piece twice gave different bytes, want the same (the nonce is the index)")
	}
	got, err := OpenPiece(key, 7, nil, sealed)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("OpenPiece: %d bytes, %v; want the plaintext", len(got), err)
	}
	tampered := bytes.Clone(sealed)
	tampered[500] ^= 1
	badTag := bytes.Clone(sealed)
	badTag[len(badTag)-1] ^= 1
	tests := []struct {
		name   string
		key    Key
		index  int
		sealed []byte
		want   error
	}{
		{"wrong key", other, 7, sealed, ErrDecrypt},
		{"another piece's place", key, 8, sealed, ErrDecrypt},
		{"tampered ciphertext", key, 7, tampered, ErrDecrypt},
		{"tampered tag", key, 7, badTag, ErrDecrypt},
		{"truncated", key, 7, sealed[:len(sealed)-1], ErrDecrypt},
		{"shorter than a tag", key, 7, sealed[:piece.TagSize-1], ErrBadSealed},
	}
	for _, tt := range tests {
		if got, err := OpenPiece(tt.key, tt.index, nil, tt.sealed); !errors.Is(err, tt.want) || got != nil {
			t.Errorf("%s: OpenPiece = %d bytes, %v; want nil, %v", tt.name, len(got), err, tt.want)
		}
	}
}

// TestSealPieceNoncePerIndex checks that the same plaintext seals to
// unrelated ciphertexts at different indexes, with the nonce being the
// index, big-endian, as GCM takes it.
func TestSealPieceNoncePerIndex(t *testing.T) {
	key := Key{3}
	plain := pieceText(4096)
	a, b := SealPiece(key, 0, nil, plain), SealPiece(key, 1, nil, plain)
	if bytes.Equal(a[:64], b[:64]) {
		t.Fatal("pieces 0 and 1 with the same plaintext seal alike, want distinct key streams")
	}
	block, _ := aes.NewCipher(key[:])
	gcm, _ := cipher.NewGCM(block)
	nonce := []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x02}
	want := gcm.Seal(nil, nonce, plain, append([]byte("shoal-piece-v1\x00"), 0, 0, 0, 0, 0, 0, 0x01, 0x02))
	if got := SealPiece(key, 0x0102, nil, plain); !bytes.Equal(got, want) {
		t.Fatal("piece 0x0102: got other bytes than AES-256-GCM with nonce = index (96-bit big-endian)")
	}
}

// TestXORPieceMatchesSeal checks that any range of a piece encrypts to the
// bytes SealPiece makes of the whole piece, and decrypts back.
func TestXORPieceMatchesSeal(t *testing.T) {
	key := Key{4}
	plain := pieceText(3*aes.BlockSize*1000 + 5)
	sealed := SealPiece(key, 42, nil, plain)
	for _, r := range []struct{ off, n int }{{0, len(plain)}, {0, 1}, {1, 15}, {15, 2}, {16, 16}, {17, 40000}, {len(plain) - 3, 3}, {40000, 8005}} {
		got := make([]byte, r.n)
		XORPiece(key, 42, int64(r.off), got, plain[r.off:r.off+r.n])
		if !bytes.Equal(got, sealed[r.off:r.off+r.n]) {
			t.Fatalf("XORPiece of [%d,+%d) differs from the sealed piece", r.off, r.n)
		}
		XORPiece(key, 42, int64(r.off), got, got) // in place, back to plaintext
		if !bytes.Equal(got, plain[r.off:r.off+r.n]) {
			t.Fatalf("XORPiece twice of [%d,+%d) is not the plaintext", r.off, r.n)
		}
	}
}

func TestNewContentKey(t *testing.T) {
	if a, b := NewContentKey(), NewContentKey(); a == b || a == (Key{}) {
		t.Fatalf("two content keys: %x and %x, want distinct random keys", a, b)
	}
}

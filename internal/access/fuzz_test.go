package access

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

// FuzzParseToken checks that parsing never panics, fails only with
// ErrMalformed, and that whatever parses prints back to the same text.
func FuzzParseToken(f *testing.F) {
	_, priv := ownerKey(f, 1)
	f.Add(issue(f, priv, "alice", time.Hour).String())
	for _, tt := range parseTokenTests(f) {
		f.Add(tt.token)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := ParseToken(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("got error %v, want ErrMalformed", err)
			}
			return
		}
		again, err := ParseToken(tok.String())
		if err != nil || again.String() != tok.String() {
			t.Fatalf("round trip of %q: got %q, %v", tok.String(), again.String(), err)
		}
	})
}

// FuzzParseCredential checks the binary credential decoder the same way.
func FuzzParseCredential(f *testing.F) {
	_, priv := ownerKey(f, 1)
	good := issue(f, priv, "alice", time.Hour).Credential.Append(nil)
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add(append(bytes.Clone(good), 0))
	f.Add([]byte{credVersion})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCredential(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("got error %v, want ErrMalformed", err)
			}
			return
		}
		if enc := c.Append(nil); !bytes.Equal(enc, b) {
			t.Fatalf("Append(Parse(b)): got % x, want % x", enc, b)
		}
	})
}

// FuzzOpen checks that sealed-data decoding never panics, fails only with
// ErrBadSealed or ErrDecrypt, and that what opens re-seals to data that
// opens to the same plaintext.
func FuzzOpen(f *testing.F) {
	key := Key{5}
	aad := SegmentAAD(testSwarm, 0, 1)
	sealed, err := Seal(key, 60, aad, []byte("a segment"), seeded(1))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sealed)
	f.Add(sealed[:SealOverhead])
	f.Add([]byte(sealMagic))
	f.Add([]byte{0x47, 0x40, 0x11})
	f.Fuzz(func(t *testing.T, b []byte) {
		epoch, herr := SealedEpoch(b)
		plain, err := Open(key, aad, b)
		if err != nil {
			if !errors.Is(err, ErrBadSealed) && !errors.Is(err, ErrDecrypt) {
				t.Fatalf("got error %v, want ErrBadSealed or ErrDecrypt", err)
			}
			return
		}
		if herr != nil {
			t.Fatalf("Open succeeded where SealedEpoch failed: %v", herr)
		}
		again, err := Seal(key, epoch, aad, plain, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := Open(key, aad, again); err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("re-seal: got %q, %v, want %q", got, err, plain)
		}
	})
}

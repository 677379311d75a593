package access

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/shoal-p2p/shoal/internal/piece"
)

var (
	testSwarm = piece.ID{1, 2, 3}
	otherID   = piece.ID{9}
	issued    = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

// seeded returns a deterministic source of key material for tests.
func seeded(seed byte) *rand.ChaCha8 { return rand.NewChaCha8([32]byte{seed}) }

func ownerKey(t testing.TB, seed byte) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(seeded(seed))
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

func issue(t testing.TB, owner ed25519.PrivateKey, member string, ttl time.Duration) Token {
	t.Helper()
	tok, err := Issue(owner, Claims{Swarm: testSwarm, Channel: "live", Member: member, Issued: issued, Expires: issued.Add(ttl)}, seeded(7))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestTokenRoundTrip(t *testing.T) {
	pub, priv := ownerKey(t, 1)
	tok := issue(t, priv, "alice", 24*time.Hour)
	s := tok.String()
	if !strings.HasPrefix(s, "st1.") || len(s) > MaxTokenLen {
		t.Fatalf("token %q: want prefix st1. and at most %d characters", s, MaxTokenLen)
	}
	got, err := ParseToken(" " + s + "\n")
	if err != nil {
		t.Fatalf("ParseToken: %v", err)
	}
	if got.String() != s || got.Member != "alice" || got.Channel != "live" || !got.Expires.Equal(issued.Add(24*time.Hour)) {
		t.Fatalf("round trip: got %+v, want the issued token", got.Credential)
	}
	if err := got.Verify(pub, testSwarm, issued.Add(time.Hour)); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	ctx := Context(PurposePeer, testSwarm, []byte("prover"), []byte("verifier"))
	if err := got.CheckProof(ctx, tok.Prove(ctx)); err != nil {
		t.Fatalf("CheckProof of the original's proof: %v", err)
	}
}

func TestVerifyRefuses(t *testing.T) {
	pub, priv := ownerKey(t, 1)
	otherPub, otherPriv := ownerKey(t, 2)
	good := issue(t, priv, "alice", time.Hour)
	forged := issue(t, otherPriv, "alice", time.Hour)
	tampered := good
	tampered.Member = "mallory"
	longer := good
	longer.Expires = longer.Expires.Add(time.Hour)
	tests := []struct {
		name  string
		cred  Credential
		key   ed25519.PublicKey
		swarm piece.ID
		now   time.Time
		want  error
	}{
		{"valid", good.Credential, pub, testSwarm, issued.Add(time.Minute), nil},
		{"expired", good.Credential, pub, testSwarm, issued.Add(time.Hour), ErrExpired},
		{"long expired", good.Credential, pub, testSwarm, issued.Add(1000 * time.Hour), ErrExpired},
		{"not yet valid", good.Credential, pub, testSwarm, issued.Add(-time.Hour), ErrNotYetValid},
		{"within clock skew", good.Credential, pub, testSwarm, issued.Add(-time.Minute), nil},
		{"wrong swarm", good.Credential, pub, otherID, issued, ErrWrongSwarm},
		{"wrong key", good.Credential, otherPub, testSwarm, issued, ErrBadSignature},
		{"issued by another key", forged.Credential, pub, testSwarm, issued, ErrBadSignature},
		{"tampered member", tampered.Credential, pub, testSwarm, issued, ErrBadSignature},
		{"tampered expiry", longer.Credential, pub, testSwarm, issued.Add(90 * time.Minute), ErrBadSignature},
		{"short key", good.Credential, pub[:16], testSwarm, issued, ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cred.Verify(tt.key, tt.swarm, tt.now)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("got error %v, want %v", err, tt.want)
			}
		})
	}
}

func TestProofRefuses(t *testing.T) {
	_, priv := ownerKey(t, 1)
	alice := issue(t, priv, "alice", time.Hour)
	bob, err := Issue(priv, Claims{Swarm: testSwarm, Member: "bob", Issued: issued, Expires: issued.Add(time.Hour)}, seeded(8))
	if err != nil {
		t.Fatal(err)
	}
	ctx := Context(PurposePeer, testSwarm, []byte("a"), []byte("b"))
	sig := alice.Prove(ctx)
	tests := []struct {
		name string
		cred Credential
		ctx  []byte
	}{
		{"other verifier", alice.Credential, Context(PurposePeer, testSwarm, []byte("a"), []byte("c"))},
		{"other purpose", alice.Credential, Context(PurposeKeys, testSwarm, []byte("a"), []byte("b"))},
		{"other swarm", alice.Credential, Context(PurposePeer, otherID, []byte("a"), []byte("b"))},
		{"parts shifted", alice.Credential, Context(PurposePeer, testSwarm, []byte("ab"), nil)},
		{"another member's credential", bob.Credential, ctx},
	}
	for _, tt := range tests {
		if err := tt.cred.CheckProof(tt.ctx, sig); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: got %v, want ErrBadSignature", tt.name, err)
		}
	}
}

func TestIssueRefuses(t *testing.T) {
	_, priv := ownerKey(t, 1)
	tests := []struct {
		name   string
		claims Claims
	}{
		{"no member", Claims{Swarm: testSwarm, Issued: issued, Expires: issued.Add(time.Hour)}},
		{"long member", Claims{Swarm: testSwarm, Member: strings.Repeat("m", MaxMemberLen+1), Issued: issued, Expires: issued.Add(time.Hour)}},
		{"member with newline", Claims{Swarm: testSwarm, Member: "a\nb", Issued: issued, Expires: issued.Add(time.Hour)}},
		{"member with spaces", Claims{Swarm: testSwarm, Member: " a", Issued: issued, Expires: issued.Add(time.Hour)}},
		{"expiry before issue", Claims{Swarm: testSwarm, Member: "a", Issued: issued, Expires: issued}},
		{"long channel", Claims{Swarm: testSwarm, Member: "a", Channel: strings.Repeat("c", MaxChannelLen+1), Issued: issued, Expires: issued.Add(time.Hour)}},
	}
	for _, tt := range tests {
		if _, err := Issue(priv, tt.claims, nil); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: got %v, want ErrMalformed", tt.name, err)
		}
	}
	if _, err := Issue(priv[:10], Claims{Swarm: testSwarm, Member: "a", Issued: issued, Expires: issued.Add(time.Hour)}, nil); err == nil {
		t.Error("short owner key: got nil error")
	}
}

// parseTokenTests lists printable tokens ParseToken must refuse; FuzzParseToken
// is seeded from them and from a valid token.
func parseTokenTests(t testing.TB) []struct{ name, token string } {
	_, priv := ownerKey(t, 1)
	good := issue(t, priv, "alice", time.Hour).String()
	cred, seed, _ := strings.Cut(strings.TrimPrefix(good, "st1."), ".")
	other, err := Issue(priv, Claims{Swarm: testSwarm, Member: "bob", Issued: issued, Expires: issued.Add(time.Hour)}, seeded(9))
	if err != nil {
		t.Fatal(err)
	}
	return []struct{ name, token string }{
		{"empty", ""},
		{"no prefix", cred + "." + seed},
		{"other version", "st2." + cred + "." + seed},
		{"one part", "st1." + cred},
		{"three parts", "st1." + cred + "." + seed + ".x"},
		{"padded base64", "st1." + cred + "=." + seed},
		{"std base64", "st1." + strings.ReplaceAll(cred, "-", "+") + "." + seed},
		{"short seed", "st1." + cred + "." + seed[:20]},
		{"foreign seed", "st1." + cred + "." + strings.Split(other.String(), ".")[2]},
		{"truncated credential", "st1." + cred[:40] + "." + seed},
		{"too long", "st1." + strings.Repeat("A", MaxTokenLen)},
	}
}

func TestParseTokenRefuses(t *testing.T) {
	for _, tt := range parseTokenTests(t) {
		if _, err := ParseToken(tt.token); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: got %v, want ErrMalformed", tt.name, err)
		}
	}
}

func TestSealOpen(t *testing.T) {
	secret, err := ContentSecret(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	k1, k2 := EpochKey(secret, testSwarm, 600), EpochKey(secret, testSwarm, 1200)
	if k1 == k2 || k1 == EpochKey(secret, otherID, 600) {
		t.Fatal("epoch keys repeat across epochs or swarms")
	}
	plain := bytes.Repeat([]byte("media "), 1000)
	aad := SegmentAAD(testSwarm, 1, 42)
	sealed, err := Seal(k1, 600, aad, plain, nil)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Seal(k1, 600, aad, plain, nil)
	if len(sealed) != len(plain)+SealOverhead || bytes.Equal(sealed, again) || bytes.Contains(sealed, []byte("media media")) {
		t.Fatalf("sealed %d bytes (want %d), fresh nonce per seal, no plaintext visible", len(sealed), len(plain)+SealOverhead)
	}
	if e, err := SealedEpoch(sealed); err != nil || e != 600 {
		t.Fatalf("SealedEpoch: got %d, %v, want 600", e, err)
	}
	got, err := Open(k1, aad, sealed)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Open: got %d bytes, %v, want the plaintext", len(got), err)
	}
	flipped := bytes.Clone(sealed)
	flipped[len(flipped)/2] ^= 1
	epochChanged := bytes.Clone(sealed)
	epochChanged[len(sealMagic)+8] ^= 1
	for name, tc := range map[string]struct {
		key    Key
		aad    []byte
		sealed []byte
	}{
		"wrong key":      {k2, aad, sealed},
		"other sequence": {k1, SegmentAAD(testSwarm, 1, 43), sealed},
		"bit flipped":    {k1, aad, flipped},
		"epoch changed":  {k1, aad, epochChanged},
	} {
		if _, err := Open(tc.key, tc.aad, tc.sealed); !errors.Is(err, ErrDecrypt) {
			t.Errorf("%s: got %v, want ErrDecrypt", name, err)
		}
	}
	if _, err := Open(k1, aad, sealed[:SealOverhead-1]); !errors.Is(err, ErrBadSealed) {
		t.Errorf("truncated: got %v, want ErrBadSealed", err)
	}
}

func TestEpochAtAndKeyring(t *testing.T) {
	at := time.Unix(1_000_005, 0)
	if got := EpochAt(at, 10*time.Second); got != 1_000_000 {
		t.Fatalf("EpochAt: got %d, want 1000000", got)
	}
	if got := EpochAt(at, 0); got != 1_000_005 {
		t.Fatalf("EpochAt with rotation 0: got %d, want 1000005 (MinRotation)", got)
	}
	k := NewKeyring(2)
	k.Add(10, Key{1})
	k.Add(20, Key{2})
	k.Add(30, Key{3})
	if k.Has(10) || !k.Has(20) || !k.Has(30) {
		t.Fatal("keyring kept the oldest epoch beyond its limit")
	}
	if e, ok := k.Newest(); !ok || e != 30 {
		t.Fatalf("Newest: got %d, %v, want 30", e, ok)
	}
	if key, ok := k.Key(30); !ok || key != (Key{3}) {
		t.Fatalf("Key(30): got %v, %v", key, ok)
	}
}

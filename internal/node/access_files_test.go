package node

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shoal-p2p/shoal/internal/access"
	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/store"
)

// sealedShare is a private file share: the owner's keys, the plaintext,
// its exported ciphertext and the sealed manifest.
type sealedShare struct {
	pub     ed25519.PublicKey
	priv    ed25519.PrivateKey
	key     access.Key
	src     string // the plaintext file, secret.bin
	plain   []byte
	sealed  []byte // the exported ciphertext of secret.bin
	export  string // the folder holding it, for a web seed
	m       *piece.Manifest
	revoked string // the owner's revocation list
}

// newSealedShare writes and seals a file of size bytes in 64 KiB pieces.
func newSealedShare(t *testing.T, size int) *sealedShare {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, filepath.Join(dir, "src"), map[string]int{"secret.bin": size})
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &sealedShare{pub: pub, priv: priv, key: access.NewContentKey(), src: filepath.Join(dir, "src", "secret.bin"),
		export: filepath.Join(dir, "web"), revoked: filepath.Join(dir, "revoked")}
	if s.m, err = SealContent(context.Background(), s.src, buildManifest(t, s.src, 64<<10), s.key, s.export, nil); err != nil {
		t.Fatal(err)
	}
	s.plain, _ = os.ReadFile(s.src)
	s.sealed, _ = os.ReadFile(filepath.Join(s.export, "secret.bin"))
	if err := os.WriteFile(s.revoked, []byte("# revoked members\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return s
}

// owner returns the owner's access config.
func (s *sealedShare) owner() *AccessConfig {
	return &AccessConfig{Key: s.pub, Owner: s.priv, ContentKey: &s.key, RevokedFile: s.revoked}
}

// token issues a member token; ttl may be negative (expired).
func (s *sealedShare) token(t *testing.T, member string, ttl time.Duration) *access.Token {
	t.Helper()
	now := time.Now()
	tok, err := access.Issue(s.priv, access.Claims{Swarm: s.m.ID(), Member: member, Issued: now.Add(min(ttl, 0) - time.Hour), Expires: now.Add(ttl)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &tok
}

// member returns a member's config downloading into out, with owner as
// the link's peer.
func (s *sealedShare) member(tok *access.Token, out string, owner *running) Config {
	return Config{Swarm: s.m.ID(), OutDir: out, Peers: tcpAddrs(owner.Addrs()), Access: &AccessConfig{Key: s.pub, Token: tok}}
}

// hasPlainRun reports whether b holds a 32-byte run of plain, sampled
// every piece.
func hasPlainRun(b, plain []byte) bool {
	for off := 0; off+32 <= len(plain); off += 64 << 10 {
		if bytes.Contains(b, plain[off:off+32]) {
			return true
		}
	}
	return false
}

func TestPrivateFileEncrypted(t *testing.T) {
	s := newSealedShare(t, 1_500_000)
	if len(s.sealed) != len(s.plain) || hasPlainRun(s.sealed, s.plain) {
		t.Fatalf("exported %d bytes for %d of plaintext: want as many, and no plaintext in them", len(s.sealed), len(s.plain))
	}
	d, _ := store.OpenDisk(s.export, s.m, true)
	if have, err := store.Verify(context.Background(), s.m, d, nil); err != nil || !have.Full() {
		t.Fatalf("the export does not verify against the sealed manifest: %d of %d pieces, %v", have.Count(), s.m.NumPieces(), err)
	}
	d.Close()
	owner := start(t, Config{Manifest: s.m, SharePath: s.src, Access: s.owner()})
	served := make([]byte, 100_000)
	if err := owner.content.readAt(served, 70_000); err != nil || !bytes.Equal(served, s.sealed[70_000:170_000]) {
		t.Fatalf("the owner serves peers other bytes than the ciphertext (%v)", err)
	}
	alice := start(t, s.member(s.token(t, "alice", time.Hour), filepath.Join(t.TempDir(), "out"), owner))
	waitComplete(t, alice)
	sameTree(t, s.src, alice.FinalPath())

	t.Run("no token", func(t *testing.T) {
		out := t.TempDir()
		cfg := Config{Swarm: s.m.ID(), OutDir: out, Peers: append(tcpAddrs(owner.Addrs()), tcpAddrs(alice.Addrs())...)}
		if err := runError(t, start(t, cfg)); !errors.Is(err, ErrPrivate) {
			t.Fatalf("get without a token: Run returned %v, want ErrPrivate", err)
		}
		web := httptest.NewServer(http.FileServer(http.Dir(s.export)))
		defer web.Close()
		if _, err := New(Config{Manifest: s.m, OutDir: out, Origins: []string{web.URL + "/secret.bin"}}); !errors.Is(err, ErrPrivate) || !errors.Is(err, ErrConfig) {
			t.Fatalf("New without a token for the sealed manifest: got %v, want ErrConfig and ErrPrivate", err)
		}
		if code, body := get(t, web.URL+"/secret.bin"); code != http.StatusOK || !bytes.Equal(body, s.sealed) {
			t.Fatalf("a stranger at the web seed: status %d, %d bytes; want the ciphertext", code, len(body))
		}
		if entries, _ := os.ReadDir(out); len(entries) != 0 {
			t.Fatalf("a node without a token wrote %d entries into its output folder", len(entries))
		}
	})
}

// TestPrivateFileFromWebSeed gets sealed content from a web seed holding
// the exported ciphertext, with the key from an owner that holds no piece;
// then the owner fetches it from the member, who serves it sealed. A web
// seed serving a tampered piece gets it refused, and nothing of it written.
func TestPrivateFileFromWebSeed(t *testing.T) {
	s := newSealedShare(t, 1_500_000)
	keyOnly := func() *running { return start(t, Config{Manifest: s.m, OutDir: t.TempDir(), Access: s.owner()}) }
	bad := 3 // the tampered piece
	tampered := bytes.Clone(s.sealed)
	tampered[s.m.PieceOffset(bad)+100] ^= 1
	t.Run("tampered web seed", func(t *testing.T) {
		web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.ServeContent(w, r, "secret.bin", time.Time{}, bytes.NewReader(tampered))
		}))
		defer web.Close()
		out := t.TempDir()
		carol := s.webMember(t, out, keyOnly(), web.URL, "carol")
		waitFor(t, "every piece but the tampered one", func() bool {
			st := carol.Stats()
			return st.PiecesHave == s.m.NumPieces()-1 && st.BytesWasted >= s.m.PieceLen(bad)
		})
		carol.stop(t)
		staged, err := os.ReadFile(filepath.Join(out, partialDir, s.m.ID().String(), "secret.bin"))
		if err != nil {
			t.Fatal(err)
		}
		off, n := s.m.PieceOffset(bad), s.m.PieceLen(bad)
		if !bytes.Equal(staged[off:off+n], make([]byte, n)) {
			t.Fatal("the tampered piece was written")
		}
		if !bytes.Equal(staged[:off], s.plain[:off]) || !bytes.Equal(staged[off+n:], s.plain[off+n:]) {
			t.Fatal("the verified pieces on disk are not the plaintext")
		}
	})
	web := httptest.NewServer(http.FileServer(http.Dir(s.export)))
	defer web.Close()
	t.Run("wrong key", func(t *testing.T) {
		wrong := *s.owner()
		wrong.ContentKey = &access.Key{1}
		liar := start(t, Config{Manifest: s.m, OutDir: t.TempDir(), Access: &wrong})
		out := t.TempDir()
		dave := s.webMember(t, out, liar, web.URL+"/secret.bin", "dave")
		if err := runError(t, dave); !errors.Is(err, access.ErrDecrypt) {
			t.Fatalf("member given a wrong key: Run returned %v, want access.ErrDecrypt", err)
		}
		if entries, _ := os.ReadDir(filepath.Join(out, partialDir, s.m.ID().String())); len(entries) != 0 || dave.Stats().PiecesHave != 0 {
			t.Fatalf("member given a wrong key: %d staged files, %d pieces held; want none", len(entries), dave.Stats().PiecesHave)
		}
	})
	owner := keyOnly()
	bob := s.webMember(t, filepath.Join(t.TempDir(), "out"), owner, web.URL+"/secret.bin", "bob")
	waitComplete(t, bob)
	sameTree(t, s.src, bob.FinalPath())
	if st := bob.Stats(); st.BytesFromOrigin < s.m.Length() {
		t.Errorf("got %d bytes from the web seed, want all %d", st.BytesFromOrigin, s.m.Length())
	}
	waitComplete(t, owner)
	sameTree(t, s.src, owner.FinalPath())
}

// webMember starts a seeding member that uses the web seed at url as soon
// as no peer has a piece.
func (s *sealedShare) webMember(t *testing.T, out string, owner *running, url, name string) *running {
	t.Helper()
	cfg := s.member(s.token(t, name, time.Hour), out, owner)
	cfg.Origins, cfg.Seed, cfg.Engine.OriginDelay = []string{url}, true, time.Millisecond
	return start(t, cfg)
}

// TestPrivateFileResume restarts a member's download from what a killed
// run leaves (the saved manifest and half the pieces, in plaintext, one of
// them damaged): the pieces are verified again through the seal, and only
// the damaged and missing ones are fetched.
func TestPrivateFileResume(t *testing.T) {
	s := newSealedShare(t, 1_500_000)
	owner := start(t, Config{Manifest: s.m, SharePath: s.src, Access: s.owner()})
	out := t.TempDir()
	dl, err := store.OpenDownload(out, s.m, s.m.ID().String())
	if err != nil {
		t.Fatal(err)
	}
	half := s.m.NumPieces() / 2
	if _, err := dl.Storage().WriteAt(s.plain[:s.m.PieceOffset(half)], 0); err != nil {
		t.Fatal(err)
	}
	dl.Storage().WriteAt([]byte{^s.plain[5]}, 5) // piece 0 is damaged
	dl.Close()
	if err := os.WriteFile(filepath.Join(out, partialDir, s.m.ID().String()+".manifest"), s.m.Encode(), 0o644); err != nil {
		t.Fatal(err)
	}
	alice := start(t, s.member(s.token(t, "alice", time.Hour), out, owner))
	waitComplete(t, alice)
	sameTree(t, s.src, alice.FinalPath())
	fetch := s.m.Length() - int64(half-1)*s.m.PieceSize // the missing pieces and piece 0
	if got := alice.Stats().BytesFromPeers; got < fetch || got > fetch+64<<10 {
		t.Errorf("fetched %d bytes, want %d: the %d intact pieces kept, the damaged one fetched again", got, fetch, half-1)
	}
}

package node

import (
	"context"
	"crypto/ed25519"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/shoal-p2p/shoal/internal/access"
	"github.com/shoal-p2p/shoal/internal/wire"
)

// askKeys asks the owner at addr for its keys (a live channel's epoch keys
// or a file's content key) with tok, as a member node would, through via.
func askKeys(t *testing.T, via *Node, ownerKey ed25519.PublicKey, tok *access.Token, addr string) wire.Keys {
	t.Helper()
	a := &accessNode{cfg: &AccessConfig{Key: ownerKey, own: *tok}, n: via, log: via.log}
	ai, err := peer.AddrInfoFromString(addr)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := a.fetchKeysFrom(context.Background(), *ai)
	if err != nil {
		t.Fatalf("key request: %v", err)
	}
	return resp
}

func TestPrivateFileConfigErrors(t *testing.T) {
	s := newSealedShare(t, 100_000)
	wrong, none := *s.owner(), *s.owner()
	wrong.ContentKey, none.ContentKey = &access.Key{1}, nil
	tok := s.token(t, "alice", time.Hour)
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"owner with a wrong key", Config{Manifest: s.m, SharePath: s.src, Access: &wrong}, "does not match the sealed manifest"},
		{"owner without the key", Config{Manifest: s.m, SharePath: s.src, Access: &none}, "needs its ContentKey"},
		{"member with a key", Config{Swarm: s.m.ID(), OutDir: t.TempDir(), Peers: []string{"/ip4/127.0.0.1/tcp/1/p2p/12D3KooWBuqJmXSjLuxmUR4dyhjDeCWDWSLcvrp3ojesEgtzskqb"},
			Access: &AccessConfig{Key: s.pub, Token: tok, ContentKey: &s.key}}, "only the owner"},
		{"member without the owner's address", Config{Swarm: s.m.ID(), OutDir: t.TempDir(), Access: &AccessConfig{Key: s.pub, Token: tok}}, "x.pe"},
		{"sealed manifest without a token", Config{Manifest: s.m, OutDir: t.TempDir()}, "a member token is required"},
	}
	for _, tt := range tests {
		n, err := New(tt.cfg)
		if err == nil {
			n.Close()
		}
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: New = %v, want ErrConfig mentioning %q", tt.name, err, tt.want)
		}
	}
}

func TestPrivateFileKeyRefused(t *testing.T) {
	s := newSealedShare(t, 300_000)
	if err := os.WriteFile(s.revoked, []byte("bob\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	owner := start(t, Config{Manifest: s.m, SharePath: s.src, Access: s.owner()})
	probe, err := New(Config{Swarm: s.m.ID(), OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	_, stranger, _ := ed25519.GenerateKey(nil)
	foreign, _ := access.Issue(stranger, access.Claims{Swarm: s.m.ID(), Member: "eve", Issued: time.Now(), Expires: time.Now().Add(time.Hour)}, nil)
	tests := []struct {
		name string
		tok  *access.Token
		want uint8
	}{
		{"member", s.token(t, "alice", time.Hour), wire.KeysOK},
		{"revoked", s.token(t, "bob", time.Hour), wire.KeysRevoked},
		{"expired", s.token(t, "dave", -time.Minute), wire.KeysExpired},
		{"another owner's token", &foreign, wire.KeysDenied},
	}
	for _, tt := range tests {
		resp := askKeys(t, probe, s.pub, tt.tok, tcpAddrs(owner.Addrs())[0])
		ok := resp.Status == tt.want && resp.Rotation == 0
		if tt.want == wire.KeysOK {
			ok = ok && len(resp.Keys) == 1 && resp.Keys[0].Epoch == 0 && access.Key(resp.Keys[0].Key) == s.key
		} else {
			ok = ok && len(resp.Keys) == 0
		}
		if !ok {
			t.Errorf("%s: got status %d with %d keys, want status %d (the content key only with KeysOK)", tt.name, resp.Status, len(resp.Keys), tt.want)
		}
	}
	// A revoked member's node stops before it fetches or writes anything.
	out := t.TempDir()
	bob := start(t, s.member(s.token(t, "bob", time.Hour), out, owner))
	if err := runError(t, bob); !errors.Is(err, ErrRevoked) {
		t.Fatalf("revoked member: Run returned %v, want ErrRevoked", err)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 || bob.Stats().Have != 0 {
		t.Fatalf("revoked member: %d entries in its output folder, %d bytes held; want none", len(entries), bob.Stats().Have)
	}
	if _, err := New(s.member(s.token(t, "dave", -time.Minute), out, owner)); !errors.Is(err, access.ErrExpired) {
		t.Fatalf("New with an expired token: got %v, want access.ErrExpired", err)
	}
}

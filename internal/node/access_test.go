package node

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/shoal-p2p/shoal/internal/access"
	"github.com/shoal-p2p/shoal/internal/live"
	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/tracker"
	"github.com/shoal-p2p/shoal/internal/wire"
)

// privateSwarm is a private channel's broadcaster with a tracker.
type privateSwarm struct {
	pub     ed25519.PublicKey
	priv    ed25519.PrivateKey
	id      piece.ID
	b       *running
	origin  string
	tracker string
	revoked string // the broadcaster's revocation list
}

// startPrivate starts a private broadcaster of the synthetic clip.
func startPrivate(t *testing.T, rotation time.Duration) *privateSwarm {
	t.Helper()
	pub, priv, src := synthChannel(t)
	s := &privateSwarm{pub: pub, priv: priv, id: live.ChannelID(pub, liveName), tracker: startTracker(t),
		revoked: filepath.Join(t.TempDir(), "revoked")}
	if err := os.WriteFile(s.revoked, []byte("# revoked members\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.b = start(t, Config{Trackers: []string{s.tracker},
		Live:   &LiveConfig{Name: liveName, Key: pub, Signer: priv, Source: src, ChunkSize: 16 << 10},
		Access: &AccessConfig{Rotation: rotation, RevokedFile: s.revoked}})
	s.origin = "http://" + s.b.HTTPAddr().String()
	return s
}

// token issues a member token valid for ttl from now.
func (s *privateSwarm) token(t *testing.T, member string, ttl time.Duration) *access.Token {
	t.Helper()
	now := time.Now()
	tok, err := access.Issue(s.priv, access.Claims{Swarm: s.id, Channel: liveName, Member: member, Issued: now, Expires: now.Add(ttl)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &tok
}

// config is a viewer's config: the broadcaster as the link's peer, the
// tracker and the origin; a member when tok is set.
func (s *privateSwarm) config(tok *access.Token) Config {
	cfg := Config{Peers: tcpAddrs(s.b.Addrs()), Trackers: []string{s.tracker},
		Live: &LiveConfig{Name: liveName, Key: s.pub, Origins: []string{s.origin}}}
	if tok != nil {
		cfg.Access = &AccessConfig{Token: tok}
	}
	return cfg
}

// plaintext returns segment seq as the broadcaster's source made it: the
// origin's sealed bytes opened with the epoch key the test derives itself.
func (s *privateSwarm) plaintext(t *testing.T, seq uint64) (plain, sealed []byte) {
	t.Helper()
	code, sealed := get(t, fmt.Sprintf("%s/live/0/%d.ts", s.origin, seq))
	epoch, err := access.SealedEpoch(sealed)
	if code != 200 || err != nil {
		t.Fatalf("origin segment %d: status %d, %v", seq, code, err)
	}
	secret, _ := access.ContentSecret(s.priv)
	plain, err = access.Open(access.EpochKey(secret, s.id, epoch), access.SegmentAAD(s.id, 0, seq), sealed)
	if err != nil {
		t.Fatalf("origin segment %d: %v", seq, err)
	}
	return plain, sealed
}

// runError waits for a node's Run to return and returns its error.
func runError(t *testing.T, r *running) error {
	t.Helper()
	select {
	case err := <-r.err:
		r.err <- err // kept for stop
		return err
	case <-time.After(testTimeout):
		t.Fatal("Run did not return")
		return nil
	}
}

// fetchKeysAs asks the broadcaster for keys with tok (expired or not), as a
// member node would.
func (s *privateSwarm) fetchKeysAs(t *testing.T, via *Node, tok *access.Token) wire.Keys {
	t.Helper()
	return askKeys(t, via, s.pub, tok, tcpAddrs(s.b.Addrs())[0])
}

func TestPrivateChannel(t *testing.T) {
	s := startPrivate(t, DefaultKeyRotation)
	alice := start(t, s.config(s.token(t, "alice", time.Hour)))
	waitFor(t, "the member to hold segment 3", func() bool { return hasSegment(t, alice, 3) })
	_, got := get(t, gatewayURL(alice)+"/live/0/3.ts")
	plain, sealed := s.plaintext(t, 3)
	if !bytes.Equal(got, plain) || plain[0] != 0x47 {
		t.Fatalf("member's segment 3: %d bytes, want the %d-byte MPEG-TS plaintext", len(got), len(plain))
	}
	if bytes.Contains(sealed, plain[:188]) || access.IsSealed(plain) {
		t.Fatal("the origin serves plaintext")
	}

	t.Run("no token", func(t *testing.T) { s.noToken(t, alice) })
	t.Run("expired token", func(t *testing.T) { s.expiredToken(t) })
	t.Run("token expires while watching", func(t *testing.T) {
		erin := start(t, s.config(s.token(t, "erin", 2*time.Second)))
		if err := runError(t, erin); !errors.Is(err, access.ErrExpired) {
			t.Fatalf("Run returned %v, want access.ErrExpired", err)
		}
	})
}

func TestPrivateChannelRevocation(t *testing.T) {
	const rotation = 2 * time.Second
	s := startPrivate(t, rotation)
	alice, bobTok := s.token(t, "alice", time.Hour), s.token(t, "bob", time.Hour)
	bob := start(t, s.config(bobTok))
	waitFor(t, "bob to hold segment 3", func() bool { return hasSegment(t, bob, 3) })
	revokedAt := time.Now()
	if err := os.WriteFile(s.revoked, []byte("# revoked members\nbob\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := runError(t, bob); !errors.Is(err, ErrRevoked) {
		t.Fatalf("revoked member: Run returned %v, want ErrRevoked", err)
	}
	bob.access.keys.mu.Lock()
	newest, _ := bob.access.keys.ring.Newest()
	bob.access.keys.mu.Unlock()
	// The owner reads the list again within revokedRecheck (plus a tick);
	// a request before that may still get the next epoch's key.
	if limit := access.EpochAt(revokedAt.Add(revokedRecheck+tickEvery), rotation) + uint64(rotation/time.Second); newest > limit {
		t.Fatalf("revoked member got the key of epoch %d, want none after %d (the next rotation)", newest, limit)
	}
	n, err := New(s.config(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if resp := s.fetchKeysAs(t, n, bobTok); resp.Status != wire.KeysRevoked {
		t.Fatalf("key request of the revoked member: status %d, want KeysRevoked", resp.Status)
	}
	if resp := s.fetchKeysAs(t, n, alice); resp.Status != wire.KeysOK || len(resp.Keys) < 2 {
		t.Fatalf("key request of a member: status %d with %d keys, want the current keys", resp.Status, len(resp.Keys))
	}
}

// noToken checks that a viewer without a token reaches no peer, not the
// tracker, and stops with ErrPrivate.
func (s *privateSwarm) noToken(t *testing.T, alice *running) {
	t.Helper()
	cfg := s.config(nil)
	cfg.Peers = append(cfg.Peers, tcpAddrs(alice.Addrs())...)
	carol := start(t, cfg)
	if err := runError(t, carol); !errors.Is(err, ErrPrivate) {
		t.Fatalf("viewer without a token: Run returned %v, want ErrPrivate", err)
	}
	if st := carol.LiveStats(); st.Peers != 0 || carol.live.view.readyCount() != 0 {
		t.Fatalf("viewer without a token: %d peers, %d segments", st.Peers, carol.live.view.readyCount())
	}
	// Neither the broadcaster nor a member takes a stream without a token.
	n, err := New(s.config(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	for _, addr := range cfg.Peers {
		ai, _ := peer.AddrInfoFromString(addr)
		if pc, err := dial(context.Background(), n, *ai, 0); !errors.Is(err, ErrPrivate) {
			if pc != nil {
				pc.close()
			}
			t.Fatalf("handshake without a token with %s: got %v, want ErrPrivate", addr, err)
		}
	}
	_, err = tracker.NewClient(tracker.ClientConfig{}).Announce(context.Background(), s.tracker,
		tracker.AnnounceRequest{Swarm: s.id, PeerID: carol.ID().String(), Port: 1})
	if !errors.Is(err, tracker.ErrRejected) || !strings.Contains(err.Error(), "403: tracker: access denied") {
		t.Fatalf("tracker announce without a token: got %v, want a 403", err)
	}
}

// expiredToken checks that an expired token is refused when the node is
// made, by the key service and at the handshake.
func (s *privateSwarm) expiredToken(t *testing.T) {
	t.Helper()
	expired, err := access.Issue(s.priv, access.Claims{Swarm: s.id, Channel: liveName, Member: "dave",
		Issued: time.Now().Add(-2 * time.Hour), Expires: time.Now().Add(-time.Hour)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.config(&expired)
	if _, err := New(cfg); !errors.Is(err, access.ErrExpired) || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "expired at") {
		t.Fatalf("New with an expired token: got %v, want ErrConfig and access.ErrExpired", err)
	}
	// A node that presents it anyway is refused by the broadcaster.
	cfg.Access = nil
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if resp := s.fetchKeysAs(t, n, &expired); resp.Status != wire.KeysExpired || len(resp.Keys) != 0 {
		t.Fatalf("key request with an expired token: got status %d with %d keys, want KeysExpired", resp.Status, len(resp.Keys))
	}
	n.access = &accessNode{cfg: &AccessConfig{Key: s.pub, own: expired}, n: n, log: n.log}
	ai, _ := peer.AddrInfoFromString(tcpAddrs(s.b.Addrs())[0])
	if pc, err := dial(context.Background(), n, *ai, 0); err == nil {
		pc.close()
		t.Fatal("handshake with an expired token: got a connection")
	}
	n.access.cfg.own = *s.token(t, "dave", time.Hour)
	pc, err := dial(context.Background(), n, *ai, 0)
	if err != nil {
		t.Fatalf("handshake with a valid token: %v", err)
	}
	pc.close()
}

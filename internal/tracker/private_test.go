package tracker

import (
	"crypto/ed25519"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shoal-p2p/shoal/internal/access"
	"github.com/shoal-p2p/shoal/internal/live"
	"github.com/shoal-p2p/shoal/internal/piece"
)

// privateChannel is a live channel's owner key and ID.
type privateChannel struct {
	pub  ed25519.PublicKey
	priv ed25519.PrivateKey
	id   piece.ID
}

func newPrivateChannel(t *testing.T, seed byte) privateChannel {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.NewChaCha8([32]byte{seed}))
	if err != nil {
		t.Fatal(err)
	}
	return privateChannel{pub: pub, priv: priv, id: live.ChannelID(pub, "ch")}
}

// token issues a member token for the channel valid for ttl from now.
func (c privateChannel) token(t *testing.T, owner ed25519.PrivateKey, member string, now time.Time, ttl time.Duration) access.Token {
	t.Helper()
	tok, err := access.Issue(owner, access.Claims{Swarm: c.id, Channel: "ch", Member: member, Issued: now, Expires: now.Add(ttl)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// signed returns peer i's announce for the channel signed with tok at now.
func (c privateChannel) signed(i int, key ed25519.PublicKey, tok access.Token, now time.Time) AnnounceRequest {
	r := req(c.id, i)
	r.Sign(key, tok, now)
	return r
}

func TestPrivateSwarmMembersOnly(t *testing.T) {
	s, clk := newTestServer(t, Config{})
	ch := newPrivateChannel(t, 1)
	now := clk.Now()
	alice := ch.token(t, ch.priv, "alice", now, time.Hour)
	bob := ch.token(t, ch.priv, "bob", now, time.Hour)
	announceTo(t, s, "10.0.0.1:1", ch.signed(1, ch.pub, alice, now))
	if got := ids(announceTo(t, s, "10.0.0.2:1", ch.signed(2, ch.pub, bob, now))); len(got) != 1 || got[0] != pid(1) {
		t.Fatalf("member bob: got peers %v, want alice", got)
	}

	// An attacker's own key and credential for the same swarm ID only
	// reach a partition of their own.
	other := newPrivateChannel(t, 2)
	forged := ch.token(t, other.priv, "mallory", now, time.Hour)
	if got := announceTo(t, s, "10.0.0.3:1", ch.signed(3, other.pub, forged, now)); len(got) != 0 {
		t.Fatalf("forged key: got peers %v, want none", ids(got))
	}

	expired := ch.token(t, ch.priv, "carol", now.Add(-2*time.Hour), time.Hour)
	stolen := ch.signed(4, ch.pub, alice, now)
	stolen.PeerID = pid(5) // alice's proof replayed for another peer
	stale := ch.signed(6, ch.pub, alice, now.Add(-10*time.Minute))
	noToken := req(ch.id, 7)
	tests := []struct {
		name string
		req  AnnounceRequest
		want string
	}{
		{"no token", noToken, "is private: announce with a member token"},
		{"expired token", ch.signed(8, ch.pub, expired, now), "token expired"},
		{"proof for another peer", stolen, "proof of member"},
		{"stale proof", stale, "more than 5m0s from the tracker's clock"},
		{"credential under a wrong key", ch.signed(9, other.pub, alice, now), "not issued with this content's key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(s, "10.0.0.9:1", "/announce?"+tt.req.query().Encode(), nil)
			if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), tt.want) {
				t.Fatalf("got %d %s, want 403 containing %q", w.Code, w.Body, tt.want)
			}
		})
	}
	if st := s.Stats(); st.Peers != 3 {
		t.Fatalf("tracker holds %d peers, want the 2 members and the forger", st.Peers)
	}

	// The mark lapses with the members: then the plain ID is an ordinary
	// (empty) public swarm again.
	clk.Advance(2 * time.Minute)
	if got := announceTo(t, s, "10.0.0.9:1", noToken); len(got) != 0 {
		t.Fatalf("after the members left: got peers %v, want none", ids(got))
	}
}

package node

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/shoal-p2p/shoal/internal/access"
	"github.com/shoal-p2p/shoal/internal/tracker"
	"github.com/shoal-p2p/shoal/internal/wire"
)

// Private content defaults.
const (
	DefaultKeyRotation = 10 * time.Minute
	ownerMember        = "owner"                    // the member name of the owner's own token
	ownerTokenTTL      = 100 * 365 * 24 * time.Hour // the owner's token lives as long as the process
)

// AccessConfig makes a node's content private (docs/private.md): peers and
// trackers admit only members, who prove a token the content owner issued;
// a live channel's segments, and the pieces of a file share whose manifest
// is sealed, are encrypted under content keys that members fetch from the
// owner. Zero fields mean the defaults below.
type AccessConfig struct {
	// Key is the owner's Ed25519 public key, under which tokens are
	// verified. Default: Live.Key.
	Key ed25519.PublicKey
	// Owner is the owner's private key (the broadcaster or sharer).
	// Default: Live.Signer. The node issues itself a token with it and,
	// on a live channel, seals segments and serves the content keys.
	Owner ed25519.PrivateKey
	// Token is a member's token. Exactly one of Owner and Token is set.
	Token *access.Token
	// Rotation is how long one content key lasts (live owner): whole
	// seconds, at least 1 s; default DefaultKeyRotation.
	Rotation time.Duration
	// RevokedFile lists revoked member names, one per line (owner only). It
	// is re-read whenever it changes; revoked members are refused at the
	// handshake and by the key service from then on.
	RevokedFile string
	// ContentKey is the key a file share's pieces are sealed under (owner
	// of sealed content, see SealContent); required when the manifest is
	// sealed. Members get it from the owner's key service.
	ContentKey *access.Key

	own access.Token // the token this node proves: Token, or one the owner issued itself
}

// Errors callers branch on.
var (
	// ErrPrivate is returned by a node without a token when a peer named
	// by the link serves the content as private.
	ErrPrivate = errors.New("node: the content is private: a member token is required")
	// ErrRevoked is returned when the owner refuses this node's token as
	// revoked.
	ErrRevoked = errors.New("node: this member is revoked")
)

// fillAccess validates c.Access against the filled rest of c and fills its
// defaults; c.Access is replaced by a filled copy.
func (c *Config) fillAccess() error {
	if c.Access == nil {
		return nil
	}
	ac := *c.Access
	c.Access = &ac
	if c.Live != nil && ac.Key == nil {
		ac.Key = c.Live.Key
	}
	if c.Live != nil && ac.Owner == nil && ac.Token == nil {
		ac.Owner = c.Live.Signer
	}
	setDefault(&ac.Rotation, DefaultKeyRotation)
	switch {
	case len(ac.Key) != ed25519.PublicKeySize:
		return fmt.Errorf("%w: private content: owner key of %d bytes, want %d", ErrConfig, len(ac.Key), ed25519.PublicKeySize)
	case (ac.Owner == nil) == (ac.Token == nil):
		return fmt.Errorf("%w: private content: set exactly one of Owner and Token", ErrConfig)
	case ac.Rotation < access.MinRotation || ac.Rotation%time.Second != 0:
		return fmt.Errorf("%w: key rotation %v: want whole seconds, at least 1s", ErrConfig, ac.Rotation)
	case ac.RevokedFile != "" && ac.Owner == nil:
		return fmt.Errorf("%w: only the owner keeps a revocation list", ErrConfig)
	case ac.ContentKey != nil && (ac.Owner == nil || c.Live != nil):
		return fmt.Errorf("%w: only the owner of a file share sets ContentKey", ErrConfig)
	case ac.ContentKey == nil && ac.Owner != nil && c.Manifest != nil && c.Manifest.Sealed():
		return fmt.Errorf("%w: the manifest is sealed: the owner needs its ContentKey", ErrConfig)
	}
	if ac.Token != nil {
		return c.fillMember(&ac)
	}
	return c.fillOwner(&ac)
}

// fillMember checks a member's token and what a member needs.
func (c *Config) fillMember(ac *AccessConfig) error {
	if err := ac.Token.Verify(ac.Key, c.Swarm, time.Now()); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if c.Live != nil && len(c.Peers) == 0 {
		return fmt.Errorf("%w: a private channel's viewer needs the broadcaster's peer address (x.pe in the link) to fetch content keys", ErrConfig)
	}
	if len(c.Peers) == 0 {
		return fmt.Errorf("%w: a private file's member needs the owner's peer address (x.pe in the link) to fetch the content key", ErrConfig)
	}
	ac.own = *ac.Token
	return nil
}

// fillOwner checks the owner's key, its revocation list, and issues the
// owner's own token.
func (c *Config) fillOwner(ac *AccessConfig) error {
	if len(ac.Owner) != ed25519.PrivateKeySize || !ac.Key.Equal(ac.Owner.Public()) {
		return fmt.Errorf("%w: private content: the owner key does not match the content key", ErrConfig)
	}
	if ac.RevokedFile != "" {
		if _, err := loadRevoked(ac.RevokedFile); err != nil {
			return fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	claims := access.Claims{Swarm: c.Swarm, Member: ownerMember, Issued: time.Now(), Expires: time.Now().Add(ownerTokenTTL)}
	if c.Live != nil {
		claims.Channel = c.Live.Name
	}
	tok, err := access.Issue(ac.Owner, claims, nil)
	if err != nil {
		return fmt.Errorf("%w: private content: %w", ErrConfig, err)
	}
	ac.own = tok
	return nil
}

// accessNode is the private part of a node (Config.Access set): the gate
// every peer passes at the handshake, the owner's key service, and on a
// live channel the member's key client and decryptor (a file member asks
// for its key once, access_files.go). A nil *accessNode is a public node;
// its methods accept that.
type accessNode struct {
	cfg     *AccessConfig
	n       *Node
	log     *slog.Logger
	revoked *revokedList // owner with a RevokedFile; else nil
	keys    *decryptor   // member of a live channel; else nil
	secret  access.Key   // owner: the content secret epoch keys derive from
}

// newAccessNode builds the private part of a node from a filled config.
func newAccessNode(n *Node) *accessNode {
	ac := n.cfg.Access
	if ac == nil {
		return nil
	}
	a := &accessNode{cfg: ac, n: n, log: n.log}
	if ac.RevokedFile != "" {
		a.revoked = newRevokedList(ac.RevokedFile, n.log)
	}
	if ac.Owner != nil {
		a.secret, _ = access.ContentSecret(ac.Owner) // the key was checked in fillOwner
	} else if n.live != nil {
		a.keys = newDecryptor(n.cfg.Swarm, n.live.view, n.log)
	}
	return a
}

// owner reports whether this node owns the content.
func (a *accessNode) owner() bool { return a.cfg.Owner != nil }

// start runs the private parts owned by Node.Run: the key service on an
// owner, the key client on a live member.
func (a *accessNode) start(ctx context.Context, l *loop) {
	switch {
	case a == nil:
	case a.owner():
		a.n.host.SetStreamHandler(keysProtocolID, a.serveKeys)
	case a.n.live != nil:
		l.go_(func() { a.runKeyClient(ctx, l) })
	}
}

// auth returns the Auth this node presents for purpose on stream s.
func (a *accessNode) auth(purpose string, s network.Stream) wire.Auth {
	local, remote := s.Conn().LocalPeer(), s.Conn().RemotePeer()
	ctx := access.Context(purpose, a.n.cfg.Swarm, []byte(local), []byte(remote))
	return wire.Auth{Proof: a.cfg.own.Prove(ctx), Credential: a.cfg.own.Credential.Append(nil)}
}

// check verifies an Auth a peer presented for purpose on stream s and
// returns its credential. The owner also refuses revoked members.
func (a *accessNode) check(m wire.Auth, purpose string, s network.Stream) (access.Credential, error) {
	c, err := access.ParseCredential(m.Credential)
	if err != nil {
		return c, err
	}
	if err := c.Verify(a.cfg.Key, a.n.cfg.Swarm, time.Now()); err != nil {
		return c, err
	}
	ctx := access.Context(purpose, a.n.cfg.Swarm, []byte(s.Conn().RemotePeer()), []byte(s.Conn().LocalPeer()))
	if err := c.CheckProof(ctx, m.Proof); err != nil {
		return c, err
	}
	if a.isRevoked(c.Member) {
		return c, fmt.Errorf("%w: %q", ErrRevoked, c.Member)
	}
	return c, nil
}

// isRevoked reports whether the owner's list names member.
func (a *accessNode) isRevoked(member string) bool {
	return a.revoked != nil && a.revoked.has(member)
}

// admitPeer runs the private part of the handshake after the peer's
// Handshake hs was read from r: a public node refuses a private peer; a
// private node reads and checks the peer's Auth.
func (a *accessNode) admitPeer(r *wire.Reader, s network.Stream, hs wire.Handshake) (*access.Credential, error) {
	private := hs.Roles&wire.RolePrivate != 0
	switch {
	case a == nil && private:
		return nil, ErrPrivate
	case a == nil:
		return nil, nil
	case !private:
		return nil, errors.New("node: handshake: the peer is not a member of this private content")
	}
	m, err := r.ReadMessage()
	if err != nil {
		return nil, fmt.Errorf("node: handshake: %w", err)
	}
	auth, ok := m.(wire.Auth)
	if !ok {
		return nil, fmt.Errorf("node: handshake: got message type %d, want auth", m.Type())
	}
	c, err := a.check(auth, access.PurposePeer, s)
	if err != nil {
		return nil, fmt.Errorf("node: handshake: %w", err)
	}
	return &c, nil
}

// accessTick runs on the loop's tick: a member stops when its own token
// expires; peers whose token expired, or that the owner revoked, are
// dropped.
func (l *loop) accessTick(now time.Time) {
	a := l.n.access
	if a == nil {
		return
	}
	if !a.owner() && !now.Before(a.cfg.own.Expires) {
		l.engErr = fmt.Errorf("node: this node's token expired at %s (ask the owner for a new one): %w",
			a.cfg.own.Expires.Format(time.RFC3339), access.ErrExpired)
		return
	}
	for _, pc := range l.peers {
		if pc.member == nil || (now.Before(pc.member.Expires) && !a.isRevoked(pc.member.Member)) {
			continue
		}
		l.n.log.Info("private: dropping a peer whose token expired or was revoked", "peer", pc.id, "member", pc.member.Member)
		l.unregister(pc)
		l.eng.RemovePeer(pc.id, now)
	}
}

// evFatal stops the node with err.
type evFatal struct{ err error }

// isLinkPeer reports whether p is one of the bootstrap peers the link or
// flags name: only their word that the content is private is trusted.
func (n *Node) isLinkPeer(p peer.ID) bool {
	for _, s := range n.cfg.Peers {
		if ai, err := peer.AddrInfoFromString(s); err == nil && ai.ID == p {
			return true
		}
	}
	return false
}

// signAnnounce adds this node's credential and a fresh proof to a tracker
// announce; a public node leaves it as it is.
func (a *accessNode) signAnnounce(req *tracker.AnnounceRequest) {
	if a != nil {
		req.Sign(a.cfg.Key, a.cfg.own, time.Now())
	}
}

package tracker

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/shoal-p2p/shoal/internal/access"
	"github.com/shoal-p2p/shoal/internal/live"
	"github.com/shoal-p2p/shoal/internal/piece"
)

// Private swarms (docs/private.md). A member's announce carries the content
// owner's key, its credential and a proof over (swarm, peer, time):
//
//	&key=<b64 owner key>&cred=<b64 credential>&proof=<b64 signature>&t=<unix s>
//
// (b64: unpadded URL-safe base64). The tracker verifies them and keeps the
// peer in a partition of the swarm named by the hash of swarm and key, so
// only members of the same owner's content ever see each other, and a
// forged key only reaches a partition of its own. When the credential's
// channel and the key make the swarm ID (live.ChannelID), the key is the
// channel's own and the swarm is marked private: announces for it without a
// valid credential are refused.

// announceSkew bounds the difference between an announce proof's time and
// the tracker's clock.
const announceSkew = 5 * time.Minute

// ErrForbidden is returned for an announce to a private swarm without a
// valid member credential; the server answers it with 403 Forbidden.
var ErrForbidden = errors.New("tracker: access denied")

var b64 = base64.RawURLEncoding.Strict()

// Sign fills the private announce fields of req: the owner key, tok's
// credential and a fresh proof made at now. Call it before each announce.
func (req *AnnounceRequest) Sign(owner ed25519.PublicKey, tok access.Token, now time.Time) {
	req.Key = owner
	req.Credential = tok.Credential.Append(req.Credential[:0])
	req.Time = now.Unix()
	req.Proof = tok.Prove(announceContext(req.Swarm, req.PeerID, req.Time))
}

// announceContext is what an announce proof signs.
func announceContext(swarm piece.ID, peerID string, t int64) []byte {
	return access.Context(access.PurposeAnnounce, swarm, []byte(peerID), []byte(strconv.FormatInt(t, 10)))
}

// accessQuery adds req's private announce fields to v.
func (req AnnounceRequest) accessQuery(v url.Values) {
	if len(req.Credential) == 0 {
		return
	}
	v.Set("key", b64.EncodeToString(req.Key))
	v.Set("cred", b64.EncodeToString(req.Credential))
	v.Set("proof", b64.EncodeToString(req.Proof[:]))
	v.Set("t", strconv.FormatInt(req.Time, 10))
}

// parseAccess reads the private announce fields: all four or none.
func (req *AnnounceRequest) parseAccess(get func(string) (string, error)) error {
	var s [4]string
	given := 0
	for i, name := range [...]string{"key", "cred", "proof", "t"} {
		var err error
		if s[i], err = get(name); err != nil {
			return err
		}
		if s[i] != "" {
			given++
		}
	}
	switch given {
	case 0:
		return nil
	case 4:
	default:
		return fmt.Errorf("%w: key, cred, proof and t go together", ErrBadAnnounce)
	}
	key, err1 := b64.DecodeString(s[0])
	cred, err2 := b64.DecodeString(s[1])
	proof, err3 := b64.DecodeString(s[2])
	if err1 != nil || err2 != nil || err3 != nil || len(key) != ed25519.PublicKeySize || len(proof) != len(req.Proof) ||
		len(cred) == 0 || len(cred) > access.MaxCredentialLen {
		return fmt.Errorf("%w: key, cred or proof is not base64 of the right length", ErrBadAnnounce)
	}
	t, err := strconv.ParseInt(s[3], 10, 64)
	if err != nil || t < 0 || strconv.FormatInt(t, 10) != s[3] {
		return fmt.Errorf("%w: t %q is not a time", ErrBadAnnounce, clip(s[3]))
	}
	req.Key, req.Credential, req.Time = key, cred, t
	copy(req.Proof[:], proof)
	return nil
}

// admit checks an announce against the swarm's privacy and returns the ID
// the registry keeps its peer under.
func (s *Server) admit(req AnnounceRequest, now time.Time) (piece.ID, error) {
	if len(req.Credential) == 0 {
		if s.isPrivate(req.Swarm, now) {
			return piece.ID{}, fmt.Errorf("%w: swarm %s is private: announce with a member token", ErrForbidden, req.Swarm)
		}
		return req.Swarm, nil
	}
	c, err := access.ParseCredential(req.Credential)
	if err == nil {
		err = c.Verify(req.Key, req.Swarm, now)
	}
	if err == nil {
		err = c.CheckProof(announceContext(req.Swarm, req.PeerID, req.Time), req.Proof)
	}
	if err == nil && now.Sub(time.Unix(req.Time, 0)).Abs() > announceSkew {
		err = fmt.Errorf("proof made at %s, more than %s from the tracker's clock", time.Unix(req.Time, 0).UTC().Format(time.RFC3339), announceSkew)
	}
	if err != nil {
		return piece.ID{}, fmt.Errorf("%w: %v", ErrForbidden, err)
	}
	if live.ChannelID(req.Key, c.Channel) == req.Swarm {
		s.markPrivate(req.Swarm, now)
	}
	return partition(req.Swarm, req.Key), nil
}

// partition returns the registry ID of the members of swarm under key.
func partition(swarm piece.ID, key []byte) piece.ID {
	h := sha256.New()
	h.Write([]byte("shoal-private-swarm-v1\x00"))
	h.Write(swarm[:])
	h.Write(key)
	return piece.ID(h.Sum(nil))
}

// isPrivate reports whether a member of swarm proved within the peer TTL
// that the swarm is its owner's private channel. s.mu must not be held.
func (s *Server) isPrivate(swarm piece.ID, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen, ok := s.private[swarm]
	if ok && now.Sub(seen) >= 2*s.cfg.Interval {
		delete(s.private, swarm)
		return false
	}
	return ok
}

// markPrivate records that swarm is private, within MaxSwarms marks.
func (s *Server) markPrivate(swarm piece.ID, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.private[swarm]; !ok && len(s.private) >= s.cfg.MaxSwarms {
		for id, seen := range s.private {
			if now.Sub(seen) >= 2*s.cfg.Interval || len(s.private) >= s.cfg.MaxSwarms {
				delete(s.private, id)
			}
		}
	}
	s.private[swarm] = now
}

package node

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/shoal-p2p/shoal/internal/access"
	"github.com/shoal-p2p/shoal/internal/wire"
)

// Key client timing.
const (
	keysRetryMin  = 500 * time.Millisecond
	keysRetryMax  = 10 * time.Second
	keysWarnAfter = 3 // consecutive failed fetches before a warning
	keysMinWait   = 200 * time.Millisecond
)

// runKeyClient keeps a member's keyring filled from the owner's key
// service until ctx ends: at start, then in each epoch's lead window (with
// jitter, so members do not all ask at once), and at once when the
// decryptor meets an epoch it has no key for. A refusal stops the node
// with a clear error; an unreachable owner is retried.
func (a *accessNode) runKeyClient(ctx context.Context, l *loop) {
	t := time.NewTimer(0)
	defer t.Stop()
	retry, failures := keysRetryMin, 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-a.keys.want:
		}
		resp, err := a.fetchKeys(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			if failures++; failures == keysWarnAfter {
				a.log.Warn("private: cannot reach the broadcaster for content keys; retrying", "err", err)
			}
			t.Reset(retry)
			retry = min(2*retry, keysRetryMax)
		case resp.Status != wire.KeysOK:
			l.send(evFatal{err: refusal(resp.Status, a.cfg.own.Member, "the broadcaster refused content keys")})
			return
		default:
			retry, failures = keysRetryMin, 0
			a.keys.add(resp.Keys)
			t.Reset(nextKeyFetch(resp, rand.Float64()))
		}
	}
}

// refusal turns a refused key request into the node's error; what says
// who refused what.
func refusal(status uint8, member, what string) error {
	switch status {
	case wire.KeysExpired:
		return fmt.Errorf("node: %s: token of %q expired (ask for a new one): %w", what, member, access.ErrExpired)
	case wire.KeysRevoked:
		return fmt.Errorf("node: %s: %w: %q", what, ErrRevoked, member)
	}
	return fmt.Errorf("node: %s: the token is not valid for this content: %w", what, access.ErrBadSignature)
}

// nextKeyFetch returns how long to wait before asking for keys again: until
// the lead window before the next epoch whose key is missing, plus up to
// half the lead (jitter in [0, 1)). Times are the broadcaster's, so clocks
// need not agree.
func nextKeyFetch(resp wire.Keys, jitter float64) time.Duration {
	rot := time.Duration(max(resp.Rotation, 1)) * time.Second
	now := time.UnixMilli(int64(resp.Now))
	next := time.Unix(int64(access.EpochAt(now, rot)), 0).Add(rot)
	for _, k := range resp.Keys {
		if int64(k.Epoch) == next.Unix() {
			next = next.Add(rot) // already held: wait for the one after
			break
		}
	}
	lead := keyLead(rot)
	wake := next.Add(-lead + time.Duration(jitter*float64(lead/2)))
	return max(wake.Sub(now), keysMinWait)
}

// fetchKeys asks the link's peers (the owner) for keys, one after the
// other until one answers.
func (a *accessNode) fetchKeys(ctx context.Context) (wire.Keys, error) {
	err := errors.New("node: keys: no peer address of the owner")
	seen := make(map[peer.ID]bool)
	for _, s := range a.n.cfg.Peers {
		ai, perr := peer.AddrInfoFromString(s)
		if perr != nil || seen[ai.ID] {
			continue
		}
		seen[ai.ID] = true
		var resp wire.Keys
		if resp, err = a.fetchKeysFrom(ctx, *ai); err == nil {
			return resp, nil
		}
	}
	return wire.Keys{}, err
}

// fetchKeysFrom makes one key request to one peer.
func (a *accessNode) fetchKeysFrom(ctx context.Context, ai peer.AddrInfo) (wire.Keys, error) {
	ctx, cancel := context.WithTimeout(ctx, keysTimeout)
	defer cancel()
	if err := a.n.host.Connect(ctx, ai); err != nil {
		return wire.Keys{}, fmt.Errorf("node: keys: connect %s: %w", ai.ID, err)
	}
	s, err := a.n.host.NewStream(ctx, ai.ID, keysProtocolID)
	if err != nil {
		return wire.Keys{}, fmt.Errorf("node: keys: open stream to %s: %w", ai.ID, err)
	}
	defer s.Close()
	s.SetDeadline(time.Now().Add(keysTimeout))
	if _, err := s.Write(wire.AppendFrame(nil, a.auth(access.PurposeKeys, s))); err != nil {
		s.Reset()
		return wire.Keys{}, fmt.Errorf("node: keys: %w", err)
	}
	m, err := wire.NewReader(s, keysMaxFrame).ReadMessage()
	if err != nil {
		s.Reset()
		return wire.Keys{}, fmt.Errorf("node: keys: %w", err)
	}
	resp, ok := m.(wire.Keys)
	if !ok {
		return wire.Keys{}, fmt.Errorf("node: keys: got message type %d, want keys", m.Type())
	}
	return resp, nil
}

package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shoal-p2p/shoal/internal/access"
	"github.com/shoal-p2p/shoal/internal/wire"
)

// A private file's member gets the content key from the owner's key
// service once, before its engine starts (docs/private.md). Storage of
// sealed content opens only then: pieces from an earlier run are verified
// by sealing them again, so the engine starts knowing what is held (it
// has no way to learn that later), and no verified piece waits in memory
// for a key. While the owner cannot be reached the member retries and
// fetches nothing; a refusal stops it.

// keysFor returns the keys a member may hold at now: a live channel's
// epoch keys, or a file share's content key as epoch 0 (none when the
// share is not sealed).
func (a *accessNode) keysFor(now time.Time) []wire.EpochKey {
	switch {
	case a.n.live != nil:
		return a.epochKeys(now)
	case a.cfg.ContentKey == nil:
		return nil
	}
	return []wire.EpochKey{{Epoch: 0, Key: *a.cfg.ContentKey}}
}

// unlockContent gets a private file's member the content key and opens
// the content's storage with it. It returns nil, having done nothing,
// when ctx ends first (Run then returns at once).
func (n *Node) unlockContent(ctx context.Context) error {
	a := n.access
	if a == nil || a.owner() || n.live != nil {
		return nil
	}
	key, err := a.contentKey(ctx)
	if err != nil || ctx.Err() != nil {
		return err
	}
	if err := n.content.unlock(key); err != nil {
		return err
	}
	st := n.content.initialStats()
	n.mu.Lock()
	n.stats = st
	n.mu.Unlock()
	return nil
}

// contentKey asks the owner for the content key until it answers (500 ms
// doubling to 10 s between tries) or ctx ends. The key is nil when the
// share is not sealed.
func (a *accessNode) contentKey(ctx context.Context) (*access.Key, error) {
	t := time.NewTimer(0)
	defer t.Stop()
	retry := keysRetryMin
	for failures := 0; ; {
		select {
		case <-ctx.Done():
			return nil, nil
		case <-t.C:
		}
		resp, err := a.fetchKeys(ctx)
		switch {
		case ctx.Err() != nil:
			return nil, nil
		case err == nil && resp.Status != wire.KeysOK:
			return nil, refusal(resp.Status, a.cfg.own.Member, "the owner refused the content key")
		case err == nil:
			return fileKey(resp)
		}
		if failures++; failures == keysWarnAfter {
			a.log.Warn("private: cannot reach the owner for the content key; retrying", "err", err)
		}
		t.Reset(retry)
		retry = min(2*retry, keysRetryMax)
	}
}

// fileKey returns the content key in a file owner's answer.
func fileKey(resp wire.Keys) (*access.Key, error) {
	switch {
	case len(resp.Keys) == 0:
		return nil, nil
	case len(resp.Keys) == 1 && resp.Keys[0].Epoch == 0:
		k := access.Key(resp.Keys[0].Key)
		return &k, nil
	}
	return nil, fmt.Errorf("node: the owner's key service answered %d keys, want one content key (does the link name the owner of a file share?)", len(resp.Keys))
}

// unlock records the owner's answer, the content key or nil, and opens
// storage if it waited for it.
func (c *content) unlock(key *access.Key) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.key, c.awaitKey = key, false
	if !c.locked {
		return nil
	}
	c.locked = false
	return c.prepare(c.m)
}

// errNoKey is why sealed content cannot be opened without a key: the node
// has no token, or the owner gave none.
func errNoKey(ac *AccessConfig) error {
	if ac == nil {
		return fmt.Errorf("node: the content is encrypted: %w", ErrPrivate)
	}
	return errors.New("node: the content is encrypted but its owner gave no content key")
}

package access

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/shoal-p2p/shoal/internal/piece"
)

// Key is an AES-256 content key.
type Key [32]byte

// MinRotation is the shortest epoch; rotations are whole seconds.
const MinRotation = time.Second

// ContentSecret derives the owner's content secret from its Ed25519 key
// (HKDF-SHA256 over the seed, domain-separated), so a restarted owner
// derives the same epoch keys without keeping another file.
func ContentSecret(owner ed25519.PrivateKey) (Key, error) {
	if len(owner) != ed25519.PrivateKeySize {
		return Key{}, fmt.Errorf("access: owner key of %d bytes, want %d", len(owner), ed25519.PrivateKeySize)
	}
	b, err := hkdf.Key(sha256.New, owner.Seed(), nil, "shoal-content-secret-v1", len(Key{}))
	if err != nil {
		return Key{}, fmt.Errorf("access: content secret: %w", err)
	}
	return Key(b), nil
}

// EpochKey returns the content key of an epoch of swarm: HKDF-SHA256 of the
// content secret with the swarm as salt and the epoch in the info. Knowing
// one epoch's key tells nothing about another's.
func EpochKey(secret Key, swarm piece.ID, epoch uint64) Key {
	info := binary.BigEndian.AppendUint64([]byte("shoal-epoch-key-v1\x00"), epoch)
	b, err := hkdf.Key(sha256.New, secret[:], swarm[:], string(info), len(Key{}))
	if err != nil {
		panic("access: hkdf: " + err.Error()) // cannot happen: fixed hash and lengths
	}
	return Key(b)
}

// EpochAt returns the epoch that contains t: its start in unix seconds,
// a multiple of the rotation (whole seconds, at least MinRotation).
func EpochAt(t time.Time, rotation time.Duration) uint64 {
	r := uint64(max(rotation, MinRotation) / time.Second)
	return uint64(t.Unix()) / r * r
}

// Keyring holds the content keys of recent epochs, at most a fixed number:
// adding one beyond that forgets the oldest. It is not safe for concurrent
// use.
type Keyring struct {
	max  int
	keys map[uint64]Key
}

// NewKeyring returns a keyring keeping at most limit epochs (at least 1).
func NewKeyring(limit int) *Keyring {
	return &Keyring{max: max(limit, 1), keys: make(map[uint64]Key)}
}

// Add keeps key for epoch, forgetting the oldest epoch beyond the limit.
func (k *Keyring) Add(epoch uint64, key Key) {
	k.keys[epoch] = key
	for len(k.keys) > k.max {
		oldest := epoch
		for e := range k.keys {
			oldest = min(oldest, e)
		}
		delete(k.keys, oldest)
	}
}

// Key returns the key of epoch, if held.
func (k *Keyring) Key(epoch uint64) (Key, bool) {
	key, ok := k.keys[epoch]
	return key, ok
}

// Newest returns the latest epoch held, and false when none is.
func (k *Keyring) Newest() (uint64, bool) {
	var newest uint64
	for e := range k.keys {
		newest = max(newest, e)
	}
	return newest, len(k.keys) > 0
}

// Has reports whether the key of epoch is held.
func (k *Keyring) Has(epoch uint64) bool {
	_, ok := k.keys[epoch]
	return ok
}

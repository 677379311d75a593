package node

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/shoal-p2p/shoal/internal/access"
	"github.com/shoal-p2p/shoal/internal/wire"
)

// The owner's key service (docs/private.md): a member opens a stream on
// keysProtocolID, sends one Auth (a proof for access.PurposeKeys), and gets
// one Keys: on a live channel the previous, current and, in the last
// keyLead of an epoch, next epoch's key; on a file share its one content
// key (keysFor); or a refusal.
const (
	keysProtocolID = protocol.ID(wire.KeysProtocolID)
	keysTimeout    = 10 * time.Second
	keysMaxFrame   = 4 << 10
	maxRevoked     = 1 << 20 // bytes of a revocation list
	revokedRecheck = time.Second
)

// keyLead is how long before an epoch starts its key is handed out: a
// quarter of the rotation, at most 30 s.
func keyLead(rotation time.Duration) time.Duration { return min(rotation/4, 30*time.Second) }

// serveKeys answers one key request.
func (a *accessNode) serveKeys(s network.Stream) {
	defer s.Close()
	s.SetDeadline(time.Now().Add(keysTimeout))
	m, err := wire.NewReader(s, keysMaxFrame).ReadMessage()
	if err != nil {
		s.Reset()
		return
	}
	auth, ok := m.(wire.Auth)
	if !ok {
		s.Reset()
		return
	}
	reply := a.grant(auth, s, time.Now())
	if reply.Status != wire.KeysOK {
		a.log.Info("private: content keys refused", "peer", s.Conn().RemotePeer(), "status", reply.Status)
	}
	s.Write(wire.AppendFrame(nil, reply))
}

// grant checks a key request and returns the answer.
func (a *accessNode) grant(auth wire.Auth, s network.Stream, now time.Time) wire.Keys {
	reply := wire.Keys{Now: uint64(now.UnixMilli())}
	if a.n.live != nil {
		reply.Rotation = uint32(a.cfg.Rotation / time.Second)
	}
	_, err := a.check(auth, access.PurposeKeys, s)
	switch {
	case errors.Is(err, access.ErrExpired):
		reply.Status = wire.KeysExpired
	case errors.Is(err, ErrRevoked):
		reply.Status = wire.KeysRevoked
	case err != nil:
		reply.Status = wire.KeysDenied
	default:
		reply.Keys = a.keysFor(now)
	}
	return reply
}

// epochKeys returns the keys a member may hold at now.
func (a *accessNode) epochKeys(now time.Time) []wire.EpochKey {
	rot := uint64(a.cfg.Rotation / time.Second)
	cur := access.EpochAt(now, a.cfg.Rotation)
	epochs := []uint64{cur - rot, cur}
	if now.Add(keyLead(a.cfg.Rotation)).Unix() >= int64(cur+rot) {
		epochs = append(epochs, cur+rot)
	}
	out := make([]wire.EpochKey, len(epochs))
	for i, e := range epochs {
		out[i] = wire.EpochKey{Epoch: e, Key: access.EpochKey(a.secret, a.n.cfg.Swarm, e)}
	}
	return out
}

// revokedList is the owner's list of revoked members, read from a file
// (one name per line; blank lines and lines starting with # are skipped)
// and read again when the file's size or time changes, checked at most once
// a second. A file that cannot be read keeps the last list and is warned
// about.
type revokedList struct {
	path string
	log  *slog.Logger

	mu      sync.Mutex // guards the fields below
	names   map[string]bool
	checked time.Time
	stamp   string // size and modification time the names were read at
}

func newRevokedList(path string, log *slog.Logger) *revokedList {
	return &revokedList{path: path, log: log}
}

// has reports whether member is revoked.
func (r *revokedList) has(member string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now := time.Now(); now.Sub(r.checked) >= revokedRecheck {
		r.checked = now
		r.reload()
	}
	return r.names[member]
}

// reload reads the file again if it changed. r.mu must be held.
func (r *revokedList) reload() {
	fi, err := os.Stat(r.path)
	if err == nil {
		stamp := fmt.Sprint(fi.Size(), fi.ModTime().UnixNano())
		if stamp == r.stamp {
			return
		}
		var names map[string]bool
		if names, err = loadRevoked(r.path); err == nil {
			r.names, r.stamp = names, stamp
			r.log.Info("private: revocation list read", "path", r.path, "revoked", len(names))
			return
		}
	}
	r.log.Warn("private: revocation list unreadable; keeping the last one", "err", err)
}

// loadRevoked reads a revocation list.
func loadRevoked(path string) (map[string]bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("node: revocation list: %w", err)
	}
	if len(b) > maxRevoked {
		return nil, fmt.Errorf("node: revocation list %s: over %d bytes", path, maxRevoked)
	}
	names := make(map[string]bool)
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := string(bytes.TrimSpace(sc.Bytes()))
		if line != "" && line[0] != '#' {
			names[line] = true
		}
	}
	return names, sc.Err()
}

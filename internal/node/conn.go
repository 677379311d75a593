package node

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"golang.org/x/time/rate"

	"github.com/shoal-p2p/shoal/internal/access"
	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/swarm"
	"github.com/shoal-p2p/shoal/internal/wire"
)

const (
	protocolID       = protocol.ID(wire.ProtocolID)
	handshakeTimeout = 10 * time.Second
	idleTimeout      = 3 * time.Minute  // no frame at all from a peer for this long closes it
	keepAliveEvery   = 45 * time.Second // a writer idle this long sends a keep-alive
	maxQueued        = 8192             // frames queued to one peer before it counts as stuck
)

var errQueueFull = errors.New("node: peer send queue full")

// peerConn is one handshaken stream to a peer. The loop goroutine owns its
// registration; its reader and writer goroutines are owned by the loop's
// WaitGroup and end when the stream is closed.
type peerConn struct {
	id       swarm.PeerID
	pid      peer.ID
	s        network.Stream
	r        *wire.Reader // the stream's one reader: it buffers, so nothing else may read s
	outbound bool
	member   *access.Credential // private content: the peer's verified credential (access.go)

	mu     sync.Mutex // guards queue and closed
	queue  []outItem
	closed bool
	notify chan struct{} // signals the writer that queue has items
}

// outItem is a frame to send, or a block to read from storage and send.
type outItem struct {
	frame []byte
	serve *serveJob
}

type serveJob struct {
	index, begin uint32
	off          int64 // content offset of the block
	n            int
}

func newPeerConn(s network.Stream, r *wire.Reader, outbound bool) *peerConn {
	pid := s.Conn().RemotePeer()
	return &peerConn{id: swarm.PeerID(pid.String()), pid: pid, s: s, r: r, outbound: outbound, notify: make(chan struct{}, 1)}
}

// push queues an item for the writer; a peer that lets maxQueued items pile
// up is too slow to keep and its stream is reset.
func (pc *peerConn) push(it outItem) error {
	pc.mu.Lock()
	if pc.closed {
		pc.mu.Unlock()
		return nil
	}
	if len(pc.queue) >= maxQueued {
		pc.mu.Unlock()
		pc.close()
		return errQueueFull
	}
	pc.queue = append(pc.queue, it)
	pc.mu.Unlock()
	select {
	case pc.notify <- struct{}{}:
	default:
	}
	return nil
}

func (pc *peerConn) take() ([]outItem, bool) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	q := pc.queue
	pc.queue = nil
	return q, pc.closed
}

// close resets the stream; the reader and writer then end.
func (pc *peerConn) close() {
	pc.mu.Lock()
	already := pc.closed
	pc.closed = true
	pc.mu.Unlock()
	if !already {
		pc.s.Reset()
		select {
		case pc.notify <- struct{}{}:
		default:
		}
	}
}

// readLoop turns frames into loop events until the stream fails.
func (pc *peerConn) readLoop(send func(event) bool) {
	for {
		pc.s.SetReadDeadline(time.Now().Add(idleTimeout))
		m, err := pc.r.ReadMessage()
		if err != nil {
			send(evGone{pc: pc, err: err})
			return
		}
		if !send(evMessage{pc: pc, msg: m}) {
			return
		}
	}
}

// writeLoop sends queued frames and served blocks, batching writes and
// sending keep-alives when idle.
func (pc *peerConn) writeLoop(done <-chan struct{}, read func(p []byte, off int64) error, limit *rate.Limiter) {
	w := bufio.NewWriterSize(pc.s, 256<<10)
	var buf []byte
	idle := time.NewTimer(keepAliveEvery)
	defer idle.Stop()
	for {
		select {
		case <-pc.notify:
		case <-idle.C:
			if _, err := w.Write(wire.AppendKeepAlive(nil)); err != nil || w.Flush() != nil {
				pc.close()
				return
			}
			idle.Reset(keepAliveEvery)
			continue
		}
		items, closed := pc.take()
		if closed {
			return
		}
		var err error
		for _, it := range items {
			if it.serve != nil && limit != nil {
				// Blocks already buffered go out before waiting for tokens.
				if err = w.Flush(); err == nil {
					err = waitTokens(limit, it.serve.n, done)
				}
				if err != nil {
					break
				}
			}
			if buf, err = pc.writeItem(w, buf, it, read); err != nil {
				break
			}
		}
		if err == nil {
			err = w.Flush()
		}
		if err != nil {
			pc.close()
			return
		}
		idle.Reset(keepAliveEvery)
	}
}

func (pc *peerConn) writeItem(w *bufio.Writer, buf []byte, it outItem, read func([]byte, int64) error) ([]byte, error) {
	if it.serve == nil {
		_, err := w.Write(it.frame)
		return buf, err
	}
	j := it.serve
	buf = wire.AppendDataHeader(buf[:0], j.index, j.begin, j.n)
	hdr := len(buf)
	buf = append(buf, make([]byte, j.n)...)
	if err := read(buf[hdr:], j.off); err != nil {
		return buf, fmt.Errorf("node: read block %d+%d for %s: %w", j.index, j.begin, pc.id, err)
	}
	_, err := w.Write(buf)
	return buf, err
}

var errStopped = errors.New("node: stopped")

// waitTokens waits until the upload cap allows n more bytes, or done.
func waitTokens(limit *rate.Limiter, n int, done <-chan struct{}) error {
	r := limit.ReserveN(time.Now(), n)
	if !r.OK() {
		return fmt.Errorf("node: block of %d bytes exceeds the upload burst", n)
	}
	d := r.Delay()
	if d == 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-done:
		r.Cancel()
		return errStopped
	}
}

// handshake exchanges Handshake messages on a fresh stream: ours first when
// dialling, theirs first when answering. It checks version and swarm and
// returns the stream's reader, which may already hold the frames that
// followed the handshake. On private content (gate set, access.go) an Auth
// follows each Handshake and the peer's credential is returned; the
// answering side checks the dialler's before it shows its own.
func handshake(s network.Stream, swarmID piece.ID, roles uint8, outbound bool, gate *accessNode) (*wire.Reader, *access.Credential, error) {
	s.SetDeadline(time.Now().Add(handshakeTimeout))
	defer s.SetDeadline(time.Time{})
	if gate != nil {
		roles |= wire.RolePrivate
	}
	hsFrame := wire.AppendFrame(nil, wire.Handshake{Version: wire.Version, Swarm: swarmID, Roles: roles})
	ours := hsFrame
	if gate != nil {
		ours = wire.AppendFrame(hsFrame[:len(hsFrame):len(hsFrame)], gate.auth(access.PurposePeer, s))
	}
	if outbound {
		if _, err := s.Write(ours); err != nil {
			return nil, nil, fmt.Errorf("node: handshake: %w", err)
		}
	}
	r := wire.NewReader(s, 0)
	hs, err := readHandshake(r, swarmID)
	if err != nil {
		return nil, nil, err
	}
	member, err := gate.admitPeer(r, s, hs)
	if err != nil {
		if !outbound && gate != nil && hs.Roles&wire.RolePrivate == 0 {
			tellPrivate(s, hsFrame)
		}
		return nil, nil, err
	}
	if !outbound {
		if _, err := s.Write(ours); err != nil {
			return nil, nil, fmt.Errorf("node: handshake: %w", err)
		}
	}
	return r, member, nil
}

// tellPrivate answers a public dialler of private content with our
// Handshake alone, which says why it is refused, and waits (within the
// handshake deadline) until the dialler has read it and closed: a reset
// right away could discard it.
func tellPrivate(s network.Stream, hsFrame []byte) {
	if _, err := s.Write(hsFrame); err == nil && s.CloseWrite() == nil {
		io.Copy(io.Discard, io.LimitReader(s, 64<<10))
	}
}

// readHandshake reads the peer's Handshake and checks version and swarm.
func readHandshake(r *wire.Reader, swarmID piece.ID) (wire.Handshake, error) {
	m, err := r.ReadMessage()
	if err != nil {
		return wire.Handshake{}, fmt.Errorf("node: handshake: %w", err)
	}
	hs, ok := m.(wire.Handshake)
	switch {
	case !ok:
		return hs, fmt.Errorf("node: handshake: got message type %d first", m.Type())
	case hs.Version != wire.Version:
		return hs, fmt.Errorf("node: handshake: peer speaks version %d, want %d", hs.Version, wire.Version)
	case hs.Swarm != swarmID:
		return hs, fmt.Errorf("node: handshake: peer wants swarm %s, this node serves %s", hs.Swarm, swarmID)
	}
	return hs, nil
}

// dial connects to a peer and opens a handshaken stream.
func dial(ctx context.Context, n *Node, ai peer.AddrInfo, roles uint8) (*peerConn, error) {
	ctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	defer cancel()
	if err := n.host.Connect(ctx, ai); err != nil {
		return nil, fmt.Errorf("node: connect %s: %w", ai.ID, err)
	}
	s, err := n.host.NewStream(ctx, ai.ID, protocolID)
	if err != nil {
		return nil, fmt.Errorf("node: open stream to %s: %w", ai.ID, err)
	}
	r, member, err := handshake(s, n.cfg.Swarm, roles, true, n.access)
	if err != nil {
		s.Reset()
		return nil, err
	}
	pc := newPeerConn(s, r, true)
	pc.member = member
	return pc, nil
}

package node

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/shoal-p2p/shoal/internal/swarm"
	"github.com/shoal-p2p/shoal/internal/wire"
)

// tickEvery is how often the engine's clock advances when nothing happens.
const tickEvery = 100 * time.Millisecond

// event is something the loop goroutine must feed to the engine.
type event interface{}

type (
	evStream  struct{ pc *peerConn }
	evMessage struct {
		pc  *peerConn
		msg wire.Message
	}
	evGone struct {
		pc  *peerConn
		err error
	}
	evVerified struct {
		index int
		ok    bool
		err   error     // from writing the piece
		job   *storeJob // the write, kept if the disk was full (space.go)
	}
	evOrigin struct {
		index int
		data  []byte
		err   error
	}
)

// loop owns the engine: only its run goroutine touches eng and peers.
type loop struct {
	n     *Node
	done  <-chan struct{}
	wg    *sync.WaitGroup
	eng   *swarm.Engine
	peers map[swarm.PeerID]*peerConn

	cpu        chan struct{}      // bounds concurrent piece hashing
	candidates chan peer.AddrInfo // peers learnt by exchange, for discovery to dial

	mu         sync.Mutex // guards registered, dialling and banned, shared with discovery
	registered map[peer.ID]bool
	dialling   map[peer.ID]bool // a dial is under way or its stream awaits registration
	banned     map[peer.ID]bool

	started  time.Time
	finished bool
	engErr   error
	space    spacePause // a download paused on a full disk (space.go)
}

func newLoop(n *Node, ctx context.Context, wg *sync.WaitGroup) *loop {
	l := &loop{
		n:          n,
		done:       ctx.Done(),
		wg:         wg,
		peers:      make(map[swarm.PeerID]*peerConn),
		cpu:        make(chan struct{}, runtime.GOMAXPROCS(0)),
		candidates: make(chan peer.AddrInfo, 256),
		registered: make(map[peer.ID]bool),
		dialling:   make(map[peer.ID]bool),
		banned:     make(map[peer.ID]bool),
		started:    time.Now(),
	}
	cfg := n.cfg.Engine
	cfg.Swarm = n.cfg.Swarm
	cfg.Manifest = n.content.manifest()
	cfg.Have = n.content.have
	cfg.Origin = len(n.cfg.Origins) > 0
	if n.live != nil {
		cfg.Live = n.cfg.Live.engineConfig(n.cfg.Swarm, n.cfg.UploadRate) // live channel engine
	}
	l.eng, l.engErr = swarm.New(cfg)
	return l
}

// send hands an event to the loop unless the node is stopping.
func (l *loop) send(ev event) bool {
	select {
	case l.n.events <- ev:
		return true
	case <-l.done:
		return false
	}
}

func (l *loop) go_(f func()) {
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		f()
	}()
}

// roles returns the handshake roles this node announces.
func (l *loop) roles() uint8 {
	var r uint8
	if l.n.content.manifest() != nil {
		r |= wire.RoleHasManifest
	}
	if l.n.content.complete() {
		r |= wire.RoleSeed
	}
	return r
}

// handleStream answers an inbound stream: handshake, then registration.
func (l *loop) handleStream(s network.Stream) {
	r, member, err := handshake(s, l.n.cfg.Swarm, l.roles(), false, l.n.access)
	if err != nil {
		l.n.log.Debug("inbound handshake failed", "peer", s.Conn().RemotePeer(), "err", err)
		s.Reset()
		return
	}
	pc := newPeerConn(s, r, false)
	pc.member = member
	l.start(pc)
}

// start registers a handshaken stream with the loop and runs its I/O.
func (l *loop) start(pc *peerConn) {
	if !l.send(evStream{pc: pc}) {
		pc.close()
		return
	}
	l.go_(func() { pc.writeLoop(l.done, l.n.content.readAt, l.n.upload) })
	l.go_(func() { pc.readLoop(l.send) })
}

func (l *loop) run(ctx context.Context) error {
	if l.engErr != nil {
		return fmt.Errorf("node: %w", l.engErr)
	}
	t := time.NewTicker(tickEvery)
	defer t.Stop()
	defer l.closeAll()
	if l.n.content.complete() {
		l.updateStats(time.Now())
		l.n.setFinal()
		if l.n.cfg.OutDir != "" && !l.n.cfg.Seed {
			return nil // already complete on disk
		}
	} else if l.eng.Done() {
		// A previous run verified every piece but stopped (killed) before
		// moving the content into place. The engine, holding everything
		// from the start, never reports Completed: finish here, or the
		// download would wait for nothing forever.
		if err := l.complete(); err != nil || l.finished {
			return err
		}
	}
	for _, p := range l.n.cfg.Peers {
		ai, _ := peer.AddrInfoFromString(p) // validated in Config.fill
		l.offer(*ai)
	}
	l.pauseIfSetUpShort(time.Now())
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-l.n.events:
			now := time.Now()
			l.handle(ev, now)
			l.drain(now)
		case now := <-t.C:
			l.eng.Tick(now)
			l.updateStats(now)
			if l.n.live != nil {
				l.liveTick() // refresh the gateway's window copy and live figures
			}
			l.accessTick(now) // private content: expired or revoked tokens (access.go)
		}
		if err := l.flush(ctx); err != nil {
			return err
		}
		if l.finished {
			return nil
		}
	}
}

// maxBatch bounds how many queued events one pass handles before the
// engine's actions are carried out.
const maxBatch = 64

// drain handles the events already waiting, so the actions they cause go
// out together: requests answering a burst of blocks leave in one write.
func (l *loop) drain(now time.Time) {
	for range maxBatch - 1 {
		select {
		case ev := <-l.n.events:
			l.handle(ev, now)
		default:
			return
		}
	}
}

func (l *loop) handle(ev event, now time.Time) {
	switch ev := ev.(type) {
	case evStream:
		l.register(ev.pc, now)
	case evMessage:
		if l.peers[ev.pc.id] != ev.pc {
			return
		}
		if px, ok := ev.msg.(wire.Peers); ok {
			l.learnPeers(px)
			return
		}
		l.eng.Receive(ev.pc.id, ev.msg, now)
	case evGone:
		if l.peers[ev.pc.id] == ev.pc {
			l.n.log.Debug("peer gone", "peer", ev.pc.id, "err", ev.err)
			l.unregister(ev.pc)
			l.eng.RemovePeer(ev.pc.id, now)
		}
	case evVerified:
		l.onVerified(ev, now)
	case evSpace:
		l.onSpace(ev, now)
	case evPEX:
		l.sendPEX()
	case evFatal:
		l.engErr = ev.err
	case evOrigin:
		if ev.err != nil {
			l.n.log.Warn("web seed fetch failed", "piece", ev.index, "err", ev.err)
			l.eng.OriginFailed(ev.index, now)
			return
		}
		l.eng.OriginData(ev.index, ev.data, now)
	default:
		if l.n.live != nil {
			l.handleLive(ev, now) // live events (live.go)
		}
	}
}

// register adds a handshaken stream as the peer's connection. When both
// sides dialled each other at once, both keep the stream dialled by the
// lower peer ID, so they agree without talking.
func (l *loop) register(pc *peerConn, now time.Time) {
	if pc.outbound {
		defer l.releaseDial(pc.pid)
	}
	old := l.peers[pc.id]
	switch {
	case l.isBanned(pc.pid) || pc.pid == l.n.host.ID():
		pc.close()
		return
	case old == nil && len(l.peers) >= l.n.cfg.MaxPeers:
		if !l.makeRoom(now) {
			pc.close()
			return
		}
	case old != nil:
		// The new stream was dialled by the lower ID when we are the lower
		// ID and dialled it, or we are the higher ID and answered it.
		lowerDialled := (l.n.host.ID() < pc.pid) == pc.outbound
		if !lowerDialled {
			pc.close()
			return
		}
		l.unregister(old)
		l.eng.RemovePeer(old.id, now)
	}
	l.peers[pc.id] = pc
	l.mu.Lock()
	l.registered[pc.pid] = true
	l.mu.Unlock()
	l.eng.AddPeer(pc.id, now)
}

// makeRoom disconnects the peer the engine names as replaceable, so that
// a newcomer can register at the peer cap; it reports false, turning the
// newcomer away, when every peer is within its grace period.
func (l *loop) makeRoom(now time.Time) bool {
	id, ok := l.eng.Replaceable(now)
	if !ok {
		return false
	}
	if v := l.peers[id]; v != nil {
		l.n.log.Debug("peer replaced by a newcomer at the peer cap", "peer", v.pid)
		l.unregister(v)
	}
	l.eng.RemovePeer(id, now)
	return true
}

func (l *loop) unregister(pc *peerConn) {
	pc.close()
	delete(l.peers, pc.id)
	l.mu.Lock()
	delete(l.registered, pc.pid)
	l.mu.Unlock()
}

func (l *loop) isBanned(p peer.ID) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.banned[p]
}

// claimDial reports whether p is worth dialling now and, if so, records
// that a dial is under way so no other worker dials it at the same time:
// two streams opened from the same side could not be told apart by the
// tie-break in register. releaseDial or registration ends the claim.
func (l *loop) claimDial(p peer.ID) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.registered[p] || l.dialling[p] || l.banned[p] || len(l.registered) >= l.n.cfg.MaxPeers {
		return false
	}
	l.dialling[p] = true
	return true
}

// peerCount returns how many peers are registered.
func (l *loop) peerCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.registered)
}

// releaseDial ends a claim whose dial failed.
func (l *loop) releaseDial(p peer.ID) {
	l.mu.Lock()
	delete(l.dialling, p)
	l.mu.Unlock()
}

// offer passes a candidate peer to discovery without blocking.
func (l *loop) offer(ai peer.AddrInfo) {
	select {
	case l.candidates <- ai:
	default:
	}
}

func (l *loop) closeAll() {
	for _, pc := range l.peers {
		pc.close()
	}
}

// flush carries out the engine's pending actions.
func (l *loop) flush(ctx context.Context) error {
	for _, a := range l.eng.Ready() {
		if err := l.act(ctx, a); err != nil {
			return err
		}
	}
	if l.engErr != nil {
		return l.engErr
	}
	return nil
}

func (l *loop) act(ctx context.Context, a swarm.Action) error {
	switch a := a.(type) {
	case swarm.Send:
		if pc := l.peers[a.Peer]; pc != nil {
			pc.push(outItem{frame: wire.AppendFrame(nil, a.Msg)})
		}
	case swarm.Serve:
		if pc := l.peers[a.Peer]; pc != nil {
			m := l.n.content.manifest()
			off := m.PieceOffset(int(a.Req.Index)) + int64(a.Req.Begin)
			pc.push(outItem{serve: &serveJob{index: a.Req.Index, begin: a.Req.Begin, off: off, n: int(a.Req.Length)}})
		}
	case swarm.Verify:
		l.verify(a)
	case swarm.FetchOrigin:
		l.fetchOrigin(ctx, a.Index)
	case swarm.Disconnect:
		l.disconnect(a)
	case swarm.ManifestReady:
		if err := l.n.content.onManifest(a.Manifest); err != nil {
			return err
		}
		l.n.log.Info("manifest received", "name", a.Manifest.Name, "bytes", a.Manifest.Length(), "pieces", a.Manifest.NumPieces())
		l.pauseIfSetUpShort(time.Now())
		if l.n.content.complete() {
			// The content was already complete on disk from an earlier run.
			l.n.setFinal()
			l.finished = !l.n.cfg.Seed
		}
	case swarm.Completed:
		return l.complete()
	case swarm.FetchSegment, swarm.SegmentReady, swarm.Evicted:
		l.actLive(ctx, a) // live actions (live.go)
	}
	return nil
}

func (l *loop) disconnect(a swarm.Disconnect) {
	pc := l.peers[a.Peer]
	if a.Ban {
		l.n.log.Warn("banning peer", "peer", a.Peer, "reason", a.Reason)
		if pc != nil {
			l.mu.Lock()
			l.banned[pc.pid] = true
			l.mu.Unlock()
		}
	}
	if pc != nil {
		l.unregister(pc)
		l.eng.RemovePeer(pc.id, time.Now())
	}
}

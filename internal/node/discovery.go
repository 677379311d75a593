package node

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/shoal-p2p/shoal/internal/tracker"
	"github.com/shoal-p2p/shoal/internal/wire"
)

const (
	dialWorkers      = 4
	redialEvery      = 5 * time.Second  // bootstrap peers not connected are retried this often
	defaultAnnounce  = 30 * time.Second // tracker interval when the tracker names none
	retryAnnounce    = 10 * time.Second // after a failed announce
	pexEvery         = 30 * time.Second
	pexMaxPeers      = 20
	pexMaxAddrs      = 4
	stoppedAnnounceT = 2 * time.Second
	fewPeers         = 4               // below this many peers, announce again after quickAnnounce
	quickAnnounce    = 5 * time.Second // re-announce interval while peers are few
)

// discovery finds peers (bootstrap addresses, trackers, peer exchange) and
// dials them. It runs in one goroutine owned by Node.Run plus its workers.
type discovery struct {
	n *Node
	l *loop
}

func newDiscovery(n *Node, l *loop) *discovery { return &discovery{n: n, l: l} }

func (d *discovery) run(ctx context.Context) {
	var wg sync.WaitGroup
	for i := 0; i < dialWorkers; i++ {
		wg.Go(func() { d.dialer(ctx) })
	}
	for _, u := range d.n.cfg.Trackers {
		wg.Go(func() { d.announceLoop(ctx, u) })
	}
	wg.Go(func() { every(ctx, redialEvery, d.redialBootstrap) })
	wg.Go(func() { every(ctx, pexEvery, func() { d.l.send(evPEX{}) }) })
	wg.Wait()
}

// dialer takes candidates and opens handshaken streams to them.
func (d *discovery) dialer(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ai := <-d.l.candidates:
			if ai.ID == d.n.host.ID() || !d.l.claimDial(ai.ID) {
				continue
			}
			pc, err := dial(ctx, d.n, ai, d.l.roles())
			if err != nil {
				d.l.releaseDial(ai.ID)
				d.n.log.Debug("dial failed", "peer", ai.ID, "err", err)
				if errors.Is(err, ErrPrivate) && d.n.isLinkPeer(ai.ID) {
					d.l.send(evFatal{err: err}) // the link's own peer says private: no token, no content
				}
				continue
			}
			d.l.start(pc)
		}
	}
}

// redialBootstrap offers the link's and the flags' peers to the dialers
// again; those already connected are skipped there.
func (d *discovery) redialBootstrap() {
	for _, p := range d.n.cfg.Peers {
		ai, _ := peer.AddrInfoFromString(p) // validated in Config.fill
		d.l.offer(*ai)
	}
}

// every calls f every interval until ctx ends.
func every(ctx context.Context, interval time.Duration, f func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f()
		}
	}
}

// announceLoop announces to one tracker until ctx ends, then says stopped.
func (d *discovery) announceLoop(ctx context.Context, url string) {
	req := tracker.AnnounceRequest{Swarm: d.n.cfg.Swarm, PeerID: d.n.host.ID().String(), Event: "started"}
	req.Port, req.QUICPort = d.ports()
	wait := time.Duration(0)
	for {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), stoppedAnnounceT)
			req.Event = "stopped"
			d.n.access.signAnnounce(&req)
			d.n.tracker.Announce(sctx, url, req)
			cancel()
			return
		case <-time.After(wait):
		}
		d.n.access.signAnnounce(&req) // private content: a fresh proof each time (access.go)
		resp, err := d.n.tracker.Announce(ctx, url, req)
		if err != nil {
			if !errors.Is(ctx.Err(), context.Canceled) {
				d.n.log.Warn("tracker announce failed", "tracker", url, "err", err)
			}
			wait = retryAnnounce
			continue
		}
		req.Event = ""
		wait = nextAnnounce(resp.Interval, d.l.peerCount())
		for _, p := range resp.Peers {
			if ai, ok := addrInfo(p.ID, p.Addrs); ok {
				d.l.offer(ai)
			}
		}
	}
}

// nextAnnounce returns how long to wait before announcing again: the
// tracker's interval, or quickAnnounce while the node has few peers, since
// peers that joined at the same moment are only in the tracker's next answer.
func nextAnnounce(interval time.Duration, peers int) time.Duration {
	if interval <= 0 {
		interval = defaultAnnounce
	}
	if peers < fewPeers {
		return min(interval, quickAnnounce)
	}
	return interval
}

// ports returns the TCP and QUIC ports the host listens on.
func (d *discovery) ports() (tcp, quic int) {
	for _, a := range d.n.host.Addrs() {
		if v, err := a.ValueForProtocol(ma.P_TCP); err == nil && tcp == 0 {
			tcp, _ = strconv.Atoi(v)
		}
		if _, err := a.ValueForProtocol(ma.P_QUIC_V1); err == nil && quic == 0 {
			v, _ := a.ValueForProtocol(ma.P_UDP)
			quic, _ = strconv.Atoi(v)
		}
	}
	return tcp, quic
}

func addrInfo(id string, addrs []string) (peer.AddrInfo, bool) {
	pid, err := peer.Decode(id)
	if err != nil {
		return peer.AddrInfo{}, false
	}
	ai := peer.AddrInfo{ID: pid}
	for _, s := range addrs {
		if a, err := ma.NewMultiaddr(s); err == nil {
			ai.Addrs = append(ai.Addrs, a)
		}
	}
	return ai, len(ai.Addrs) > 0
}

// evPEX asks the loop to send each peer a sample of the others.
type evPEX struct{}

// sendPEX sends every peer up to pexMaxPeers other connected peers.
func (l *loop) sendPEX() {
	var all []wire.PeerInfo
	for _, pc := range l.peers {
		info := wire.PeerInfo{ID: []byte(pc.pid)}
		for i, a := range l.n.host.Peerstore().Addrs(pc.pid) {
			if i == pexMaxAddrs {
				break
			}
			info.Addrs = append(info.Addrs, a.Bytes())
		}
		if len(info.Addrs) > 0 {
			all = append(all, info)
		}
	}
	if len(all) < 2 {
		return
	}
	for _, pc := range l.peers {
		rand.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		var msg wire.Peers
		for _, info := range all {
			if len(msg.Peers) == pexMaxPeers {
				break
			}
			if string(info.ID) != string(pc.pid) {
				msg.Peers = append(msg.Peers, info)
			}
		}
		pc.push(outItem{frame: wire.AppendFrame(nil, msg)})
	}
}

// learnPeers offers the peers named in a peer exchange message to discovery.
func (l *loop) learnPeers(px wire.Peers) {
	for _, info := range px.Peers {
		pid, err := peer.IDFromBytes(info.ID)
		if err != nil {
			continue
		}
		ai := peer.AddrInfo{ID: pid}
		for _, b := range info.Addrs {
			if a, err := ma.NewMultiaddrBytes(b); err == nil {
				ai.Addrs = append(ai.Addrs, a)
			}
		}
		if len(ai.Addrs) > 0 {
			l.offer(ai)
		}
	}
}

package sim

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/shoal-p2p/shoal/internal/swarm"
)

// join adds a node with an engine, introduces it to peers like a tracker
// would and starts its ticks (and its departure under churn).
func (d *driver) join(p profile, initial bool) {
	n := d.addNode(p)
	n.initial = initial
	d.newEngine(n)
	if n.eng == nil {
		return
	}
	if d.opt.Trace != nil {
		fmt.Fprintf(d.opt.Trace, "%v %s join %s up=%.0f nat=%t free=%t\n", d.now(), n.pid, p.role, p.up, p.nat, p.free)
	}
	if p.role == roleLeecher {
		d.meas.leechers++
		d.incomplete++
	}
	d.introduce(n, d.sc.Audience.Peers)
	d.present = append(d.present, n.id)
	if d.lv != nil {
		d.lv.joined(n)
	}
	d.s.AfterHandler(time.Duration(d.setupRNG.Int64N(int64(tickPeriod))), (*tickEvents)(d), uint64(n.id))
	if rate := d.sc.Churn.LeavePerMin; rate > 0 && p.role == roleLeecher {
		life := time.Duration(d.churnRNG.ExpFloat64() / rate * float64(time.Minute))
		d.s.After(life, func() { d.leave(n) })
	}
}

// canConnect reports whether a and b can reach each other: one of them
// must accept inbound connections.
func canConnect(a, b *simNode) bool { return !(a.nat && b.nat) }

// introduce dials up to k random present nodes that n is not paired with
// and can reach.
func (d *driver) introduce(n *simNode, k int) {
	cand := append([]NodeID(nil), d.present...)
	for i := 0; i < len(cand) && k > 0; i++ {
		j := i + d.trackRNG.IntN(len(cand)-i)
		cand[i], cand[j] = cand[j], cand[i]
		c := d.nodes[cand[i]]
		if c == n || !c.alive || !canConnect(n, c) || d.stateOf(n.id, c.id) != connNone {
			continue
		}
		d.dial(n, c)
		k--
	}
}

// dial starts a connection; the node that cannot be dialled dials out.
func (d *driver) dial(a, b *simNode) {
	if b.nat {
		a, b = b, a
	}
	pc := &pairConn{state: connDialing}
	d.conns[pairKey(a.id, b.id)] = pc
	addRef(a, b.id, pc)
	addRef(b, a.id, pc)
	d.post(kindHello, a.id, b.id, 0, nil, helloSize)
}

// onHello: the dialled node accepts, answers and adds the dialler, or
// turns it away when it has no room.
func (d *driver) onHello(env envelope) {
	pc := d.conns[pairKey(env.from, env.to)]
	if pc == nil || pc.state != connDialing {
		return
	}
	a, b := d.nodes[env.from], d.nodes[env.to]
	if !d.makeRoom(b, a) {
		d.close(b, a)
		return
	}
	pc.state = connOpen
	d.post(kindHelloAck, env.to, env.from, 0, nil, helloSize)
	d.addPeer(b, a, pc)
	d.drain(b)
}

// onHelloAck: the dialler adds the dialled node, or closes the connection
// when it has no room left (others joined it meanwhile).
func (d *driver) onHelloAck(env envelope) {
	pc := d.conns[pairKey(env.from, env.to)]
	if pc == nil || pc.state != connOpen {
		return
	}
	a, b := d.nodes[env.to], d.nodes[env.from]
	if !d.makeRoom(a, b) {
		d.close(a, b)
		return
	}
	d.addPeer(a, b, pc)
	d.drain(a)
}

// makeRoom reports whether n can add newcomer as a peer under the
// scenario's cap, disconnecting the peer its engine names as replaceable
// when it is full, as the runtime's loop does (node.loop.makeRoom).
func (d *driver) makeRoom(n, newcomer *simNode) bool {
	if n.eng.Stats().Peers < d.sc.Audience.MaxPeers {
		return true
	}
	id, ok := n.eng.Replaceable(d.s.Now())
	if !ok {
		return false
	}
	o := d.nodes[nodeOf(id)]
	if d.opt.Trace != nil {
		fmt.Fprintf(d.opt.Trace, "%v %s replaces %s with %s\n", d.now(), n.pid, o.pid, newcomer.pid)
	}
	n.eng.RemovePeer(id, d.s.Now())
	d.close(n, o)
	d.drain(n)
	return true
}

// onDisconnect closes the connection the engine of n dropped and tells the
// other end.
func (d *driver) onDisconnect(n *simNode, a swarm.Disconnect) {
	o := d.nodes[nodeOf(a.Peer)]
	if a.Ban {
		d.meas.bans = append(d.meas.bans, ban{by: n.id, of: o.id})
	}
	d.close(n, o)
}

// close closes the pair (n, o) and makes o's engine forget n.
func (d *driver) close(n, o *simNode) {
	pc := d.conns[pairKey(n.id, o.id)]
	if pc == nil || pc.state == connClosed {
		return
	}
	st := pc.state
	pc.state = connClosed
	pc.conn = [2]swarm.Conn{} // the pair stays closed: let the engines' peers go
	dropRef(n, o.id)
	dropRef(o, n.id)
	if st == connOpen && o.alive {
		o.eng.RemovePeer(n.pid, d.s.Now())
		d.drain(o)
	}
}

// leave takes n off the network; under churn with replacement a fresh
// leecher joins in its place.
func (d *driver) leave(n *simNode) {
	if !n.alive {
		return
	}
	if d.opt.Trace != nil {
		fmt.Fprintf(d.opt.Trace, "%v %s leave\n", d.now(), n.pid)
	}
	if d.lv != nil {
		d.lv.leaving(n)
	}
	n.alive = false
	n.left = d.now()
	n.final = n.eng.Stats()
	n.eng = nil // nothing drives a departed node: let its state go
	for _, q := range slices.Clone(n.pairs) {
		d.close(n, d.nodes[q.id])
	}
	n.upq, n.dataq = nil, nil
	d.net.RemoveNode(n.id)
	if i := slices.Index(d.present, n.id); i >= 0 {
		d.present = slices.Delete(d.present, i, i+1)
	}
	if n.role == roleLeecher && n.done < 0 {
		d.incomplete--
		d.meas.leftIncomplete++
	}
	if d.sc.Churn.Replaced {
		d.join(d.drawLeecher(d.churnRNG.Float64), false)
	}
	d.checkStop()
}

// announce re-introduces present leechers that are still downloading and
// have lost more than half of their peers, as a periodic tracker announce.
func (d *driver) announce() {
	want := d.sc.Audience.Peers
	for _, id := range slices.Clone(d.present) {
		n := d.nodes[id]
		if n.alive && n.role == roleLeecher && n.done < 0 && len(n.pairs) < want/2 {
			d.introduce(n, want-len(n.pairs))
		}
	}
	d.s.After(announcePeriod, d.announce)
}

// audience returns the initial audience in join order: hostile nodes, free
// riders, NAT'd nodes and upload classes in exact proportions (rounded),
// uniform uploads drawn at random.
func (d *driver) audience() ([]profile, error) {
	a, h := d.sc.Audience, d.sc.Hostile
	liars := int(math.Round(float64(a.Count) * h.Liars))
	corrupt := int(math.Round(float64(a.Count) * h.Corrupt))
	honest := a.Count - liars - corrupt
	if honest <= 0 {
		return nil, errNoHonest
	}
	ups := d.uploads(honest)
	free := d.picks(honest, a.FreeRiderShare)
	nat := d.picks(honest, a.NATShare)
	ps := make([]profile, 0, a.Count)
	for i := range honest {
		p := profile{role: roleLeecher, up: ups[i], down: mbps(a.DownloadMbps), nat: nat[i], free: free[i]}
		if p.free {
			p.up = 0
		}
		ps = append(ps, p)
	}
	for i := range liars + corrupt {
		r := roleLiar
		if i >= liars {
			r = roleCorrupt
		}
		ps = append(ps, profile{role: r, up: d.drawUpload(d.setupRNG.Float64), down: mbps(a.DownloadMbps)})
	}
	d.setupRNG.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
	for i := range ps {
		ps[i].latency = d.drawLatency()
	}
	return ps, nil
}

// uploads returns n upload capacities (bytes/s): class shares in exact
// proportion, shuffled, or uniform draws.
func (d *driver) uploads(n int) []float64 {
	u := d.sc.Audience.Upload
	out := make([]float64, 0, n)
	if u.Classes == nil {
		for range n {
			out = append(out, d.drawUpload(d.setupRNG.Float64))
		}
		return out
	}
	cum := 0.0
	for i, c := range u.Classes {
		cum += c.Share
		upto := int(math.Round(cum * float64(n)))
		if i == len(u.Classes)-1 {
			upto = n
		}
		for len(out) < upto {
			out = append(out, mbps(c.UpMbps))
		}
	}
	d.setupRNG.Shuffle(n, func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// picks marks round(share·n) of n positions, chosen at random.
func (d *driver) picks(n int, share float64) []bool {
	out := make([]bool, n)
	for _, i := range d.setupRNG.Perm(n)[:int(math.Round(share*float64(n)))] {
		out[i] = true
	}
	return out
}

// drawUpload draws one upload capacity (bytes/s) using the uniform variate
// source f.
func (d *driver) drawUpload(f func() float64) float64 {
	u := d.sc.Audience.Upload
	if u.Classes == nil {
		return mbps(u.Lo + f()*(u.Hi-u.Lo))
	}
	x, cum := f(), 0.0
	for _, c := range u.Classes {
		cum += c.Share
		if x < cum {
			return mbps(c.UpMbps)
		}
	}
	return mbps(u.Classes[len(u.Classes)-1].UpMbps)
}

// drawLeecher draws a replacement leecher.
func (d *driver) drawLeecher(f func() float64) profile {
	a := d.sc.Audience
	p := profile{role: roleLeecher, up: d.drawUpload(f), down: mbps(a.DownloadMbps),
		free: f() < a.FreeRiderShare, nat: f() < a.NATShare, latency: d.drawLatency()}
	if p.free {
		p.up = 0
	}
	return p
}

// drawLatency draws one access latency.
func (d *driver) drawLatency() time.Duration {
	l := d.sc.Latency
	if l.Hi == l.Lo {
		return l.Lo
	}
	return l.Lo + time.Duration(d.setupRNG.Int64N(int64(l.Hi-l.Lo)+1))
}

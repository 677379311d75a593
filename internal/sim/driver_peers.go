package sim

import (
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
		d.tracef(n, "%s join %s up=%.0f nat=%t free=%t", n.pid, p.role, p.up, p.nat, p.free)
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
	sh := d.shardOf(n)
	sh.part.s.AfterHandler(time.Duration(d.setupRNG.Int64N(int64(tickPeriod))), (*tickEvents)(sh), uint64(n.id))
	if rate := d.sc.Churn.LeavePerMin; rate > 0 && p.role == roleLeecher {
		life := time.Duration(d.churnRNG.ExpFloat64() / rate * float64(time.Minute))
		d.net.Global().After(life, func() { d.leave(n) })
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
		if c == n || !c.alive || !canConnect(n, c) || d.conns[pairKey(n.id, c.id)] != nil {
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
	pc := &pairConn{state: [2]connState{connDialing, connDialing}}
	d.conns[pairKey(a.id, b.id)] = pc
	addRef(a, b.id, pc)
	addRef(b, a.id, pc)
	d.shardOf(a).post(a.id, b.id, helloSize, envelope{kind: kindHello})
}

// onHello: the dialled node b accepts, answers and adds the dialler a,
// or turns it away when it has no room.
func (sh *shard) onHello(a, b NodeID) {
	d := sh.d
	pc := d.pairOf(d.nodes[b], a)
	if pc == nil || pc.state[side(b, a)] != connDialing {
		return
	}
	na, nb := d.nodes[a], d.nodes[b]
	if !sh.makeRoom(nb, na) {
		sh.close(nb, na)
		return
	}
	pc.state[side(b, a)] = connOpen
	sh.post(b, a, helloSize, envelope{kind: kindHelloAck})
	sh.addPeer(nb, na, pc)
	sh.drain(nb)
}

// onHelloAck: the dialler a adds the dialled node b, or closes the
// connection when it has no room left (others joined it meanwhile).
func (sh *shard) onHelloAck(b, a NodeID) {
	d := sh.d
	pc := d.pairOf(d.nodes[a], b)
	if pc == nil || pc.state[side(a, b)] != connDialing {
		return
	}
	na, nb := d.nodes[a], d.nodes[b]
	if !sh.makeRoom(na, nb) {
		sh.close(na, nb)
		return
	}
	pc.state[side(a, b)] = connOpen
	sh.addPeer(na, nb, pc)
	sh.drain(na)
}

// makeRoom reports whether n can add newcomer as a peer under the
// scenario's cap, disconnecting the peer its engine names as replaceable
// when it is full, as the runtime's loop does (node.loop.makeRoom).
func (sh *shard) makeRoom(n, newcomer *simNode) bool {
	d := sh.d
	if n.eng.Stats().Peers < d.sc.Audience.MaxPeers {
		return true
	}
	id, ok := n.eng.Replaceable(sh.at())
	if !ok {
		return false
	}
	o := d.nodes[nodeOf(id)]
	if d.opt.Trace != nil {
		sh.tracef(n, "%s replaces %s with %s", n.pid, o.pid, newcomer.pid)
	}
	n.eng.RemovePeer(id, sh.at())
	sh.close(n, o)
	sh.drain(n)
	return true
}

// onDisconnect closes the connection the engine of n dropped.
func (sh *shard) onDisconnect(n *simNode, a swarm.Disconnect) {
	o := sh.d.nodes[nodeOf(a.Peer)]
	if a.Ban {
		sh.bans = append(sh.bans, ban{at: sh.now(), by: n.id, of: o.id})
	}
	sh.close(n, o)
}

// close closes n's side of the pair (n, o), whose engine has already
// dropped o, and tells o, which closes its side when the notice arrives:
// what each end sent before it closed still reaches the other.
func (sh *shard) close(n, o *simNode) {
	pc := sh.d.pairOf(n, o.id)
	s := side(n.id, o.id)
	if pc == nil || pc.state[s] == connClosed {
		return
	}
	pc.state[s] = connClosed
	pc.conn[s] = swarm.Conn{} // the pair stays closed: let the engine's peer go
	dropRef(n, o.id)
	sh.post(n.id, o.id, closeSize, envelope{kind: kindClose})
}

// onClose: o learns that n closed their connection; its engine forgets n.
func (sh *shard) onClose(n, o NodeID) {
	d := sh.d
	no := d.nodes[o]
	pc := d.pairOf(no, n)
	s := side(o, n)
	if pc == nil || pc.state[s] == connClosed {
		return
	}
	st := pc.state[s]
	pc.state[s] = connClosed
	pc.conn[s] = swarm.Conn{}
	dropRef(no, n)
	if st == connOpen {
		no.eng.RemovePeer(d.nodes[n].pid, sh.at())
		sh.drain(no)
	}
}

// leave takes n off the network; under churn with replacement a fresh
// leecher joins in its place. Its peers learn of it at once.
func (d *driver) leave(n *simNode) {
	if !n.alive {
		return
	}
	if d.opt.Trace != nil {
		d.tracef(n, "%s leave", n.pid)
	}
	if d.lv != nil {
		d.lv.leaving(n)
	}
	n.alive = false
	n.left = d.now()
	n.final = n.eng.Stats()
	n.eng = nil // nothing drives a departed node: let its state go
	for _, q := range slices.Clone(n.pairs) {
		d.closeBoth(n, d.nodes[q.id])
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
}

// closeBoth closes both sides of the pair (n, o) at once, for a node
// leaving: o's engine forgets n.
func (d *driver) closeBoth(n, o *simNode) {
	pc := d.pairOf(n, o.id)
	if pc == nil {
		return
	}
	for _, s := range [2]int{side(n.id, o.id), side(o.id, n.id)} {
		pc.conn[s] = swarm.Conn{}
	}
	st := pc.state[side(o.id, n.id)]
	pc.state = [2]connState{connClosed, connClosed}
	dropRef(n, o.id)
	dropRef(o, n.id)
	if st == connOpen && o.alive {
		sh := d.shardOf(o)
		o.eng.RemovePeer(n.pid, sh.at())
		sh.drain(o)
	}
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
	d.net.Global().After(announcePeriod, d.announce)
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

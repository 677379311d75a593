package sim

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/shoal-p2p/shoal/internal/swarm"
	"github.com/shoal-p2p/shoal/internal/wire"
)

// shard is the driver's state for one part of the network: what the
// events of the part's nodes use and what they count, so the parts run in
// parallel without sharing it. The driver sums the counts between
// windows, and uses the shard of a node for it during global events.
type shard struct {
	d    *driver
	part *Part[envelope]

	acts       [][]swarm.Action // free action lists (drain)
	scratch    []byte
	sentByType [256]int64 // engine messages put on the network, by wire type
	trace      []traceLine
	err        error

	// Counts of the part's nodes' events.
	completed         int   // files: honest leechers done
	unique, downBytes int64 // files: verified piece bytes, downloaded bytes
	bans              []ban
	live              liveCounts
}

// liveCounts are the live measures counted by node events: Ready bytes
// at honest viewers, the origin's bytes, and (tests) Ready segments whose
// bytes were wrong.
type liveCounts struct {
	fromPeers, fromOrigin, unique int64
	originMedia, originPoll       int64
	badReady                      int
}

func (c *liveCounts) add(o liveCounts) {
	c.fromPeers += o.fromPeers
	c.fromOrigin += o.fromOrigin
	c.unique += o.unique
	c.originMedia += o.originMedia
	c.originPoll += o.originPoll
	c.badReady += o.badReady
}

// now returns the part's virtual time since simStart.
func (sh *shard) now() time.Duration { return sh.part.s.Elapsed() }

// at returns the part's virtual time.
func (sh *shard) at() time.Time { return sh.part.s.Now() }

// fail stops the run with err at the end of the window.
func (sh *shard) fail(err error) {
	if sh.err == nil {
		sh.err = err
	}
}

// shardOf returns the shard of n's part.
func (d *driver) shardOf(n *simNode) *shard {
	return d.shards[d.net.Part(n.id).Index()]
}

// between runs between windows: it writes the trace of the window just
// run and reports whether the run is over.
func (d *driver) between() bool {
	d.flushTrace()
	for _, sh := range d.shards {
		if sh.err != nil && d.err == nil {
			d.err = sh.err
		}
	}
	if d.err != nil {
		return true
	}
	if d.lv == nil && d.pendingJoins == 0 && d.incomplete-d.completed() == 0 {
		d.stop = true
	}
	return d.stop
}

// completed returns how many honest leechers are done (files).
func (d *driver) completed() int {
	n := 0
	for _, sh := range d.shards {
		n += sh.completed
	}
	return n
}

// fileCounts returns the verified piece bytes and the downloaded bytes
// so far (files).
func (d *driver) fileCounts() (unique, down int64) {
	for _, sh := range d.shards {
		unique += sh.unique
		down += sh.downBytes
	}
	return unique, down
}

// liveCounts returns the live counts of every part, summed.
func (d *driver) liveCounts() liveCounts {
	var c liveCounts
	for _, sh := range d.shards {
		c.add(sh.live)
	}
	return c
}

// allBans returns every ban, in a fixed order: by time, then by the
// banning node.
func (d *driver) allBans() []ban {
	var bs []ban
	for _, sh := range d.shards {
		bs = append(bs, sh.bans...)
	}
	slices.SortStableFunc(bs, func(a, b ban) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.by, b.by)) })
	return bs
}

// messagesSent returns the engine messages sent so far by type name.
func (d *driver) messagesSent() map[string]int64 {
	out := make(map[string]int64)
	for _, sh := range d.shards {
		for t, n := range sh.sentByType {
			if n > 0 {
				out[wire.Type(t).String()] += n
			}
		}
	}
	return out
}

// traceLine is a line of the trace: by time, then node (−1 for the run),
// then the order the node wrote its lines in, which does not depend on
// how the nodes are divided into parts.
type traceLine struct {
	at   time.Duration
	node NodeID
	seq  uint64
	text string
}

// tracef adds a line about node n at the part's time.
func (sh *shard) tracef(n *simNode, format string, args ...any) {
	sh.trace = append(sh.trace, sh.d.line(sh.now(), n, format, args...))
}

// tracef adds a line about node n (nil: the run) at the global time.
func (d *driver) tracef(n *simNode, format string, args ...any) {
	d.trace = append(d.trace, d.line(d.now(), n, format, args...))
}

// line formats a trace line: the time, then the text.
func (d *driver) line(at time.Duration, n *simNode, format string, args ...any) traceLine {
	l := traceLine{at: at, node: -1, text: fmt.Sprintf("%v "+format+"\n", append([]any{at}, args...)...)}
	if n != nil {
		n.traceSeq++
		l.node, l.seq = n.id, n.traceSeq
	} else {
		d.traceSeq++
		l.seq = d.traceSeq
	}
	return l
}

// flushTrace writes the lines of every shard and of the run, in order.
func (d *driver) flushTrace() {
	if d.opt.Trace == nil {
		return
	}
	lines := d.trace
	for _, sh := range d.shards {
		lines = append(lines, sh.trace...)
		clear(sh.trace)
		sh.trace = sh.trace[:0]
	}
	slices.SortFunc(lines, func(a, b traceLine) int {
		return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.node, b.node), cmp.Compare(a.seq, b.seq))
	})
	for _, l := range lines {
		if _, err := fmt.Fprint(d.opt.Trace, l.text); err != nil && d.err == nil {
			d.err = fmt.Errorf("sim: trace: %sh", err)
			break
		}
	}
	clear(d.trace)
	d.trace = d.trace[:0]
}

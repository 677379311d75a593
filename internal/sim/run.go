package sim

import (
	"context"
	"fmt"
)

// Run simulates the file scenario sc (with defaults filled and validated)
// and returns its figures. The run is deterministic: the same scenario
// yields the same Result and the same trace. ctx cancels a long run.
//
// Every node runs a real swarm.Engine; the driver stands in for the
// runtime. A tracker introduces each joining node to Audience.Peers random
// present nodes (a NAT'd node is dialled by nobody, so two NAT'd nodes never
// connect) and re-introduces short-handed leechers every 30 s. A node at
// Audience.MaxPeers makes room for a newcomer as the runtime does, by
// replacing the peer its engine names (swarm.Engine.Replaceable). Engine
// messages cross the emulated Network with their encoded size. Served
// blocks wait in a per-node queue and enter the uplink one at a time, so a
// Cancel can still withdraw them. Payloads are sub-slices of one shared
// content buffer, never copied, and verification compares addresses
// instead of hashing. Liars claim every piece and never serve; corrupt
// peers claim every piece and serve wrong bytes; free riders never
// unchoke.
func Run(ctx context.Context, sc Scenario, opt Options) (*Result, error) {
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	if sc.Files == nil {
		return nil, fmt.Errorf("sim: scenario %s is not a file scenario (see RunLive)", sc.Name)
	}
	truth, release, err := allocContent(int(sc.Files.Size))
	if err != nil {
		return nil, fmt.Errorf("sim: content buffer: %w", err)
	}
	defer release()
	d, err := newDriver(sc, opt, truth)
	if err != nil {
		return nil, err
	}
	audience, err := d.audience()
	if err != nil {
		return nil, err
	}
	b, capacity, err := d.bound(audience)
	if err != nil {
		return nil, err
	}
	if err := d.run(ctx, audience); err != nil {
		return nil, err
	}
	return d.result(b, capacity), nil
}

// bound computes the fluid bound for the honest leechers of the initial
// audience and returns it with the total upload capacity u_s + Σu_i in
// bytes/s. The origin, when enabled, counts as server capacity beside the
// seeder.
func (d *driver) bound(audience []profile) (Bound, float64, error) {
	var up, down []float64
	for _, p := range audience {
		if p.role == roleLeecher {
			up = append(up, p.up)
			down = append(down, p.down)
		}
	}
	server := mbps(d.sc.Seeder.UpMbps)
	if d.sc.Origin.Enabled {
		server += mbps(d.sc.Origin.Mbps)
	}
	b, err := FileBound(int64(d.sc.Files.Size), server, up, down)
	if err != nil {
		return Bound{}, 0, err
	}
	capacity := server
	for _, u := range up {
		capacity += u
	}
	b.Server, b.Download, b.Swarm, b.Min = round(b.Server, 3), round(b.Download, 3), round(b.Swarm, 3), round(b.Min, 3)
	return b, capacity, nil
}

package sim

import (
	"errors"
	"slices"
)

// Bound is the fluid-model lower bound on the time for N leechers to fetch
// a file of F bytes from a server uploading u_s bytes/s, leecher i
// uploading u_i and downloading at most d_i (DESIGN.md, Measures):
//
//	T_min = max(F/u_s, F/d_min, N·F/(u_s + Σu_i))
//
// The server must send every byte once, the slowest downlink must receive
// every byte, and N·F bytes must cross the uplinks in total. It holds for a
// static population present from time 0; later arrivals can only do worse.
// Times are in seconds.
type Bound struct {
	Server   float64 `json:"server_s"`   // F/u_s
	Download float64 `json:"download_s"` // F/d_min
	Swarm    float64 `json:"swarm_s"`    // N·F/(u_s + Σu_i)
	Min      float64 `json:"t_min_s"`    // the largest of the three
}

// FileBound computes the bound for a file of size bytes, server upload
// serverUp and the leechers' uploads up and downloads down, all in bytes/s.
// up and down are indexed by leecher and must have the same positive
// length; an upload may be 0 (a free rider), a download may not.
func FileBound(size int64, serverUp float64, up, down []float64) (Bound, error) {
	switch {
	case size <= 0:
		return Bound{}, errors.New("sim: bound: size must be positive")
	case !(serverUp > 0):
		return Bound{}, errors.New("sim: bound: server upload must be positive")
	case len(up) == 0 || len(up) != len(down):
		return Bound{}, errors.New("sim: bound: want one upload and one download per leecher")
	case slices.ContainsFunc(up, func(u float64) bool { return !(u >= 0) }):
		return Bound{}, errors.New("sim: bound: negative upload")
	case slices.ContainsFunc(down, func(d float64) bool { return !(d > 0) }):
		return Bound{}, errors.New("sim: bound: download must be positive")
	}
	f := float64(size)
	total := serverUp
	for _, u := range up {
		total += u
	}
	b := Bound{
		Server:   f / serverUp,
		Download: f / slices.Min(down),
		Swarm:    float64(len(up)) * f / total,
	}
	b.Min = max(b.Server, b.Download, b.Swarm)
	return b, nil
}

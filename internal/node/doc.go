// Package node is the composition root: it drives the pure swarm engine with
// real I/O — a libp2p host, storage on disk, trackers, web seeds and the wall
// clock. One Config in, a running node out; the command line and the tests
// use it alike.
package node

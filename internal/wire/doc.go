// Package wire is Shoal's peer protocol: binary, length-prefixed, versioned
// messages carried on a libp2p stream. Each message type lives in its own
// file with an Append method that encodes into a caller's buffer and a parse
// function that decodes strictly. Frame sizes are checked before allocation.
//
// Frame layout: uint32 big-endian length L (type byte + payload), then one
// type byte, then L-1 payload bytes. A frame with L == 0 is a keep-alive.
package wire

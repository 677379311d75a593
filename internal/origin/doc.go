// Package origin fetches content bytes over HTTP from an origin server, a
// CDN or a web seed, with Range requests (RFC 9110 §14). It does no
// hashing: the engine verifies what it returns exactly as it verifies data
// from peers.
package origin

// Package gateway is the local HTTP server a viewer's players read: HLS
// playlists and segments of a live channel (RFC 8216), a JSON stats API,
// Prometheus metrics and a health check.
//
// The gateway reads a Stream, a small interface the runtime implements over
// the live segment window. Its media playlists make every viewer play the same
// moment, a fixed target latency behind the broadcaster's clock: a segment is
// listed once its end is far enough behind now that a player starting the
// usual three target durations from the end of the playlist plays exactly
// that latency behind (see playhead in window.go).
//
// The gateway owns no goroutines; time is read from Config.Now.
package gateway

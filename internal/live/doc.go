// Package live holds the broadcaster side of live streaming: signed segment
// announcements, chunk hashing and verification, and ingest sources that
// follow live HLS playlists (RFC 8216) written to a folder by an encoder or
// served by an existing origin or CDN.
//
// Nothing here owns a swarm or a socket: a source emits Segment values on a
// channel, and the runtime turns each into an Announcement (NewAnnouncement,
// Sign) and chunks (ChunkLen) for the engine.
package live

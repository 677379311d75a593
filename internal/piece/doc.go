// Package piece holds content identity and integrity: swarm IDs, manifests,
// piece hashing, bitfields, links and verification. It performs no I/O beyond
// reading from the io.Reader values its callers hand it.
package piece

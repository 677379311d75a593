// Package store holds piece storage: content addressed by its offset in the
// concatenation of a manifest's files. It offers a small Storage interface
// with an in-memory and an on-disk implementation, crash-safe downloads that
// stage content beside their destination and move it into place atomically,
// verification of stored pieces against a manifest, and building manifests
// from files on disk.
package store

import (
	"errors"
	"fmt"

	"github.com/shoal-p2p/shoal/internal/piece"
)

// Storage holds the bytes of one piece of content, addressed by offset in the
// concatenation of the manifest's files. Implementations are safe for
// concurrent use on disjoint ranges. A ReadAt or WriteAt of a range that does
// not lie within the content returns an error wrapping piece.ErrOutOfRange and
// transfers nothing. ReadAt follows io.ReaderAt: n < len(p) only with an error.
type Storage interface {
	ReadAt(p []byte, off int64) (int, error)
	WriteAt(p []byte, off int64) (int, error)
	Close() error
}

// Syncer is implemented by storage that can make written data durable.
type Syncer interface {
	// Sync flushes written data to stable storage.
	Sync() error
}

// Errors callers branch on.
var (
	// ErrNoSpace is returned when the device or quota has no room left.
	ErrNoSpace = errors.New("store: no space left on device")
	// ErrReadOnly is returned by writes to storage opened read-only.
	ErrReadOnly = errors.New("store: storage is read-only")
	// ErrClosed is returned by operations on closed storage or downloads.
	ErrClosed = errors.New("store: storage is closed")
	// ErrExists is returned by Download.Finalize when the destination exists.
	ErrExists = errors.New("store: destination already exists")
	// ErrIncomplete is returned by Download.Finalize when staged files are
	// missing or short.
	ErrIncomplete = errors.New("store: download incomplete")
	// ErrEmpty is returned by BuildManifest for content of zero bytes.
	ErrEmpty = errors.New("store: no content to share")
	// ErrBadPieceSize is returned by BuildManifest for a piece size that is
	// not a power of two between piece.MinPieceSize and piece.MaxPieceSize.
	ErrBadPieceSize = errors.New("store: bad piece size")
)

// checkRange returns an error wrapping piece.ErrOutOfRange unless the range
// [off, off+n) lies within content of length bytes; op names the operation.
func checkRange(op string, off int64, n int, length int64) error {
	if off < 0 || off > length || int64(n) > length-off {
		return fmt.Errorf("store: %s [%d,%d) of %d bytes: %w", op, off, off+int64(n), length, piece.ErrOutOfRange)
	}
	return nil
}

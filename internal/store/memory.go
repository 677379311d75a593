package store

import "sync/atomic"

// Memory is Storage held in a byte slice. It is the fake used by tests of
// other packages and the backing for content small enough to keep in RAM.
type Memory struct {
	data   []byte // written concurrently on disjoint ranges, never resized
	closed atomic.Bool
}

var _ Storage = (*Memory)(nil)

// NewMemory returns zero-filled storage for length bytes of content.
func NewMemory(length int64) *Memory {
	return &Memory{data: make([]byte, length)}
}

// ReadAt copies content at off into p.
func (s *Memory) ReadAt(p []byte, off int64) (int, error) {
	if s.closed.Load() {
		return 0, ErrClosed
	}
	if err := checkRange("read", off, len(p), int64(len(s.data))); err != nil {
		return 0, err
	}
	return copy(p, s.data[off:]), nil
}

// WriteAt copies p into the content at off.
func (s *Memory) WriteAt(p []byte, off int64) (int, error) {
	if s.closed.Load() {
		return 0, ErrClosed
	}
	if err := checkRange("write", off, len(p), int64(len(s.data))); err != nil {
		return 0, err
	}
	return copy(s.data[off:], p), nil
}

// Close makes further reads and writes fail with ErrClosed.
func (s *Memory) Close() error {
	s.closed.Store(true)
	return nil
}

//go:build unix

package sim

import "syscall"

// allocContent returns a read-only, zero-filled buffer of n bytes mapped
// outside the Go heap, and a function that unmaps it. Untouched pages cost
// no memory, and the buffer does not inflate the garbage collector's heap
// target. Nothing may use the buffer after release.
func allocContent(n int) ([]byte, func(), error) {
	if n == 0 {
		return nil, func() {}, nil
	}
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil, nil, err
	}
	return b, func() { _ = syscall.Munmap(b) }, nil
}

//go:build !unix

package sim

// allocContent returns a zero-filled buffer of n bytes on the Go heap.
func allocContent(n int) ([]byte, func(), error) {
	return make([]byte, n), func() {}, nil
}

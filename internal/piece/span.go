package piece

import (
	"errors"
	"fmt"
)

// Span is the part of one file that a content range covers.
type Span struct {
	File   int   // index into Manifest.Files
	Offset int64 // offset within that file
	Length int64
}

// ErrOutOfRange is returned for a content range past the end of the content.
var ErrOutOfRange = errors.New("piece: range out of bounds")

// Spans maps the content range [off, off+n) onto the files it covers, in
// order. Zero-length files are skipped.
func (m *Manifest) Spans(off, n int64) ([]Span, error) {
	length := m.Length()
	if off < 0 || n < 0 || off > length || n > length-off {
		return nil, fmt.Errorf("%w: %d bytes at %d of %d", ErrOutOfRange, n, off, length)
	}
	var spans []Span
	var start int64 // content offset at which file i starts
	for i, f := range m.Files {
		end := start + f.Size
		if n > 0 && off < end && f.Size > 0 {
			take := min(end-off, n)
			spans = append(spans, Span{File: i, Offset: off - start, Length: take})
			off += take
			n -= take
		}
		start = end
		if n == 0 {
			break
		}
	}
	return spans, nil
}

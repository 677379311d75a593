package piece

import (
	"errors"
	"math"
	"slices"
	"testing"
)

// spanManifest has zero-length files at the start, middle and end:
// content offsets 0..5 are file 1, 5..15 file 4, 15..18 file 5.
func spanManifest() *Manifest {
	return &Manifest{Name: "d", Dir: true, PieceSize: MinPieceSize, Files: []File{
		{"a", 0}, {"b", 5}, {"c", 0}, {"d", 0}, {"e", 10}, {"f", 3}, {"g", 0},
	}}
}

func TestSpans(t *testing.T) {
	tests := []struct {
		off, n int64
		want   []Span
	}{
		{0, 0, nil},
		{18, 0, nil},
		{5, 0, nil},
		{0, 18, []Span{{1, 0, 5}, {4, 0, 10}, {5, 0, 3}}},
		{0, 5, []Span{{1, 0, 5}}},
		{0, 6, []Span{{1, 0, 5}, {4, 0, 1}}},
		{4, 2, []Span{{1, 4, 1}, {4, 0, 1}}},
		{5, 10, []Span{{4, 0, 10}}},
		{6, 3, []Span{{4, 1, 3}}},
		{14, 4, []Span{{4, 9, 1}, {5, 0, 3}}},
		{17, 1, []Span{{5, 2, 1}}},
	}
	m := spanManifest()
	for _, tt := range tests {
		got, err := m.Spans(tt.off, tt.n)
		if err != nil {
			t.Errorf("Spans(%d, %d) error %v, want nil", tt.off, tt.n, err)
			continue
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Spans(%d, %d) = %v, want %v", tt.off, tt.n, got, tt.want)
		}
	}
}

func TestSpansOutOfRange(t *testing.T) {
	tests := []struct{ off, n int64 }{
		{-1, 1},
		{0, -1},
		{0, 19},
		{18, 1},
		{19, 0},
		{17, 2},
		{math.MaxInt64, 1},
		{1, math.MaxInt64},
		{math.MaxInt64, math.MaxInt64},
		{math.MinInt64, 0},
	}
	m := spanManifest()
	for _, tt := range tests {
		if got, err := m.Spans(tt.off, tt.n); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("Spans(%d, %d) = %v, %v, want ErrOutOfRange", tt.off, tt.n, got, err)
		}
	}
}

// TestSpansCoverRange checks every range of the sample manifest: spans are
// non-empty, in file order, contiguous, within their files and add up to n.
func TestSpansCoverRange(t *testing.T) {
	m := spanManifest()
	starts := make([]int64, len(m.Files))
	for i := 1; i < len(m.Files); i++ {
		starts[i] = starts[i-1] + m.Files[i-1].Size
	}
	length := m.Length()
	for off := int64(0); off <= length; off++ {
		for n := int64(0); off+n <= length; n++ {
			spans, err := m.Spans(off, n)
			if err != nil {
				t.Fatalf("Spans(%d, %d) error %v, want nil", off, n, err)
			}
			pos, total := off, int64(0)
			for j, s := range spans {
				if s.Length <= 0 || s.Offset+s.Length > m.Files[s.File].Size {
					t.Fatalf("Spans(%d, %d)[%d] = %+v, outside file of %d bytes", off, n, j, s, m.Files[s.File].Size)
				}
				if j > 0 && s.File <= spans[j-1].File {
					t.Fatalf("Spans(%d, %d) = %v, files out of order", off, n, spans)
				}
				if got := starts[s.File] + s.Offset; got != pos {
					t.Fatalf("Spans(%d, %d)[%d] starts at content offset %d, want %d", off, n, j, got, pos)
				}
				pos += s.Length
				total += s.Length
			}
			if total != n {
				t.Fatalf("Spans(%d, %d) covers %d bytes, want %d", off, n, total, n)
			}
		}
	}
}

package piece

// File is one file of a manifest. Path uses forward slashes, is relative,
// clean, and never contains "..", empty or "." elements.
type File struct {
	Path string
	Size int64
}

// Manifest describes static content: a single file or a folder. Pieces span
// file boundaries: the content is the concatenation of Files in order, cut
// into PieceSize pieces (the last one may be shorter).
type Manifest struct {
	Name      string // display name and top-level file or folder name
	Dir       bool   // true: a folder named Name holding Files; false: one file, Files[0].Path == Name
	PieceSize int64  // power of two, 16 KiB .. 16 MiB
	Files     []File // at least one; a single file has Path == Name
	Pieces    []Hash // SHA-256 of each piece
}

// Length returns the total content length in bytes.
func (m *Manifest) Length() int64 {
	var n int64
	for _, f := range m.Files {
		n += f.Size
	}
	return n
}

// PieceOffset returns the content offset at which piece i starts.
func (m *Manifest) PieceOffset(i int) int64 { return int64(i) * m.PieceSize }

// NumPieces returns len(m.Pieces).
func (m *Manifest) NumPieces() int { return len(m.Pieces) }

// PieceLen returns the length of piece i; the last piece may be short.
func (m *Manifest) PieceLen(i int) int64 {
	if i == len(m.Pieces)-1 {
		return m.Length() - int64(i)*m.PieceSize
	}
	return m.PieceSize
}

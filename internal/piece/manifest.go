package piece

// File is one file of a manifest. Path uses forward slashes, is relative,
// clean, and never contains "..", empty or "." elements.
type File struct {
	Path string
	Size int64
}

// TagSize is the length of a Tag.
const TagSize = 16

// Tag is the AES-GCM authentication tag of one piece of sealed (private,
// encrypted) content: the piece's hash is over its ciphertext, and the tag
// lets a member that holds the content key check that the key opens it.
type Tag [TagSize]byte

// Manifest describes static content: a single file or a folder. Pieces span
// file boundaries: the content is the concatenation of Files in order, cut
// into PieceSize pieces (the last one may be shorter).
type Manifest struct {
	Name      string // display name and top-level file or folder name
	Dir       bool   // true: a folder named Name holding Files; false: one file, Files[0].Path == Name
	PieceSize int64  // power of two, 16 KiB .. 16 MiB
	Files     []File // at least one; a single file has Path == Name
	Pieces    []Hash // SHA-256 of each piece (of its ciphertext when the content is sealed)
	// Tags, when set, mark the content as sealed (docs/private.md): each
	// piece is AES-256-GCM ciphertext under a key only members get, and
	// Tags[i] is piece i's tag. Nil for public content; otherwise exactly
	// one per piece.
	Tags []Tag
}

// Sealed reports whether the content is encrypted (Tags is set).
func (m *Manifest) Sealed() bool { return len(m.Tags) > 0 }

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

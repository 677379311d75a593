package piece

import (
	"encoding/binary"
	"fmt"
	"math"
)

// MaxManifestSize is the largest manifest encoding, in bytes, that
// ParseManifest accepts and Validate allows.
const MaxManifestSize = 64 << 20

// Manifest encoding constants (see Manifest.Encode).
const (
	manifestMagic   = "SHMF"
	manifestVersion = 1
	flagDir         = 1 << 0
	flagSealed      = 1 << 1
	minFileLen      = 3 // shortest file entry: path length, one path byte, size
)

// Encode returns the canonical binary encoding of m. The swarm ID of static
// content is the SHA-256 of this encoding. Version 1 is:
//
//	magic    4 bytes "SHMF"
//	version  1 byte, 1
//	name     uvarint byte length, UTF-8 bytes
//	flags    1 byte: bit 0 set for a folder (Dir), bit 1 for sealed
//	         content (Tags), other bits zero
//	piece    uvarint PieceSize
//	files    uvarint count, then for each file:
//	         uvarint path byte length, path bytes, uvarint size
//	pieces   uvarint count, then count 32-byte SHA-256 digests
//	tags     only when flags bit 1 is set: one 16-byte tag per piece
//
// Public content (no Tags) encodes exactly as before sealing existed.
// Every uvarint is the minimal unsigned LEB128 form of encoding/binary.
// Each valid manifest has exactly one encoding; Encode of a manifest that
// fails Validate is not guaranteed to be accepted by ParseManifest.
func (m *Manifest) Encode() []byte {
	b := make([]byte, 0, m.encodedLen())
	b = append(b, manifestMagic...)
	b = append(b, manifestVersion)
	b = appendString(b, m.Name)
	var flags byte
	if m.Dir {
		flags |= flagDir
	}
	if m.Sealed() {
		flags |= flagSealed
	}
	b = append(b, flags)
	b = binary.AppendUvarint(b, uint64(m.PieceSize))
	b = binary.AppendUvarint(b, uint64(len(m.Files)))
	for _, f := range m.Files {
		b = appendString(b, f.Path)
		b = binary.AppendUvarint(b, uint64(f.Size))
	}
	b = binary.AppendUvarint(b, uint64(len(m.Pieces)))
	for _, h := range m.Pieces {
		b = append(b, h[:]...)
	}
	for _, t := range m.Tags {
		b = append(b, t[:]...)
	}
	return b
}

// encodedLen returns len(m.Encode()) without encoding.
func (m *Manifest) encodedLen() int {
	n := len(manifestMagic) + 1 + stringLen(m.Name) + 1 + uvarintLen(uint64(m.PieceSize))
	n += uvarintLen(uint64(len(m.Files)))
	for _, f := range m.Files {
		n += stringLen(f.Path) + uvarintLen(uint64(f.Size))
	}
	n += uvarintLen(uint64(len(m.Pieces))) + len(m.Pieces)*len(Hash{})
	return n + len(m.Tags)*TagSize
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func stringLen(s string) int { return uvarintLen(uint64(len(s))) + len(s) }

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// ID returns the swarm ID of m: SHA-256 of Encode().
func (m *Manifest) ID() ID { return ID(HashBytes(m.Encode())) }

// ParseManifest decodes and validates a canonical manifest encoding (see
// Manifest.Encode). It is strict: the input must be at most MaxManifestSize
// bytes, use minimal varints and have no trailing bytes, so that every
// accepted input b satisfies Encode() == b. Counts are checked against the
// remaining input before anything is allocated. Errors wrap ErrBadManifest.
func ParseManifest(b []byte) (*Manifest, error) {
	if len(b) > MaxManifestSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrBadManifest, len(b), MaxManifestSize)
	}
	d := decoder{b: b}
	d.header()
	m := &Manifest{}
	m.Name = d.string(maxNameLen, "name")
	flags := d.flags()
	m.Dir = flags&flagDir != 0
	m.PieceSize = d.int64("piece size")
	m.Files = d.files()
	m.Pieces = d.pieces()
	if flags&flagSealed != 0 {
		m.Tags = d.tags(len(m.Pieces))
	}
	if d.err == nil && d.off != len(b) {
		d.fail("%d trailing bytes", len(b)-d.off)
	}
	if d.err != nil {
		return nil, d.err
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// decoder reads a manifest encoding. After the first error every read is a
// no-op returning a zero value, and err holds that first error.
type decoder struct {
	b   []byte
	off int
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s at offset %d", ErrBadManifest, fmt.Sprintf(format, args...), d.off)
	}
}

func (d *decoder) remaining() int { return len(d.b) - d.off }

func (d *decoder) header() {
	if d.remaining() < len(manifestMagic) || string(d.b[:len(manifestMagic)]) != manifestMagic {
		d.fail("missing %q magic", manifestMagic)
		return
	}
	d.off += len(manifestMagic)
	if d.remaining() < 1 {
		d.fail("truncated version")
		return
	}
	if v := d.b[d.off]; v != manifestVersion {
		d.fail("unsupported version %d", v)
		return
	}
	d.off++
}

// uvarint reads a minimal uvarint.
func (d *decoder) uvarint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	switch {
	case n == 0:
		d.fail("truncated %s", what)
	case n < 0:
		d.fail("%s overflows 64 bits", what)
	case n > 1 && d.b[d.off+n-1] == 0:
		d.fail("non-minimal varint for %s", what)
	default:
		d.off += n
		return v
	}
	return 0
}

// int64 reads a uvarint that must fit an int64.
func (d *decoder) int64(what string) int64 {
	v := d.uvarint(what)
	if v > math.MaxInt64 {
		d.fail("%s %d too large", what, v)
		return 0
	}
	return int64(v)
}

// string reads a length-prefixed string of at most limit bytes.
func (d *decoder) string(limit int, what string) string {
	n := d.uvarint(what + " length")
	if d.err != nil {
		return ""
	}
	if n > uint64(limit) {
		d.fail("%s of %d bytes, limit %d", what, n, limit)
		return ""
	}
	if n > uint64(d.remaining()) {
		d.fail("truncated %s", what)
		return ""
	}
	s := string(d.b[d.off : d.off+int(n)])
	d.off += int(n)
	return s
}

func (d *decoder) flags() byte {
	if d.err != nil {
		return 0
	}
	if d.remaining() < 1 {
		d.fail("truncated flags")
		return 0
	}
	f := d.b[d.off]
	if f&^(flagDir|flagSealed) != 0 {
		d.fail("unknown flags %#02x", f)
		return 0
	}
	d.off++
	return f
}

func (d *decoder) files() []File {
	n := d.uvarint("file count")
	if d.err != nil {
		return nil
	}
	if n > MaxFiles {
		d.fail("%d files, limit %d", n, MaxFiles)
		return nil
	}
	if n > uint64(d.remaining()/minFileLen) {
		d.fail("%d files do not fit in %d bytes", n, d.remaining())
		return nil
	}
	files := make([]File, n)
	for i := range files {
		files[i].Path = d.string(MaxPathLen, "file path")
		files[i].Size = d.int64("file size")
	}
	return files
}

func (d *decoder) pieces() []Hash {
	n := d.uvarint("piece count")
	if d.err != nil {
		return nil
	}
	if n > uint64(d.remaining()/len(Hash{})) {
		d.fail("%d piece hashes do not fit in %d bytes", n, d.remaining())
		return nil
	}
	pieces := make([]Hash, n)
	for i := range pieces {
		d.off += copy(pieces[i][:], d.b[d.off:])
	}
	return pieces
}

// tags reads one tag per piece of sealed content.
func (d *decoder) tags(n int) []Tag {
	if d.err != nil {
		return nil
	}
	if n == 0 || n > d.remaining()/TagSize {
		d.fail("%d piece tags do not fit in %d bytes", n, d.remaining())
		return nil
	}
	tags := make([]Tag, n)
	for i := range tags {
		d.off += copy(tags[i][:], d.b[d.off:])
	}
	return tags
}

package wire

import "encoding/binary"

// Manifest limits.
const (
	// MaxManifestSize is the largest canonical manifest encoding a peer may
	// announce as Manifest.Total.
	MaxManifestSize = 64 << 20
	// MaxManifestChunk is the most manifest bytes one Manifest message carries.
	MaxManifestChunk = 256 << 10
)

// manifestHeaderLen is the length of Manifest's fixed fields before Data.
const manifestHeaderLen = 8

// ManifestRequest asks for the encoded manifest starting at Offset.
//
// Encoding: u32 offset (4 bytes).
type ManifestRequest struct {
	Offset uint32
}

// Type returns TypeManifestRequest.
func (ManifestRequest) Type() Type { return TypeManifestRequest }

// Append appends the payload encoding of m to b.
func (m ManifestRequest) Append(b []byte) []byte {
	return binary.BigEndian.AppendUint32(b, m.Offset)
}

func parseManifestRequest(p []byte) (ManifestRequest, error) {
	if err := wantLen(TypeManifestRequest, p, 4); err != nil {
		return ManifestRequest{}, err
	}
	return ManifestRequest{Offset: binary.BigEndian.Uint32(p)}, nil
}

// Manifest carries part of the canonical manifest encoding: Data holds bytes
// [Offset, Offset+len(Data)) of a Total-byte encoding.
//
// Encoding: u32 total (1..MaxManifestSize), u32 offset, then Data
// (1..MaxManifestChunk bytes) to the end of the frame, with
// Offset+len(Data) <= Total. A parsed Data aliases the parsed buffer.
type Manifest struct {
	Total, Offset uint32
	Data          []byte
}

// Type returns TypeManifest.
func (Manifest) Type() Type { return TypeManifest }

// Append appends the payload encoding of m to b.
func (m Manifest) Append(b []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, m.Total)
	b = binary.BigEndian.AppendUint32(b, m.Offset)
	return append(b, m.Data...)
}

func parseManifest(p []byte) (Manifest, error) {
	if len(p) < manifestHeaderLen {
		return Manifest{}, malformed(TypeManifest, "%d bytes, want at least %d", len(p), manifestHeaderLen+1)
	}
	m := Manifest{
		Total:  binary.BigEndian.Uint32(p),
		Offset: binary.BigEndian.Uint32(p[4:]),
		Data:   p[manifestHeaderLen:],
	}
	if m.Total == 0 || m.Total > MaxManifestSize {
		return Manifest{}, malformed(TypeManifest, "total %d outside 1..%d", m.Total, MaxManifestSize)
	}
	if n := len(m.Data); n == 0 || n > MaxManifestChunk {
		return Manifest{}, malformed(TypeManifest, "chunk length %d outside 1..%d", n, MaxManifestChunk)
	}
	if end := uint64(m.Offset) + uint64(len(m.Data)); end > uint64(m.Total) {
		return Manifest{}, malformed(TypeManifest, "chunk ends at %d past total %d", end, m.Total)
	}
	return m, nil
}

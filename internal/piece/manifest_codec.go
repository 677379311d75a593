package piece

// Encode returns the canonical binary encoding of m. The swarm ID of static
// content is the SHA-256 of this encoding.
//
// TODO(piece helper): implement; this placeholder exists so other packages compile.
func (m *Manifest) Encode() []byte { panic("piece: Manifest.Encode not implemented yet") }

// ID returns the swarm ID of m: SHA-256 of Encode().
func (m *Manifest) ID() ID { return ID(HashBytes(m.Encode())) }

// ParseManifest decodes and validates a canonical manifest encoding.
//
// TODO(piece helper): implement.
func ParseManifest(b []byte) (*Manifest, error) { panic("piece: ParseManifest not implemented yet") }

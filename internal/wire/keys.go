package wire

import "encoding/binary"

// KeysProtocolID is the libp2p protocol on which a member asks the owner of
// private content (a live channel's broadcaster, a file's sharer) for
// content keys: the member sends one Auth, the owner answers one Keys and
// closes the stream.
const KeysProtocolID = "/shoal/keys/1"

// MaxEpochKeys is the most keys one Keys message carries.
const MaxEpochKeys = 4

// Keys statuses: KeysOK carries keys; the others say why none are given.
const (
	KeysOK      uint8 = 0 // Keys holds the current epoch's key, and the next one's when it is near
	KeysExpired uint8 = 1 // the token expired
	KeysRevoked uint8 = 2 // the member is revoked
	KeysDenied  uint8 = 3 // the token or proof is not valid for this channel
)

// EpochKey is the AES-256 content key of one epoch (its start, unix
// seconds).
type EpochKey struct {
	Epoch uint64
	Key   [32]byte
}

// Keys answers a key request. For a file share it carries rotation 0 and
// its one content key as epoch 0 (no key when the share is not sealed).
//
// Encoding: u8 status (0..KeysDenied), u64 the broadcaster's clock (unix
// ms), u32 rotation (seconds), u8 key count (0..MaxEpochKeys, 0 unless
// KeysOK), then per key a u64 epoch and 32 key bytes.
type Keys struct {
	Status   uint8
	Now      uint64
	Rotation uint32
	Keys     []EpochKey
}

// keysHeaderLen is the length before the keys.
const keysHeaderLen = 1 + 8 + 4 + 1

// Type returns TypeKeys.
func (Keys) Type() Type { return TypeKeys }

// Append appends the payload encoding of m to b.
func (m Keys) Append(b []byte) []byte {
	b = append(b, m.Status)
	b = binary.BigEndian.AppendUint64(b, m.Now)
	b = binary.BigEndian.AppendUint32(b, m.Rotation)
	b = append(b, byte(len(m.Keys)))
	for _, k := range m.Keys {
		b = binary.BigEndian.AppendUint64(b, k.Epoch)
		b = append(b, k.Key[:]...)
	}
	return b
}

func parseKeys(p []byte) (Keys, error) {
	if len(p) < keysHeaderLen {
		return Keys{}, malformed(TypeKeys, "%d bytes, shorter than the header", len(p))
	}
	m := Keys{Status: p[0], Now: binary.BigEndian.Uint64(p[1:]), Rotation: binary.BigEndian.Uint32(p[9:])}
	n := int(p[13])
	switch {
	case m.Status > KeysDenied:
		return Keys{}, malformed(TypeKeys, "unknown status %d", m.Status)
	case n > MaxEpochKeys:
		return Keys{}, malformed(TypeKeys, "%d keys, limit %d", n, MaxEpochKeys)
	case n > 0 && m.Status != KeysOK:
		return Keys{}, malformed(TypeKeys, "%d keys with refusal status %d", n, m.Status)
	case len(p) != keysHeaderLen+n*40:
		return Keys{}, malformed(TypeKeys, "%d bytes, want %d", len(p), keysHeaderLen+n*40)
	}
	if n > 0 {
		m.Keys = make([]EpochKey, n)
	}
	for i := range m.Keys {
		q := p[keysHeaderLen+i*40:]
		m.Keys[i].Epoch = binary.BigEndian.Uint64(q)
		copy(m.Keys[i].Key[:], q[8:40])
	}
	return m, nil
}

package wire

// MaxAnnounceSize is the largest announcement encoding an Announce carries:
// 256 KiB, room for about 8,000 chunk hashes (a 64 MiB segment in 8 KiB
// chunks). The broadcaster's engine refuses to publish a larger one.
const MaxAnnounceSize = 256 << 10

// Announce carries a live segment announcement: the canonical, signed
// encoding of a live.Announcement. The codec only bounds its size; the
// receiver parses it and checks the signature against the channel key.
//
// Encoding: the whole payload is Data (1..MaxAnnounceSize bytes). A parsed
// Data aliases the parsed buffer.
type Announce struct {
	Data []byte
}

// Type returns TypeAnnounce.
func (Announce) Type() Type { return TypeAnnounce }

// Append appends the payload encoding of m to b.
func (m Announce) Append(b []byte) []byte { return append(b, m.Data...) }

func parseAnnounce(p []byte) (Announce, error) {
	if len(p) == 0 || len(p) > MaxAnnounceSize {
		return Announce{}, malformed(TypeAnnounce, "%d bytes outside 1..%d", len(p), MaxAnnounceSize)
	}
	return Announce{Data: p}, nil
}

package live

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/shoal-p2p/shoal/internal/piece"
)

// testKey is a fixed broadcaster key so that tests and the fuzz corpus are
// reproducible.
func testKey(seed byte) (ed25519.PublicKey, ed25519.PrivateKey) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	return priv.Public().(ed25519.PublicKey), priv
}

// sampleAnnouncements are valid, signed announcements; they also seed the
// fuzz target.
func sampleAnnouncements(t testing.TB) []Announcement {
	pub, priv := testKey(1)
	data := bytes.Repeat([]byte("0123456789abcdef"), 300) // 4800 bytes
	base := Announcement{
		Channel:   ChannelID(pub, "news"),
		Rendition: 2,
		Sequence:  1<<40 + 7,
		Duration:  2002 * time.Millisecond,
		Time:      time.Date(2026, 3, 1, 12, 0, 0, 123e6, time.UTC),
		Size:      uint64(len(data)),
		ChunkSize: 1024,
		Chunks:    ChunkHashes(data, 1024),
	}
	one := base
	one.Rendition, one.Sequence, one.Size, one.ChunkSize, one.Discontinuity = 0, 0, 1, MaxChunkSize, true
	one.Chunks = ChunkHashes([]byte{7}, MaxChunkSize)
	one.Duration, one.Time = MaxDuration, time.UnixMilli(0).UTC()
	out := []Announcement{base, one}
	for i := range out {
		if err := out[i].Sign(priv); err != nil {
			t.Fatalf("Sign: %v", err)
		}
	}
	return out
}

func TestAnnouncementRoundTrip(t *testing.T) {
	pub, _ := testKey(1)
	for _, a := range sampleAnnouncements(t) {
		b := a.Append(nil)
		got, err := ParseAnnouncement(b)
		if err != nil {
			t.Fatalf("ParseAnnouncement: %v", err)
		}
		if !reflect.DeepEqual(got, a) {
			t.Fatalf("got %+v, want %+v", got, a)
		}
		if err := got.Verify(pub); err != nil {
			t.Fatalf("Verify after round trip: %v", err)
		}
		if len(b) > MaxAnnouncementLen {
			t.Errorf("got %d bytes, want at most MaxAnnouncementLen %d", len(b), MaxAnnouncementLen)
		}
	}
}

func TestAnnouncementTimeHasMillisecondPrecision(t *testing.T) {
	a := sampleAnnouncements(t)[0]
	a.Time = time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.FixedZone("x", 3600))
	got, err := ParseAnnouncement(a.Append(nil))
	if err != nil {
		t.Fatal(err)
	}
	if want := a.Time.Truncate(time.Millisecond); !got.Time.Equal(want) || got.Time.Location() != time.UTC {
		t.Fatalf("got time %v, want %v in UTC", got.Time, want)
	}
}

func TestAnnouncementTamperedFieldFailsVerify(t *testing.T) {
	pub, _ := testKey(1)
	otherPub, _ := testKey(2)
	tests := []struct {
		name   string
		tamper func(a *Announcement)
	}{
		{"channel", func(a *Announcement) { a.Channel = ChannelID(pub, "sport") }},
		{"rendition", func(a *Announcement) { a.Rendition++ }},
		{"sequence", func(a *Announcement) { a.Sequence++ }},
		{"duration", func(a *Announcement) { a.Duration += time.Millisecond }},
		{"time", func(a *Announcement) { a.Time = a.Time.Add(time.Millisecond) }},
		{"size", func(a *Announcement) { a.Size-- }},
		{"chunk size", func(a *Announcement) { a.ChunkSize = 2048; a.Chunks = a.Chunks[:3] }},
		{"chunk hash", func(a *Announcement) { a.Chunks[4][31] ^= 1 }},
		{"discontinuity", func(a *Announcement) { a.Discontinuity = !a.Discontinuity }},
		{"signature", func(a *Announcement) { a.Signature[0] ^= 1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := sampleAnnouncements(t)[0]
			tt.tamper(&a)
			if err := a.Verify(pub); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("got Verify error %v, want ErrBadSignature", err)
			}
		})
	}
	t.Run("wrong key", func(t *testing.T) {
		a := sampleAnnouncements(t)[0]
		if err := a.Verify(otherPub); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("got Verify error %v, want ErrBadSignature", err)
		}
		if err := a.Verify(pub[:31]); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("got Verify error %v with a short key, want ErrBadSignature", err)
		}
	})
}

// TestAnnouncementEveryByteIsCovered flips a bit in each byte of the
// encoding (a different bit position from byte to byte): the result must fail
// to parse or fail to verify.
func TestAnnouncementEveryByteIsCovered(t *testing.T) {
	pub, _ := testKey(1)
	b := sampleAnnouncements(t)[0].Append(nil)
	for i := range b {
		c := bytes.Clone(b)
		c[i] ^= 1 << (i % 8)
		a, err := ParseAnnouncement(c)
		if err == nil {
			err = a.Verify(pub)
		}
		if err == nil {
			t.Fatalf("byte %d bit %d flipped: got a valid announcement, want an error", i, i%8)
		}
	}
}

func TestParseAnnouncementIsStrict(t *testing.T) {
	valid := sampleAnnouncements(t)[0].Append(nil)
	// Offsets of the fixed header fields.
	const (
		offDuration  = 32 + 1 + 8
		offSize      = offDuration + 8 + 8
		offChunkSize = offSize + 8
		offFlags     = offChunkSize + 4
		offCount     = offFlags + 1
	)
	put64 := func(off int, v uint64) []byte {
		b := bytes.Clone(valid)
		binary.BigEndian.PutUint64(b[off:], v)
		return b
	}
	put32 := func(off int, v uint32) []byte {
		b := bytes.Clone(valid)
		binary.BigEndian.PutUint32(b[off:], v)
		return b
	}
	flags := bytes.Clone(valid)
	flags[offFlags] = 0x02
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"header only", valid[:headerLen]},
		{"one byte short", valid[:len(valid)-1]},
		{"one byte long", append(bytes.Clone(valid), 0)},
		{"count too high", put32(offCount, 6)},
		{"count too low", put32(offCount, 4)},
		{"size disagrees with count", put64(offSize, 6*1024+1)},
		{"size zero", put64(offSize, 0)},
		{"size over limit", put64(offSize, MaxSegmentSize+1)},
		{"chunk size below limit", put32(offChunkSize, MinChunkSize-1)},
		{"chunk size above limit", put32(offChunkSize, MaxChunkSize+1)},
		{"chunk size zero", put32(offChunkSize, 0)},
		{"duration zero", put64(offDuration, 0)},
		{"duration over limit", put64(offDuration, uint64(MaxDuration+1))},
		{"duration negative", put64(offDuration, 1<<63)},
		{"unknown flag", flags},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseAnnouncement(tt.b); !errors.Is(err, ErrBadAnnouncement) {
				t.Fatalf("got error %v, want ErrBadAnnouncement", err)
			}
		})
	}
}

func TestSignRejectsInvalid(t *testing.T) {
	_, priv := testKey(1)
	a := sampleAnnouncements(t)[0]
	if err := a.Sign(priv[:10]); err == nil {
		t.Errorf("got no error signing with a short key, want one")
	}
	a.Chunks = a.Chunks[1:]
	if err := a.Sign(priv); !errors.Is(err, ErrBadAnnouncement) {
		t.Errorf("got error %v signing with a missing chunk hash, want ErrBadAnnouncement", err)
	}
}

func TestChannelID(t *testing.T) {
	pub1, _ := testKey(1)
	pub2, _ := testKey(2)
	ids := map[piece.ID]string{}
	for _, c := range []struct {
		pub  ed25519.PublicKey
		name string
	}{{pub1, "news"}, {pub1, "news2"}, {pub1, ""}, {pub2, "news"}, {pub1[:31], string(pub1[31:]) + "news"}} {
		id := ChannelID(c.pub, c.name)
		if prev, dup := ids[id]; dup {
			t.Fatalf("got the same ID for %q and %q, want distinct", prev, c.name)
		}
		ids[id] = c.name
	}
	if ChannelID(pub1, "news") != ChannelID(pub1, "news") {
		t.Fatalf("got different IDs for the same key and name, want equal")
	}
}

func FuzzParseAnnouncement(f *testing.F) {
	for _, a := range sampleAnnouncements(f) {
		b := a.Append(nil)
		f.Add(b)
		f.Add(b[:len(b)-1])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseAnnouncement(b)
		if err != nil {
			return
		}
		if got := a.Append(nil); !bytes.Equal(got, b) {
			t.Fatalf("Append(Parse(b)) = %x, want %x", got, b)
		}
		again, err := ParseAnnouncement(a.Append(nil))
		if err != nil || !reflect.DeepEqual(again, a) {
			t.Fatalf("second parse: got %+v, %v, want %+v", again, err, a)
		}
	})
}

func TestAnnouncementKey(t *testing.T) {
	a := Announcement{Rendition: 3, Sequence: 1<<40 + 7}
	raw := a.Append(nil)
	r, seq, ok := AnnouncementKey(raw)
	if !ok || r != 3 || seq != 1<<40+7 {
		t.Errorf("AnnouncementKey = %d, %d, %t; want 3, %d, true", r, seq, ok, uint64(1<<40+7))
	}
	if _, _, ok := AnnouncementKey(raw[:40]); ok {
		t.Errorf("AnnouncementKey of 40 bytes: ok, want not ok")
	}
}

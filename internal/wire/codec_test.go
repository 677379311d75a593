package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/shoal-p2p/shoal/internal/piece"
)

// cat concatenates byte slices; it keeps test payloads readable.
func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func u8(v uint8) []byte   { return []byte{v} }
func fill(n int, c byte) []byte {
	return bytes.Repeat([]byte{c}, n)
}

// maxPeers returns a Peers message at every limit at once.
func maxPeers() Peers {
	var m Peers
	for i := 0; i < MaxPeers; i++ {
		pi := PeerInfo{ID: fill(MaxPeerIDLen, byte(i))}
		for j := 0; j < MaxPeerAddrs; j++ {
			pi.Addrs = append(pi.Addrs, fill(MaxAddrLen, byte(j)))
		}
		m.Peers = append(m.Peers, pi)
	}
	return m
}

var swarm = piece.ID{0: 0xaa, 31: 0x55}

// roundTrips lists valid messages, including every boundary value. Each must
// encode and parse back to itself; FuzzParse and FuzzReader are seeded from it.
var roundTrips = []struct {
	name string
	typ  Type
	msg  Message
}{
	{"handshake", TypeHandshake, Handshake{Version: Version, Swarm: swarm, Roles: RoleSeed | RoleHasManifest}},
	{"handshake zero", TypeHandshake, Handshake{}},
	{"handshake max", TypeHandshake, Handshake{Version: math.MaxUint16, Swarm: piece.ID(fill(32, 0xff)), Roles: 0xff}},
	{"bitfield empty", TypeBitfield, Bitfield{}},
	{"bitfield one", TypeBitfield, Bitfield{Bits: []byte{0x80}}},
	{"bitfield max", TypeBitfield, Bitfield{Bits: fill(MaxBitfieldBytes, 0xff)}},
	{"have zero", TypeHave, Have{}},
	{"have max", TypeHave, Have{Index: math.MaxUint32}},
	{"request min", TypeRequest, Request{Length: 1}},
	{"request max", TypeRequest, Request{Index: math.MaxUint32, Begin: math.MaxUint32, Length: MaxBlockSize}},
	{"data min", TypeData, Data{Payload: []byte{7}}},
	{"data 16k", TypeData, Data{Index: 3, Begin: 16 << 10, Payload: fill(16<<10, 0x5a)}},
	{"data max", TypeData, Data{Index: math.MaxUint32, Begin: math.MaxUint32, Payload: fill(MaxBlockSize, 1)}},
	{"cancel min", TypeCancel, Cancel{Length: 1}},
	{"cancel max", TypeCancel, Cancel{Index: math.MaxUint32, Begin: math.MaxUint32, Length: MaxBlockSize}},
	{"reject choked", TypeReject, Reject{Index: 1, Begin: 2, Length: 3, Reason: RejectChoked}},
	{"reject not have", TypeReject, Reject{Length: MaxBlockSize, Reason: RejectNotHave}},
	{"reject too many", TypeReject, Reject{Length: 1, Reason: RejectTooMany}},
	{"reject bad range", TypeReject, Reject{Index: math.MaxUint32, Length: 1, Reason: RejectBadRange}},
	{"choke", TypeChoke, Choke{}},
	{"unchoke", TypeUnchoke, Unchoke{}},
	{"interested", TypeInterested, Interested{}},
	{"not interested", TypeNotInterested, NotInterested{}},
	{"manifest request zero", TypeManifestRequest, ManifestRequest{}},
	{"manifest request max", TypeManifestRequest, ManifestRequest{Offset: math.MaxUint32}},
	{"manifest whole", TypeManifest, Manifest{Total: 1, Data: []byte{9}}},
	{"manifest tail", TypeManifest, Manifest{Total: 10, Offset: 6, Data: []byte{1, 2, 3, 4}}},
	{"manifest max", TypeManifest, Manifest{Total: MaxManifestSize, Offset: MaxManifestSize - MaxManifestChunk, Data: fill(MaxManifestChunk, 3)}},
	{"peers none", TypePeers, Peers{}},
	{"peers no addrs", TypePeers, Peers{Peers: []PeerInfo{{ID: []byte{1}}}}},
	{"peers two", TypePeers, Peers{Peers: []PeerInfo{
		{ID: []byte("peer-a"), Addrs: [][]byte{{4, 127, 0, 0, 1}, {0x29, 1}}},
		{ID: fill(MaxPeerIDLen, 'b'), Addrs: [][]byte{fill(MaxAddrLen, 'x')}},
	}}},
	{"peers max", TypePeers, maxPeers()},
	{"announce min", TypeAnnounce, Announce{Data: []byte{1}}},
	{"announce 1k", TypeAnnounce, Announce{Data: fill(1<<10, 0xa5)}},
	{"announce max", TypeAnnounce, Announce{Data: fill(MaxAnnounceSize, 0xa5)}},
	{"live have min", TypeLiveHave, LiveHave{Chunks: []byte{0x80}}},
	{"live have two bytes", TypeLiveHave, LiveHave{Rendition: 2, Sequence: 77, Chunks: []byte{0xff, 0xc0}}},
	{"live have max", TypeLiveHave, LiveHave{Rendition: math.MaxUint8, Sequence: math.MaxUint64, Chunks: fill(MaxLiveHaveBytes, 0xff)}},
	{"live request zero", TypeLiveRequest, LiveRequest{}},
	{"live request max", TypeLiveRequest, LiveRequest{maxAddr}},
	{"live data min", TypeLiveData, LiveData{Payload: []byte{7}}},
	{"live data 16k", TypeLiveData, LiveData{ChunkAddr{1, 9, 3}, fill(16<<10, 0x3c)}},
	{"live data max", TypeLiveData, LiveData{maxAddr, fill(MaxBlockSize, 2)}},
	{"live cancel zero", TypeLiveCancel, LiveCancel{}},
	{"live cancel max", TypeLiveCancel, LiveCancel{maxAddr}},
	{"live reject choked", TypeLiveReject, LiveReject{ChunkAddr{1, 2, 3}, RejectChoked}},
	{"live reject bad range", TypeLiveReject, LiveReject{maxAddr, RejectBadRange}},
	{"auth min", TypeAuth, Auth{Proof: [64]byte{1}, Credential: []byte{2}}},
	{"auth max", TypeAuth, Auth{Proof: [64]byte(fill(64, 0xee)), Credential: fill(MaxCredentialSize, 3)}},
	{"keys denied", TypeKeys, Keys{Status: KeysDenied, Now: 1, Rotation: 600}},
	{"keys one", TypeKeys, Keys{Now: 1_700_000_000_000, Rotation: 600, Keys: []EpochKey{{Epoch: 1_699_999_800, Key: [32]byte{9}}}}},
	{"live intro min", TypeLiveIntro, LiveIntro{Announce: []byte{1}, Chunks: []byte{0x80}}},
	{"live intro max", TypeLiveIntro, LiveIntro{Announce: fill(MaxAnnounceSize, 7), Chunks: fill(MaxLiveHaveBytes, 0xff)}},
	{"keys max", TypeKeys, Keys{Now: math.MaxUint64, Rotation: math.MaxUint32, Keys: []EpochKey{{1, [32]byte{1}}, {2, [32]byte{2}}, {3, [32]byte{3}}, {math.MaxUint64, [32]byte(fill(32, 0xff))}}}},
}

// maxAddr is a live chunk address at every limit.
var maxAddr = ChunkAddr{Rendition: math.MaxUint8, Sequence: math.MaxUint64, Chunk: MaxLiveChunks - 1}

// addr encodes a live chunk address for reject payloads.
func addr(r uint8, seq uint64, chunk uint32) []byte {
	return cat(u8(r), binary.BigEndian.AppendUint64(nil, seq), u32(chunk))
}

func TestRoundTrip(t *testing.T) {
	prefix := []byte("prefix")
	for _, tt := range roundTrips {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.msg.Type(); got != tt.typ {
				t.Fatalf("Type() = %v, want %v", got, tt.typ)
			}
			b := tt.msg.Append(append([]byte(nil), prefix...))
			if !bytes.HasPrefix(b, prefix) {
				t.Fatalf("Append clobbered the prefix: got %q, want prefix %q", b[:len(prefix)], prefix)
			}
			got, err := Parse(tt.typ, b[len(prefix):])
			if err != nil {
				t.Fatalf("Parse: got error %v, want nil", err)
			}
			if !reflect.DeepEqual(got, tt.msg) {
				t.Fatalf("Parse(Append(m)): got %+v, want %+v", brief(got), brief(tt.msg))
			}
		})
	}
}

// brief keeps failure messages readable when a message holds a large slice.
func brief(m Message) any {
	if b := m.Append(nil); len(b) > 64 {
		return fmt.Sprintf("%v with a %d-byte payload", m.Type(), len(b))
	}
	return m
}

// TestEncoding pins the byte layout, so that a change to it fails loudly.
func TestEncoding(t *testing.T) {
	tests := []struct {
		msg  Message
		want []byte
	}{
		{Handshake{Version: 0x0102, Swarm: swarm, Roles: 3}, cat([]byte{1, 2}, swarm[:], u8(3))},
		{Bitfield{Bits: []byte{0xf0, 0x01}}, []byte{0xf0, 0x01}},
		{Have{Index: 0x01020304}, []byte{1, 2, 3, 4}},
		{Request{Index: 1, Begin: 2, Length: 3}, []byte{0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3}},
		{Cancel{Index: 1, Begin: 2, Length: 3}, []byte{0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3}},
		{Reject{Index: 1, Begin: 2, Length: 3, Reason: 4}, []byte{0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 4}},
		{Data{Index: 1, Begin: 2, Payload: []byte{9, 8}}, []byte{0, 0, 0, 1, 0, 0, 0, 2, 9, 8}},
		{Choke{}, nil},
		{ManifestRequest{Offset: 0x0a0b0c0d}, []byte{0x0a, 0x0b, 0x0c, 0x0d}},
		{Manifest{Total: 5, Offset: 3, Data: []byte{7, 7}}, []byte{0, 0, 0, 5, 0, 0, 0, 3, 7, 7}},
		{Peers{Peers: []PeerInfo{{ID: []byte{0xee}, Addrs: [][]byte{{1, 2}}}}}, []byte{1, 1, 0xee, 1, 2, 1, 2}},
		{Announce{Data: []byte{5, 6}}, []byte{5, 6}},
		{LiveHave{Rendition: 1, Sequence: 2, Chunks: []byte{0xa0}}, []byte{1, 0, 0, 0, 0, 0, 0, 0, 2, 0xa0}},
		{LiveRequest{ChunkAddr{1, 2, 3}}, []byte{1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 3}},
		{LiveCancel{ChunkAddr{1, 2, 3}}, []byte{1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 3}},
		{LiveReject{ChunkAddr{1, 2, 3}, RejectTooMany}, []byte{1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 3, 3}},
		{LiveData{ChunkAddr{1, 2, 3}, []byte{9}}, []byte{1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 3, 9}},
		{Auth{Proof: [64]byte{7}, Credential: []byte{8}}, cat(u8(7), fill(63, 0), u8(8))},
		{LiveIntro{Announce: []byte{5, 6}, Chunks: []byte{0xa0}}, []byte{0, 0, 0, 2, 5, 6, 0xa0}},
		{Keys{Status: 0, Now: 2, Rotation: 3, Keys: []EpochKey{{Epoch: 4, Key: [32]byte{5}}}},
			cat(u8(0), []byte{0, 0, 0, 0, 0, 0, 0, 2}, u32(3), u8(1), []byte{0, 0, 0, 0, 0, 0, 0, 4}, u8(5), fill(31, 0))},
	}
	for _, tt := range tests {
		if got := tt.msg.Append(nil); !bytes.Equal(got, tt.want) {
			t.Errorf("%v.Append: got % x, want % x", tt.msg.Type(), got, tt.want)
		}
	}
}

// rejects lists payloads Parse must refuse, each with the sentinel it must wrap.
var rejects = []struct {
	name    string
	typ     Type
	payload []byte
	want    error
}{
	{"handshake short", TypeHandshake, fill(34, 0), ErrMalformed},
	{"handshake trailing", TypeHandshake, fill(36, 0), ErrMalformed},
	{"bitfield too long", TypeBitfield, fill(MaxBitfieldBytes+1, 0), ErrMalformed},
	{"have short", TypeHave, fill(3, 0), ErrMalformed},
	{"have trailing", TypeHave, fill(5, 0), ErrMalformed},
	{"request empty", TypeRequest, nil, ErrMalformed},
	{"request short", TypeRequest, cat(u32(0), u32(0), []byte{0, 0, 1}), ErrMalformed},
	{"request trailing", TypeRequest, cat(u32(0), u32(0), u32(1), u8(0)), ErrMalformed},
	{"request zero length", TypeRequest, cat(u32(0), u32(0), u32(0)), ErrMalformed},
	{"request length over max", TypeRequest, cat(u32(0), u32(0), u32(MaxBlockSize+1)), ErrMalformed},
	{"cancel short", TypeCancel, fill(11, 1), ErrMalformed},
	{"cancel trailing", TypeCancel, cat(u32(0), u32(0), u32(1), u8(0)), ErrMalformed},
	{"cancel zero length", TypeCancel, cat(u32(0), u32(0), u32(0)), ErrMalformed},
	{"cancel length over max", TypeCancel, cat(u32(0), u32(0), u32(math.MaxUint32)), ErrMalformed},
	{"reject short", TypeReject, cat(u32(0), u32(0), u32(1)), ErrMalformed},
	{"reject trailing", TypeReject, cat(u32(0), u32(0), u32(1), u8(1), u8(0)), ErrMalformed},
	{"reject reason zero", TypeReject, cat(u32(0), u32(0), u32(1), u8(0)), ErrMalformed},
	{"reject reason past last", TypeReject, cat(u32(0), u32(0), u32(1), u8(RejectBadRange+1)), ErrMalformed},
	{"reject reason max", TypeReject, cat(u32(0), u32(0), u32(1), u8(0xff)), ErrMalformed},
	{"reject zero length", TypeReject, cat(u32(0), u32(0), u32(0), u8(1)), ErrMalformed},
	{"reject length over max", TypeReject, cat(u32(0), u32(0), u32(MaxBlockSize+1), u8(1)), ErrMalformed},
	{"data short", TypeData, fill(7, 0), ErrMalformed},
	{"data no payload", TypeData, fill(8, 0), ErrMalformed},
	{"data payload over max", TypeData, fill(8+MaxBlockSize+1, 0), ErrMalformed},
	{"choke payload", TypeChoke, u8(0), ErrMalformed},
	{"unchoke payload", TypeUnchoke, u8(0), ErrMalformed},
	{"interested payload", TypeInterested, u8(0), ErrMalformed},
	{"not interested payload", TypeNotInterested, u8(0), ErrMalformed},
	{"manifest request short", TypeManifestRequest, fill(3, 0), ErrMalformed},
	{"manifest request trailing", TypeManifestRequest, fill(5, 0), ErrMalformed},
	{"manifest short", TypeManifest, fill(7, 0), ErrMalformed},
	{"manifest no data", TypeManifest, cat(u32(1), u32(0)), ErrMalformed},
	{"manifest zero total", TypeManifest, cat(u32(0), u32(0), u8(1)), ErrMalformed},
	{"manifest total over max", TypeManifest, cat(u32(MaxManifestSize+1), u32(0), u8(1)), ErrMalformed},
	{"manifest chunk over max", TypeManifest, cat(u32(MaxManifestSize), u32(0), fill(MaxManifestChunk+1, 0)), ErrMalformed},
	{"manifest past total", TypeManifest, cat(u32(10), u32(7), fill(4, 0)), ErrMalformed},
	{"manifest offset past total", TypeManifest, cat(u32(10), u32(10), u8(0)), ErrMalformed},
	{"manifest offset overflow", TypeManifest, cat(u32(MaxManifestSize), u32(math.MaxUint32), u8(0)), ErrMalformed},
	{"peers empty", TypePeers, nil, ErrMalformed},
	{"peers count over max", TypePeers, u8(MaxPeers + 1), ErrMalformed},
	{"peers missing peer", TypePeers, u8(1), ErrMalformed},
	{"peers missing second peer", TypePeers, cat(u8(2), u8(1), u8('a'), u8(0)), ErrMalformed},
	{"peers empty id", TypePeers, cat(u8(1), u8(0), u8(0)), ErrMalformed},
	{"peers id over max", TypePeers, cat(u8(1), u8(MaxPeerIDLen+1), fill(MaxPeerIDLen+1, 'a'), u8(0)), ErrMalformed},
	{"peers id truncated", TypePeers, cat(u8(1), u8(4), []byte("abc")), ErrMalformed},
	{"peers missing addr count", TypePeers, cat(u8(1), u8(1), u8('a')), ErrMalformed},
	{"peers addr count over max", TypePeers, cat(u8(1), u8(1), u8('a'), u8(MaxPeerAddrs+1)), ErrMalformed},
	{"peers empty addr", TypePeers, cat(u8(1), u8(1), u8('a'), u8(1), u8(0)), ErrMalformed},
	{"peers addr truncated", TypePeers, cat(u8(1), u8(1), u8('a'), u8(1), u8(3), []byte{1, 2}), ErrMalformed},
	{"peers missing addr", TypePeers, cat(u8(1), u8(1), u8('a'), u8(2), u8(1), u8(9)), ErrMalformed},
	{"peers trailing", TypePeers, cat(u8(1), u8(1), u8('a'), u8(0), u8(0)), ErrMalformed},
	{"type zero", 0, nil, ErrUnknownType},
	{"announce empty", TypeAnnounce, nil, ErrMalformed},
	{"announce over max", TypeAnnounce, fill(MaxAnnounceSize+1, 0), ErrMalformed},
	{"live have empty", TypeLiveHave, nil, ErrMalformed},
	{"live have short", TypeLiveHave, fill(8, 0), ErrMalformed},
	{"live have no bitmap", TypeLiveHave, addr(0, 0, 0)[:9], ErrMalformed},
	{"live have bitmap over max", TypeLiveHave, cat(addr(0, 0, 0)[:9], fill(MaxLiveHaveBytes+1, 0)), ErrMalformed},
	{"live request short", TypeLiveRequest, addr(0, 0, 0)[:12], ErrMalformed},
	{"live request trailing", TypeLiveRequest, cat(addr(0, 0, 0), u8(0)), ErrMalformed},
	{"live request chunk over max", TypeLiveRequest, addr(0, 0, MaxLiveChunks), ErrMalformed},
	{"live cancel short", TypeLiveCancel, fill(12, 0), ErrMalformed},
	{"live cancel trailing", TypeLiveCancel, cat(addr(0, 0, 0), u8(0)), ErrMalformed},
	{"live cancel chunk max", TypeLiveCancel, addr(0, 0, math.MaxUint32), ErrMalformed},
	{"live reject short", TypeLiveReject, addr(0, 0, 0), ErrMalformed},
	{"live reject trailing", TypeLiveReject, cat(addr(0, 0, 0), u8(1), u8(0)), ErrMalformed},
	{"live reject reason zero", TypeLiveReject, cat(addr(0, 0, 0), u8(0)), ErrMalformed},
	{"live reject reason past last", TypeLiveReject, cat(addr(0, 0, 0), u8(RejectBadRange+1)), ErrMalformed},
	{"live reject chunk over max", TypeLiveReject, cat(addr(0, 0, MaxLiveChunks), u8(1)), ErrMalformed},
	{"live data short", TypeLiveData, fill(12, 0), ErrMalformed},
	{"live data no payload", TypeLiveData, addr(1, 1, 1), ErrMalformed},
	{"live data payload over max", TypeLiveData, cat(addr(0, 0, 0), fill(MaxBlockSize+1, 0)), ErrMalformed},
	{"live data chunk over max", TypeLiveData, cat(addr(0, 0, MaxLiveChunks), u8(1)), ErrMalformed},
	{"auth no credential", TypeAuth, fill(64, 1), ErrMalformed},
	{"auth short", TypeAuth, fill(10, 1), ErrMalformed},
	{"auth credential over max", TypeAuth, fill(64+MaxCredentialSize+1, 1), ErrMalformed},
	{"keys short", TypeKeys, fill(13, 0), ErrMalformed},
	{"keys status past last", TypeKeys, cat(u8(KeysDenied+1), fill(12, 0), u8(0)), ErrMalformed},
	{"keys count over max", TypeKeys, cat(fill(13, 0), u8(MaxEpochKeys+1), fill(40*(MaxEpochKeys+1), 0)), ErrMalformed},
	{"keys with refusal", TypeKeys, cat(u8(KeysRevoked), fill(12, 0), u8(1), fill(40, 0)), ErrMalformed},
	{"keys truncated", TypeKeys, cat(fill(13, 0), u8(1), fill(39, 0)), ErrMalformed},
	{"keys trailing", TypeKeys, cat(fill(13, 0), u8(0), u8(0)), ErrMalformed},
	{"live intro empty", TypeLiveIntro, nil, ErrMalformed},
	{"live intro short length", TypeLiveIntro, u8(0), ErrMalformed},
	{"live intro no announcement", TypeLiveIntro, cat(u32(0), u8(0x80)), ErrMalformed},
	{"live intro announcement over max", TypeLiveIntro, cat(u32(MaxAnnounceSize+1), fill(MaxAnnounceSize+1, 1), u8(0x80)), ErrMalformed},
	{"live intro announcement truncated", TypeLiveIntro, cat(u32(3), u8(1), u8(2)), ErrMalformed},
	{"live intro no bitmap", TypeLiveIntro, cat(u32(2), u8(1), u8(2)), ErrMalformed},
	{"live intro bitmap over max", TypeLiveIntro, cat(u32(1), u8(1), fill(MaxLiveHaveBytes+1, 0xff)), ErrMalformed},
	{"type after last", TypeLiveIntro + 1, u8(0), ErrUnknownType},
	{"type max", 0xff, nil, ErrUnknownType},
}

func TestParseRejects(t *testing.T) {
	for _, tt := range rejects {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse(tt.typ, tt.payload)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse: got error %v, want %v", err, tt.want)
			}
			if m != nil {
				t.Fatalf("Parse: got message %T, want nil", m)
			}
		})
	}
}

func TestTypeString(t *testing.T) {
	tests := []struct {
		typ  Type
		want string
	}{
		{TypeHandshake, "handshake"},
		{TypeNotInterested, "not-interested"},
		{TypePeers, "peers"},
		{TypeAnnounce, "announce"},
		{TypeLiveReject, "live-reject"},
		{TypeAuth, "auth"},
		{TypeKeys, "keys"},
		{TypeLiveIntro, "live-intro"},
		{0, "type(0)"},
		{200, "type(200)"},
	}
	for _, tt := range tests {
		if got := tt.typ.String(); got != tt.want {
			t.Errorf("Type(%d).String(): got %q, want %q", uint8(tt.typ), got, tt.want)
		}
	}
}

package wire

import "github.com/shoal-p2p/shoal/internal/piece"

// Version is the protocol version carried in the handshake.
const Version = 1

// ProtocolID is the libp2p protocol the messages run on.
const ProtocolID = "/shoal/1"

// Type identifies a message on the wire.
type Type uint8

// Message types. Values are part of the protocol: never renumber.
const (
	TypeHandshake       Type = 1
	TypeBitfield        Type = 2
	TypeHave            Type = 3
	TypeRequest         Type = 4
	TypeData            Type = 5
	TypeCancel          Type = 6
	TypeReject          Type = 7
	TypeChoke           Type = 8
	TypeUnchoke         Type = 9
	TypeInterested      Type = 10
	TypeNotInterested   Type = 11
	TypeManifestRequest Type = 12
	TypeManifest        Type = 13
	TypePeers           Type = 14
)

// Message is any protocol message.
type Message interface {
	// Type returns the message's type byte.
	Type() Type
	// Append appends the payload encoding (without the frame header) to b.
	Append(b []byte) []byte
}

// Role flags announced in the handshake.
const (
	RoleSeed        uint8 = 1 << 0 // has every piece
	RoleHasManifest uint8 = 1 << 1 // can answer ManifestRequest
)

// Handshake is the first message in each direction on a new stream.
type Handshake struct {
	Version uint16
	Swarm   piece.ID
	Roles   uint8
}

// Bitfield announces every piece the sender has. Bits uses piece.Bitfield's
// wire layout; its length is checked against the manifest by the receiver.
type Bitfield struct {
	Bits []byte
}

// Have announces one newly verified piece.
type Have struct {
	Index uint32
}

// Request asks for Length bytes of piece Index starting at Begin.
type Request struct {
	Index, Begin, Length uint32
}

// Data carries bytes of piece Index starting at Begin.
type Data struct {
	Index, Begin uint32
	Payload      []byte
}

// Cancel withdraws an earlier Request.
type Cancel struct {
	Index, Begin, Length uint32
}

// Reject reasons.
const (
	RejectChoked   uint8 = 1 // the sender is not serving the requester now
	RejectNotHave  uint8 = 2 // the sender does not have that piece
	RejectTooMany  uint8 = 3 // too many pending requests from the requester
	RejectBadRange uint8 = 4 // the range lies outside the piece
)

// Reject refuses a Request.
type Reject struct {
	Index, Begin, Length uint32
	Reason               uint8
}

// Choke tells the receiver its requests will be rejected until Unchoke.
type Choke struct{}

// Unchoke tells the receiver it may send requests.
type Unchoke struct{}

// Interested tells the receiver the sender wants pieces it has.
type Interested struct{}

// NotInterested withdraws Interested.
type NotInterested struct{}

// ManifestRequest asks for the encoded manifest starting at Offset.
type ManifestRequest struct {
	Offset uint32
}

// Manifest carries part of the canonical manifest encoding: Data holds bytes
// [Offset, Offset+len(Data)) of a Total-byte encoding.
type Manifest struct {
	Total, Offset uint32
	Data          []byte
}

// PeerInfo is one peer in a peer-exchange message: a libp2p peer ID in its
// binary form and its multiaddrs in binary form.
type PeerInfo struct {
	ID    []byte
	Addrs [][]byte
}

// Peers is a peer-exchange message.
type Peers struct {
	Peers []PeerInfo
}

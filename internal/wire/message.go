package wire

import (
	"errors"
	"strconv"
)

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
	TypeAnnounce        Type = 15
	TypeLiveHave        Type = 16
	TypeLiveRequest     Type = 17
	TypeLiveData        Type = 18
	TypeLiveCancel      Type = 19
	TypeLiveReject      Type = 20
	TypeAuth            Type = 21
	TypeKeys            Type = 22
	TypeLiveIntro       Type = 23
)

var typeNames = [...]string{
	TypeHandshake:       "handshake",
	TypeBitfield:        "bitfield",
	TypeHave:            "have",
	TypeRequest:         "request",
	TypeData:            "data",
	TypeCancel:          "cancel",
	TypeReject:          "reject",
	TypeChoke:           "choke",
	TypeUnchoke:         "unchoke",
	TypeInterested:      "interested",
	TypeNotInterested:   "not-interested",
	TypeManifestRequest: "manifest-request",
	TypeManifest:        "manifest",
	TypePeers:           "peers",
	TypeAnnounce:        "announce",
	TypeLiveHave:        "live-have",
	TypeLiveRequest:     "live-request",
	TypeLiveData:        "live-data",
	TypeLiveCancel:      "live-cancel",
	TypeLiveReject:      "live-reject",
	TypeAuth:            "auth",
	TypeKeys:            "keys",
	TypeLiveIntro:       "live-intro",
}

// String returns the message type's name, or "type(N)" for an unknown type.
func (t Type) String() string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

// Message is any protocol message. The concrete types are the value types of
// this package (Request, not *Request), as returned by Parse.
type Message interface {
	// Type returns the message's type byte.
	Type() Type
	// Append appends the payload encoding (without the frame header) to b.
	// It does not validate: a message outside the protocol limits encodes to
	// bytes the receiving peer rejects.
	Append(b []byte) []byte
}

// Errors returned by Parse and Reader.ReadMessage. They are wrapped with
// context; test for them with errors.Is.
var (
	// ErrMalformed reports a payload that does not decode strictly: wrong
	// length, trailing bytes or a value outside the protocol limits.
	ErrMalformed = errors.New("wire: malformed message")
	// ErrUnknownType reports a type byte this version does not define.
	ErrUnknownType = errors.New("wire: unknown message type")
	// ErrTooLarge reports a frame longer than the reader's maximum. It is
	// detected from the length prefix, before the body is read.
	ErrTooLarge = errors.New("wire: frame too large")
)

package tracker

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-p2p/shoal/internal/piece"
)

// Announce events. An announce without an event is EventEmpty: a periodic
// refresh.
const (
	EventStarted = "started"
	EventStopped = "stopped"
	EventEmpty   = "empty"
)

// Protocol limits.
const (
	// MaxPeerIDLen is the longest peer ID accepted.
	MaxPeerIDLen = 128
	// MaxResponseSize caps the announce response body a Client reads.
	MaxResponseSize = 1 << 20
	// maxInterval is the longest re-announce interval a Client accepts.
	maxInterval = 24 * time.Hour
	// maxAddrLen bounds one multiaddr string in a response.
	maxAddrLen = 256
	// maxAddrs bounds the addresses of one peer in a response.
	maxAddrs = 16
)

var (
	// ErrBadAnnounce is returned for an announce query that does not follow
	// the protocol; the server answers it with 400 Bad Request.
	ErrBadAnnounce = errors.New("tracker: bad announce")
	// ErrBadResponse is returned by the client for a tracker answer that does
	// not follow the protocol.
	ErrBadResponse = errors.New("tracker: bad response")
)

// AnnounceRequest is what a peer tells the tracker. On the server the IP
// address comes from the connection, never from the request.
type AnnounceRequest struct {
	Swarm    piece.ID
	PeerID   string // libp2p peer ID, base58
	Port     int    // TCP port, 1..65535
	QUICPort int    // UDP port for QUIC; 0 if none
	Event    string // EventStarted, EventStopped or EventEmpty ("" means EventEmpty)
	NumWant  int    // peers wanted; 0 means the server's default

	// Private content (private.go): all set or all zero.
	Key        []byte   // the content owner's Ed25519 public key
	Credential []byte   // the member's encoded access.Credential
	Proof      [64]byte // the member's proof over access.Context(PurposeAnnounce, Swarm, PeerID, Time)
	Time       int64    // unix seconds the proof was made at
}

// AnnounceResponse is the tracker's answer.
type AnnounceResponse struct {
	Interval time.Duration // how long to wait before the next announce
	Peers    []PeerInfo
}

// PeerInfo is one peer of a swarm and the multiaddrs it can be reached at.
type PeerInfo struct {
	ID    string   `json:"id"`
	Addrs []string `json:"addrs"`
}

// responseBody is the JSON form of an AnnounceResponse.
type responseBody struct {
	Interval *int64     `json:"interval"`
	Peers    []PeerInfo `json:"peers"`
}

// errorBody is the JSON form of an error answer.
type errorBody struct {
	Error string `json:"error"`
}

// query returns the announce query string for req.
func (req AnnounceRequest) query() url.Values {
	v := url.Values{}
	v.Set("swarm", req.Swarm.String())
	v.Set("peer", req.PeerID)
	v.Set("port", strconv.Itoa(req.Port))
	if req.QUICPort != 0 {
		v.Set("qport", strconv.Itoa(req.QUICPort))
	}
	if req.Event != "" {
		v.Set("event", req.Event)
	}
	if req.NumWant != 0 {
		v.Set("numwant", strconv.Itoa(req.NumWant))
	}
	req.accessQuery(v)
	return v
}

// parseAnnounce decodes and validates an announce query string. Unknown
// parameters are ignored; known ones may appear at most once.
func parseAnnounce(rawQuery string) (AnnounceRequest, error) {
	var req AnnounceRequest
	v, err := url.ParseQuery(rawQuery)
	if err != nil {
		return req, fmt.Errorf("%w: malformed query: %v", ErrBadAnnounce, err)
	}
	get := func(name string) (string, error) {
		if len(v[name]) > 1 {
			return "", fmt.Errorf("%w: %s given %d times", ErrBadAnnounce, name, len(v[name]))
		}
		return v.Get(name), nil
	}
	var s [6]string
	for i, name := range [...]string{"swarm", "peer", "port", "qport", "event", "numwant"} {
		if s[i], err = get(name); err != nil {
			return req, err
		}
	}
	if s[0] == "" {
		return req, fmt.Errorf("%w: swarm is missing", ErrBadAnnounce)
	}
	if req.Swarm, err = piece.ParseID(s[0]); err != nil {
		return req, fmt.Errorf("%w: swarm %q is not a base32 swarm id", ErrBadAnnounce, clip(s[0]))
	}
	if err := checkPeerID(s[1]); err != nil {
		return req, fmt.Errorf("%w: %v", ErrBadAnnounce, err)
	}
	req.PeerID = s[1]
	if req.Port, err = parseNumber("port", s[2], 1, 65535); err != nil {
		return req, err
	}
	if s[3] != "" {
		if req.QUICPort, err = parseNumber("qport", s[3], 1, 65535); err != nil {
			return req, err
		}
	}
	if req.Event, err = parseEvent(s[4]); err != nil {
		return req, err
	}
	if s[5] != "" {
		if req.NumWant, err = parseNumber("numwant", s[5], 0, 1<<20); err != nil {
			return req, err
		}
	}
	return req, req.parseAccess(get)
}

func parseEvent(s string) (string, error) {
	switch s {
	case "", EventEmpty:
		return EventEmpty, nil
	case EventStarted, EventStopped:
		return s, nil
	}
	return "", fmt.Errorf("%w: event %q is not started, stopped or empty", ErrBadAnnounce, clip(s))
}

// parseNumber parses a decimal number of at most 9 digits in [lo, hi].
func parseNumber(name, s string, lo, hi int) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("%w: %s is missing", ErrBadAnnounce, name)
	}
	if len(s) > 9 || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("%w: %s %q is not a number", ErrBadAnnounce, name, clip(s))
	}
	n, _ := strconv.Atoi(s)
	if n < lo || n > hi {
		return 0, fmt.Errorf("%w: %s %d out of range [%d, %d]", ErrBadAnnounce, name, n, lo, hi)
	}
	return n, nil
}

// base58 is the Bitcoin alphabet used by libp2p peer IDs.
const base58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// checkPeerID reports whether id looks like a base58 libp2p peer ID.
func checkPeerID(id string) error {
	switch {
	case id == "":
		return errors.New("peer id is missing")
	case len(id) > MaxPeerIDLen:
		return fmt.Errorf("peer id has %d characters, max %d", len(id), MaxPeerIDLen)
	case strings.Trim(id, base58) != "":
		return fmt.Errorf("peer id %q has characters outside base58", clip(id))
	}
	return nil
}

// clip shortens user input quoted in error messages.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

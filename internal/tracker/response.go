package tracker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// encodeResponse returns the JSON body for resp. Interval is sent in whole
// seconds.
func encodeResponse(resp AnnounceResponse) ([]byte, error) {
	secs := int64(resp.Interval / time.Second)
	body := responseBody{Interval: &secs, Peers: resp.Peers}
	if body.Peers == nil {
		body.Peers = []PeerInfo{}
	}
	return json.Marshal(body)
}

// parseResponse decodes and validates an announce response body: a single
// JSON object with an interval of 1s..24h and peers with valid IDs and
// 1..16 multiaddr strings each. Unknown fields are ignored so that servers
// can add some; trailing data is an error.
func parseResponse(b []byte) (AnnounceResponse, error) {
	var resp AnnounceResponse
	if len(b) > MaxResponseSize {
		return resp, fmt.Errorf("%w: body over %d bytes", ErrBadResponse, MaxResponseSize)
	}
	var body responseBody
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&body); err != nil {
		return resp, fmt.Errorf("%w: %v", ErrBadResponse, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return resp, fmt.Errorf("%w: data after the JSON object", ErrBadResponse)
	}
	if body.Interval == nil {
		return resp, fmt.Errorf("%w: interval is missing", ErrBadResponse)
	}
	if *body.Interval < 1 || *body.Interval > int64(maxInterval/time.Second) {
		return resp, fmt.Errorf("%w: interval %d s out of range [1, %d]", ErrBadResponse, *body.Interval, int64(maxInterval/time.Second))
	}
	resp.Interval = time.Duration(*body.Interval) * time.Second
	resp.Peers = body.Peers
	if resp.Peers == nil {
		resp.Peers = []PeerInfo{}
	}
	for i, p := range resp.Peers {
		if err := checkPeerInfo(p); err != nil {
			return AnnounceResponse{}, fmt.Errorf("%w: peer %d: %v", ErrBadResponse, i, err)
		}
	}
	return resp, nil
}

// checkPeerInfo validates one peer of a response.
func checkPeerInfo(p PeerInfo) error {
	if err := checkPeerID(p.ID); err != nil {
		return err
	}
	if len(p.Addrs) == 0 || len(p.Addrs) > maxAddrs {
		return fmt.Errorf("%d addrs, want 1..%d", len(p.Addrs), maxAddrs)
	}
	for _, a := range p.Addrs {
		if err := checkAddr(a); err != nil {
			return err
		}
	}
	return nil
}

// checkAddr accepts a plausible multiaddr string: it starts with "/", is at
// most 256 bytes and holds only printable ASCII without spaces. Full parsing
// is left to the libp2p layer.
func checkAddr(a string) error {
	if len(a) < 2 || len(a) > maxAddrLen || a[0] != '/' {
		return fmt.Errorf("addr %q is not a multiaddr", clip(a))
	}
	for i := 0; i < len(a); i++ {
		if a[i] <= ' ' || a[i] > '~' {
			return fmt.Errorf("addr %q has a byte 0x%02x", clip(a), a[i])
		}
	}
	return nil
}

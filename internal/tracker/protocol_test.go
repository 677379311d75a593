package tracker

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shoal-p2p/shoal/internal/piece"
)

var (
	testSwarm = piece.ID{1, 2, 3}
	testSID   = testSwarm.String()
)

// pid returns a distinct valid peer ID for i < 58*58.
func pid(i int) string {
	return "12D3KooWPeer" + string(base58[i/58]) + string(base58[i%58])
}

var parseAnnounceTests = []struct {
	name  string
	query string
	want  AnnounceRequest
	err   string // substring of the error; "" means success
}{
	{"minimal", "swarm=" + testSID + "&peer=12D3KooWPeer&port=4001",
		AnnounceRequest{Swarm: testSwarm, PeerID: "12D3KooWPeer", Port: 4001, Event: EventEmpty}, ""},
	{"full", "swarm=" + strings.ToUpper(testSID) + "&peer=Qm1&port=1&qport=65535&event=started&numwant=7&x=ignored",
		AnnounceRequest{Swarm: testSwarm, PeerID: "Qm1", Port: 1, QUICPort: 65535, Event: EventStarted, NumWant: 7}, ""},
	{"stopped", "swarm=" + testSID + "&peer=Qm1&port=80&event=stopped",
		AnnounceRequest{Swarm: testSwarm, PeerID: "Qm1", Port: 80, Event: EventStopped}, ""},
	{"numwant zero", "swarm=" + testSID + "&peer=Qm1&port=80&numwant=0",
		AnnounceRequest{Swarm: testSwarm, PeerID: "Qm1", Port: 80, Event: EventEmpty}, ""},
	{"missing swarm", "peer=Qm1&port=80", AnnounceRequest{}, "swarm is missing"},
	{"bad swarm", "swarm=abc&peer=Qm1&port=80", AnnounceRequest{}, "not a base32 swarm id"},
	{"swarm with 0", "swarm=0" + testSID[1:] + "&peer=Qm1&port=80", AnnounceRequest{}, "not a base32 swarm id"},
	{"missing peer", "swarm=" + testSID + "&port=80", AnnounceRequest{}, "peer id is missing"},
	{"peer not base58", "swarm=" + testSID + "&peer=Qm0l&port=80", AnnounceRequest{}, "outside base58"},
	{"peer too long", "swarm=" + testSID + "&peer=" + strings.Repeat("Q", 129) + "&port=80", AnnounceRequest{}, "129 characters"},
	{"missing port", "swarm=" + testSID + "&peer=Qm1", AnnounceRequest{}, "port is missing"},
	{"port zero", "swarm=" + testSID + "&peer=Qm1&port=0", AnnounceRequest{}, "port 0 out of range"},
	{"port too big", "swarm=" + testSID + "&peer=Qm1&port=65536", AnnounceRequest{}, "port 65536 out of range"},
	{"port sign", "swarm=" + testSID + "&peer=Qm1&port=+80", AnnounceRequest{}, "not a number"},
	{"port huge", "swarm=" + testSID + "&peer=Qm1&port=99999999999999999999", AnnounceRequest{}, "not a number"},
	{"qport bad", "swarm=" + testSID + "&peer=Qm1&port=80&qport=x", AnnounceRequest{}, "qport \"x\" is not a number"},
	{"qport empty", "swarm=" + testSID + "&peer=Qm1&port=80&qport=", AnnounceRequest{Swarm: testSwarm, PeerID: "Qm1", Port: 80, Event: EventEmpty}, ""},
	{"bad event", "swarm=" + testSID + "&peer=Qm1&port=80&event=completed", AnnounceRequest{}, "event \"completed\""},
	{"negative numwant", "swarm=" + testSID + "&peer=Qm1&port=80&numwant=-1", AnnounceRequest{}, "numwant \"-1\" is not a number"},
	{"repeated peer", "swarm=" + testSID + "&peer=Qm1&peer=Qm2&port=80", AnnounceRequest{}, "peer given 2 times"},
	{"bad escape", "swarm=%zz&peer=Qm1&port=80", AnnounceRequest{}, "malformed query"},
	{"private", "swarm=" + testSID + "&peer=Qm1&port=80&key=" + b64.EncodeToString(make([]byte, 32)) + "&cred=AQID&proof=" + b64.EncodeToString(make([]byte, 64)) + "&t=1700000000",
		AnnounceRequest{Swarm: testSwarm, PeerID: "Qm1", Port: 80, Event: EventEmpty, Key: make([]byte, 32), Credential: []byte{1, 2, 3}, Time: 1_700_000_000}, ""},
	{"private without proof", "swarm=" + testSID + "&peer=Qm1&port=80&key=" + b64.EncodeToString(make([]byte, 32)) + "&cred=AQID&t=1", AnnounceRequest{}, "go together"},
	{"private short key", "swarm=" + testSID + "&peer=Qm1&port=80&key=AAAA&cred=AQID&proof=" + b64.EncodeToString(make([]byte, 64)) + "&t=1", AnnounceRequest{}, "right length"},
	{"private bad time", "swarm=" + testSID + "&peer=Qm1&port=80&key=" + b64.EncodeToString(make([]byte, 32)) + "&cred=AQID&proof=" + b64.EncodeToString(make([]byte, 64)) + "&t=01", AnnounceRequest{}, "is not a time"},
}

func TestParseAnnounce(t *testing.T) {
	for _, tt := range parseAnnounceTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAnnounce(tt.query)
			if tt.err != "" {
				if err == nil || !errors.Is(err, ErrBadAnnounce) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got error %v, want ErrBadAnnounce containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// FuzzParseAnnounce checks that parsing never panics and that whatever
// parses survives a round trip through the client's encoding.
func FuzzParseAnnounce(f *testing.F) {
	for _, tt := range parseAnnounceTests {
		f.Add(tt.query)
	}
	f.Fuzz(func(t *testing.T, q string) {
		req, err := parseAnnounce(q)
		if err != nil {
			if !errors.Is(err, ErrBadAnnounce) {
				t.Fatalf("got error %v, want ErrBadAnnounce", err)
			}
			return
		}
		again, err := parseAnnounce(req.query().Encode())
		if err != nil {
			t.Fatalf("re-parse of %+v: %v", req, err)
		}
		if !reflect.DeepEqual(again, req) {
			t.Fatalf("round trip: got %+v, want %+v", again, req)
		}
	})
}

var parseResponseTests = []struct {
	name string
	body string
	want AnnounceResponse
	err  string
}{
	{"empty peers", `{"interval":30,"peers":[]}`, AnnounceResponse{Interval: 30 * time.Second, Peers: []PeerInfo{}}, ""},
	{"no peers field", `{"interval":1}`, AnnounceResponse{Interval: time.Second, Peers: []PeerInfo{}}, ""},
	{"two peers", `{"interval":60,"peers":[{"id":"Qm1","addrs":["/ip4/1.2.3.4/tcp/4001","/ip4/1.2.3.4/udp/4001/quic-v1"]},{"id":"Qm2","addrs":["/ip6/::1/tcp/1"]}],"future":true}`,
		AnnounceResponse{Interval: time.Minute, Peers: []PeerInfo{
			{ID: "Qm1", Addrs: []string{"/ip4/1.2.3.4/tcp/4001", "/ip4/1.2.3.4/udp/4001/quic-v1"}},
			{ID: "Qm2", Addrs: []string{"/ip6/::1/tcp/1"}},
		}}, ""},
	{"not json", `hello`, AnnounceResponse{}, "invalid character"},
	{"trailing", `{"interval":30}{}`, AnnounceResponse{}, "data after"},
	{"missing interval", `{"peers":[]}`, AnnounceResponse{}, "interval is missing"},
	{"zero interval", `{"interval":0}`, AnnounceResponse{}, "interval 0 s out of range"},
	{"fraction interval", `{"interval":1.5}`, AnnounceResponse{}, "cannot unmarshal"},
	{"huge interval", `{"interval":86401}`, AnnounceResponse{}, "out of range"},
	{"bad peer id", `{"interval":30,"peers":[{"id":"0","addrs":["/ip4/1.2.3.4/tcp/1"]}]}`, AnnounceResponse{}, "peer 0: peer id"},
	{"no addrs", `{"interval":30,"peers":[{"id":"Qm1","addrs":[]}]}`, AnnounceResponse{}, "0 addrs"},
	{"bad addr", `{"interval":30,"peers":[{"id":"Qm1","addrs":["1.2.3.4:80"]}]}`, AnnounceResponse{}, "not a multiaddr"},
	{"addr with space", `{"interval":30,"peers":[{"id":"Qm1","addrs":["/ip4/1.2.3.4 /tcp/1"]}]}`, AnnounceResponse{}, "byte 0x20"},
}

func TestParseResponse(t *testing.T) {
	for _, tt := range parseResponseTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseResponse([]byte(tt.body))
			if tt.err != "" {
				if err == nil || !errors.Is(err, ErrBadResponse) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got error %v, want ErrBadResponse containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseResponseSizeCap(t *testing.T) {
	body := `{"interval":30,"peers":[],"pad":"` + strings.Repeat("x", MaxResponseSize) + `"}`
	if _, err := parseResponse([]byte(body)); !errors.Is(err, ErrBadResponse) {
		t.Fatalf("got error %v, want ErrBadResponse", err)
	}
}

// FuzzParseResponse checks that decoding never panics and that whatever
// decodes survives a round trip through the server's encoding.
func FuzzParseResponse(f *testing.F) {
	for _, tt := range parseResponseTests {
		f.Add([]byte(tt.body))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		resp, err := parseResponse(b)
		if err != nil {
			if !errors.Is(err, ErrBadResponse) {
				t.Fatalf("got error %v, want ErrBadResponse", err)
			}
			return
		}
		enc, err := encodeResponse(resp)
		if err != nil {
			t.Fatalf("encode %+v: %v", resp, err)
		}
		again, err := parseResponse(enc)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", enc, err)
		}
		if !reflect.DeepEqual(again, resp) {
			t.Fatalf("round trip: got %+v, want %+v", again, resp)
		}
	})
}

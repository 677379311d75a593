package tracker

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestClientAnnounce(t *testing.T) {
	s, _ := newTestServer(t, Config{Interval: 45 * time.Second})
	ts := httptest.NewServer(s)
	defer ts.Close()
	c := NewClient(ClientConfig{})
	ctx := context.Background()
	a, b := req(testSwarm, 1), req(testSwarm, 2)
	a.Event = EventStarted
	got, err := c.Announce(ctx, ts.URL, a)
	if err != nil {
		t.Fatalf("announce a: %v", err)
	}
	want := AnnounceResponse{Interval: 45 * time.Second, Peers: []PeerInfo{}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("announce a: got %+v, want %+v", got, want)
	}
	// The base URL may also name the announce path itself.
	got, err = c.Announce(ctx, ts.URL+"/announce", b)
	if err != nil {
		t.Fatalf("announce b: %v", err)
	}
	want.Peers = []PeerInfo{{ID: pid(1), Addrs: []string{"/ip4/127.0.0.1/tcp/4001", "/ip4/127.0.0.1/udp/5001/quic-v1"}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("announce b: got %+v, want %+v", got, want)
	}
	got, err = c.Announce(ctx, ts.URL+"/", a)
	if err != nil || len(got.Peers) != 1 || got.Peers[0].ID != pid(2) {
		t.Fatalf("announce a again: got %+v, %v, want peer %s", got, err, pid(2))
	}
}

func TestClientErrors(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		req     AnnounceRequest
		kind    error
		msg     string
	}{
		{"rejected by tracker", nil, AnnounceRequest{Swarm: testSwarm, PeerID: "0bad", Port: 1}, ErrRejected,
			"status 400: tracker: bad announce: peer id \"0bad\" has characters outside base58"},
		{"plain error", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "boom", 503) }, req(testSwarm, 1), ErrRejected,
			"status 503 Service Unavailable"},
		{"bad body", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`{"interval":0}`)) }, req(testSwarm, 1), ErrBadResponse,
			"bad response: interval 0 s out of range"},
		{"oversized body", func(w http.ResponseWriter, _ *http.Request) {
			w.Write([]byte(`{"interval":30,"x":"` + strings.Repeat("x", MaxResponseSize) + `"}`))
		}, req(testSwarm, 1), ErrBadResponse, "bad response: body over 1048576 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h http.Handler = tt.handler
			if tt.handler == nil {
				h, _ = newTestServer(t, Config{})
			}
			ts := httptest.NewServer(h)
			defer ts.Close()
			_, err := NewClient(ClientConfig{}).Announce(context.Background(), ts.URL, tt.req)
			want := "tracker: announce to " + ts.URL + ": " + tt.msg
			if !errors.Is(err, tt.kind) || err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Fatalf("got error %v, want %v starting %q", err, tt.kind, want)
			}
		})
	}
}

func TestClientUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + ln.Addr().String()
	ln.Close()
	c := NewClient(ClientConfig{Timeout: 5 * time.Second})
	start := time.Now()
	_, err = c.Announce(context.Background(), u, req(testSwarm, 1))
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("got error %v, want ErrUnreachable", err)
	}
	if want := "tracker: announce to " + u + ": dial tcp "; !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("got error %q, want prefix %q", err, want)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Fatalf("took %v, want a quick failure", d)
	}
}

func TestClientContextCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cancel()
		<-r.Context().Done()
	}))
	defer ts.Close()
	_, err := NewClient(ClientConfig{}).Announce(ctx, ts.URL, req(testSwarm, 1))
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrUnreachable) {
		t.Fatalf("got error %v, want context.Canceled only", err)
	}
}

func TestClientBadURL(t *testing.T) {
	for _, u := range []string{"", "ftp://x", "http://", "://"} {
		if _, err := NewClient(ClientConfig{}).Announce(context.Background(), u, req(testSwarm, 1)); err == nil || !strings.HasPrefix(err.Error(), "tracker: tracker url") {
			t.Errorf("url %q: got error %v, want a tracker url error", u, err)
		}
	}
}

package node

import (
	"context"
	"io"
	"testing"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// BenchmarkTransport measures the bare libp2p stream (TCP, Noise, yamux) on
// loopback that the swarm benchmarks run over: the ceiling they compare to.
func BenchmarkTransport(b *testing.B) {
	size := benchSize(b)
	k1, _ := loadIdentity("")
	k2, _ := loadIdentity("")
	h1, err := newHost([]string{"/ip4/127.0.0.1/tcp/0"}, k1)
	if err != nil {
		b.Fatal(err)
	}
	defer h1.Close()
	h2, err := newHost([]string{"/ip4/127.0.0.1/tcp/0"}, k2)
	if err != nil {
		b.Fatal(err)
	}
	defer h2.Close()
	done := make(chan int64, 1)
	h2.SetStreamHandler("/bench", func(s network.Stream) {
		n, _ := io.Copy(io.Discard, s)
		s.Close()
		done <- n
	})
	ctx := context.Background()
	if err := h1.Connect(ctx, peer.AddrInfo{ID: h2.ID(), Addrs: h2.Addrs()}); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 256<<10)
	b.SetBytes(int64(size))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := h1.NewStream(ctx, h2.ID(), "/bench")
		if err != nil {
			b.Fatal(err)
		}
		for left := size; left > 0; left -= len(buf) {
			if _, err := s.Write(buf[:min(len(buf), left)]); err != nil {
				b.Fatal(err)
			}
		}
		s.CloseWrite()
		if n := <-done; n != int64(size) {
			b.Fatalf("got %d bytes, want %d", n, size)
		}
		s.Close()
	}
}

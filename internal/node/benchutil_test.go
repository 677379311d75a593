package node

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"

	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/store"
	"github.com/shoal-p2p/shoal/internal/tracker"
)

func writeBenchFile(b *testing.B, path string, size int) {
	b.Helper()
	buf := make([]byte, size)
	rand.NewChaCha8([32]byte{1}).Read(buf)
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		b.Fatal(err)
	}
}

func buildBench(path string) (*piece.Manifest, error) {
	return store.BuildManifest(context.Background(), path, 0, nil)
}

func startBenchTracker(b *testing.B) string {
	srv, err := tracker.New(tracker.Config{})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	b.Cleanup(hs.Close)
	return hs.URL + "/announce"
}

// startBench starts a node whose Run the benchmark owns; callers cancel it
// and drain err.
func startBench(b *testing.B, cfg Config) *running {
	b.Helper()
	cfg.Listen = benchListen()
	cfg.Logger = slog.New(slog.DiscardHandler)
	if v := os.Getenv("SHOAL_BENCH_BLOCK"); v != "" {
		n, _ := strconv.Atoi(v)
		cfg.Engine.BlockSize = uint32(n)
	}
	if os.Getenv("SHOAL_BENCH_LOG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	n, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Node: n, cancel: cancel, err: make(chan error, 1)}
	go func() { r.err <- n.Run(ctx) }()
	return r
}

func benchListen() []string {
	if os.Getenv("SHOAL_BENCH_TCP") != "" {
		return []string{"/ip4/127.0.0.1/tcp/0"}
	}
	return []string{"127.0.0.1:0"}
}

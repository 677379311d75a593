package sim

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/shoal-p2p/shoal/internal/live"
)

// publishedSegment returns a live driver for live_small that has
// published segment 0, and that segment.
func publishedSegment(t *testing.T) (*driver, *segment) {
	t.Helper()
	d, err := newLiveDriver(loadScenario(t, "live_small"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	d.lv.publish(0)
	sg := d.lv.get(0, 0)
	if sg == nil {
		t.Fatal("segment 0 not kept after publish")
	}
	return d, sg
}

// TestSegVerifierChunk checks the address-based chunk check against the
// real one.
func TestSegVerifierChunk(t *testing.T) {
	d, sg := publishedSegment(t)
	lv := d.lv
	a := &sg.ann
	cs := int(a.ChunkSize)
	copyOf := append([]byte(nil), sg.buf[cs:2*cs]...)
	chunks := []struct {
		name string
		c    int
		b    []byte
		ok   bool
	}{
		{"genuine", 1, sg.buf[cs : 2*cs], true},
		{"last chunk", len(a.Chunks) - 1, sg.buf[(len(a.Chunks)-1)*cs:], true},
		{"equal bytes elsewhere", 1, copyOf, false},
		{"wrong offset", 2, sg.buf[cs : 2*cs], false},
		{"short", 1, sg.buf[cs : 2*cs-1], false},
		{"corrupt", 1, d.bad[:cs], false},
		{"no such chunk", len(a.Chunks), sg.buf[:cs], false},
	}
	for _, tt := range chunks {
		err := lv.verify.Chunk(a, tt.c, tt.b)
		if (err == nil) != tt.ok {
			t.Errorf("chunk %s: got %v, want ok %t", tt.name, err, tt.ok)
		}
		if real := live.VerifyChunk(*a, tt.c, tt.b); tt.name != "equal bytes elsewhere" && (real == nil) != tt.ok {
			t.Errorf("chunk %s: the real check says %v, want ok %t", tt.name, real, tt.ok)
		}
	}
}

// TestSegVerifierAnnouncement checks the byte-based announcement check.
func TestSegVerifierAnnouncement(t *testing.T) {
	d, sg := publishedSegment(t)
	lv, a := d.lv, &sg.ann
	tampered := append([]byte(nil), sg.raw...)
	tampered[len(tampered)-1] ^= 1
	anns := []struct {
		name string
		raw  []byte
		ok   bool
	}{
		{"genuine", sg.raw, true},
		{"genuine copy", append([]byte(nil), sg.raw...), true},
		{"tampered", tampered, false},
		{"truncated", sg.raw[:20], false},
	}
	for _, tt := range anns {
		got, err := lv.verify.Announcement(tt.raw, lv.pub)
		if (err == nil) != tt.ok {
			t.Errorf("announcement %s: got %v, want ok %t", tt.name, err, tt.ok)
		}
		if tt.ok && (got.Sequence != 0 || got.Signature != a.Signature) {
			t.Errorf("announcement %s: got %d/%x, want the genuine one", tt.name, got.Sequence, got.Signature[:4])
		}
	}
	if _, err := lv.verify.Announcement(sg.raw, make([]byte, 32)); !errors.Is(err, live.ErrBadSignature) {
		t.Errorf("announcement under a foreign key: got %v, want a bad signature", err)
	}
}

func TestLiveFluidBound(t *testing.T) {
	const r = 1e6
	tests := []struct {
		name        string
		source      float64
		up          []float64
		sustainable float64 // bytes/s
		floor       float64
		err         bool
	}{
		{"enough upload", 2 * r, []float64{r, r, r, r}, 1.5 * r, 0, false},
		{"short by one copy", 2 * r, []float64{r, r, 0, 0, 0}, 0.8 * r, 1, false},
		{"free riders only", 3 * r, []float64{0, 0, 0}, r, 0, false},
		{"source slower than the stream", 0.5 * r, []float64{5 * r}, 0.5 * r, 0.5, false},
		{"no viewer", r, nil, 0, 0, true},
		{"no source", 0, []float64{r}, 0, 0, true},
		{"negative upload", r, []float64{-1}, 0, 0, true},
	}
	for _, tt := range tests {
		got, err := LiveFluidBound(r, tt.source, tt.up)
		if (err != nil) != tt.err {
			t.Errorf("%s: got error %v, want error %t", tt.name, err, tt.err)
			continue
		}
		if err != nil {
			continue
		}
		if math.Abs(got.SustainableMbps-tt.sustainable*8/1e6) > 1e-3 || math.Abs(got.OriginFloor-tt.floor) > 1e-4 {
			t.Errorf("%s: got sustainable %v Mbit/s, floor %v; want %v, %v", tt.name,
				got.SustainableMbps, got.OriginFloor, tt.sustainable*8/1e6, tt.floor)
		}
	}
}

// checkReport checks r's table and plot.
func checkReport(t *testing.T, r *LiveResult) {
	t.Helper()
	var tb strings.Builder
	if err := r.WriteTable(&tb); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"peer offload", "origin egress multiple", "continuity index", "rebuffer ratio",
		"startup p50 / p95", "lag p50 / p95", "added lag", "spread p95", "overhead", "honest banned", "sustainable"} {
		if !strings.Contains(tb.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, tb.String())
		}
	}
	var sb strings.Builder
	if err := r.WriteSVG(&sb); err != nil {
		t.Fatal(err)
	}
	if polylines := countPolylines(t, sb.String()); polylines != 3 {
		t.Errorf("got %d polylines, want 3 (offload, continuity, origin)", polylines)
	}
}

func TestRunKinds(t *testing.T) {
	if _, err := Run(context.Background(), loadScenario(t, "live_small"), Options{}); err == nil {
		t.Error("Run of a live scenario: got no error, want one")
	}
	if _, err := RunLive(context.Background(), loadScenario(t, "small"), Options{}); err == nil {
		t.Error("RunLive of a file scenario: got no error, want one")
	}
}

package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/shoal-p2p/shoal/internal/node"
)

// TestDemoFlags checks that each demo refuses the other's flags and bad
// values before it starts anything.
func TestDemoFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--files", "--viewers", "3"}, "--viewers is for the live demo"},
		{[]string{"--files", "--for", "1s"}, "--for is for the live demo"},
		{[]string{"--files", "--http", "127.0.0.1:0"}, "--http is for the live demo"},
		{[]string{"--size", "1000"}, "--size is for --files"},
		{[]string{"--viewers", "2", "--peers", "2"}, "--peers is for --files"},
		{[]string{"--keep"}, "--keep is for --files"},
		{[]string{"--viewers", "0"}, "1 <= --viewers <= 32"},
		{[]string{"--viewers", "33"}, "1 <= --viewers <= 32"},
		{[]string{"--for", "-1s"}, "--for >= 0"},
		{[]string{"--files", "--peers", "0"}, "1 <= -peers <= 64"},
		{[]string{"extra"}, "demo takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(append([]string{"demo"}, tt.args...), &stdout, &stderr); code != exitUsage {
				t.Errorf("got exit code %d, want %d\n%s", code, exitUsage, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("got stderr %q, want it to contain %q", stderr.String(), tt.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("got stdout %q, want nothing", stdout.String())
			}
		})
	}
}

func TestLiveFigures(t *testing.T) {
	bcast := node.LiveStats{Published: 10, PublishedBytes: 1000, OriginServed: 500, BytesUploaded: 1500}
	viewers := []node.LiveStats{
		{Ready: 8, Late: 1, BytesFromPeers: 900, BytesFromOrigin: 100, Stalls: 1},
		{Ready: 9, Missed: 1, BytesFromPeers: 600, BytesFromOrigin: 400},
		{Ready: 0},
	}
	f := newLiveFigures(bcast, viewers)
	for _, tt := range []struct {
		name      string
		got, want float64
	}{
		{"offload", f.offload(), 0.75}, // 1500 of 2000 bytes from peers
		{"mutual", f.mutual(), 0},      // the broadcaster uploaded all 1500
		{"egress", f.egress(), 0.5},    // 500 served of 1000 published
		{"empty offload", liveFigures{}.offload(), 0},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	if got, want := f.continuity(), "89% (16/18 on time)"; got != want {
		t.Errorf("continuity: got %q, want %q", got, want)
	}
	if got, want := (liveFigures{}).continuity(), "n/a (none due yet)"; got != want {
		t.Errorf("continuity with nothing due: got %q, want %q", got, want)
	}
	if got, want := f.status(), "viewers 3 | peer offload 75% | origin egress 0.50 copies | continuity 89% (16/18 on time) | 1 stalls | published 10 segments"; got != want {
		t.Errorf("status:\n got %q\nwant %q", got, want)
	}
	sum := f.summary(8 * time.Second)
	if want := "\nviewers 3, segments ready per viewer: 8 9 0\n"; !strings.HasSuffix(sum, want) {
		t.Errorf("summary ends %q, want %q", sum, want)
	}
	if got := readyPerViewer(t, sum); len(got) != 3 || got[0] != 8 || got[1] != 9 || got[2] != 0 {
		t.Errorf("readyPerViewer(summary) = %v, want [8 9 0]", got)
	}
}

// TestLiveDemoStopsOnSIGTERM interrupts the live demo as soon as it prints
// its URL, while its nodes are still starting: it must exit cleanly.
func TestLiveDemoStopsOnSIGTERM(t *testing.T) {
	url := startLine(t, "demo", "--viewers", "2")
	if !strings.HasPrefix(url, "http://127.0.0.1:") || !strings.HasSuffix(url, "/live/master.m3u8") {
		t.Errorf("got first line %q, want a local master playlist URL", url)
	}
}

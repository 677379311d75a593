package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestSimLive runs a short live simulation from flags alone and checks the
// JSON figures and the errors for bad live flags.
func TestSimLive(t *testing.T) {
	var out, errOut bytes.Buffer
	args := []string{"sim", "--bitrate", "1", "--stream", "10s", "--nodes", "8", "--json"}
	if code := run(args, &out, &errOut); code != 0 {
		t.Fatalf("shoal %s: exit %d: %s", strings.Join(args, " "), code, errOut.String())
	}
	var r struct {
		Viewers    int     `json:"viewers"`
		Segments   int     `json:"segments"`
		Continuity float64 `json:"continuity"`
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("got %v, want JSON figures:\n%s", err, out.String())
	}
	if r.Viewers != 8 || r.Segments != 5 {
		t.Errorf("got %d viewers and %d segments, want 8 and 5", r.Viewers, r.Segments)
	}
	errOut.Reset()
	if code := run([]string{"sim", "--bitrate", "1", "--segment", "90s"}, &out, &errOut); code == 0 ||
		!strings.Contains(errOut.String(), "live.segment") {
		t.Errorf("bad segment: got exit %d and %q, want an error about live.segment", code, errOut.String())
	}
}

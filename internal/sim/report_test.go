package sim

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestWriteTable(t *testing.T) {
	r, err := Run(context.Background(), loadScenario(t, "hostile"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := r.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"figure", "measured", "bound", "ratio", "last completion",
		"p95 completion", "origin egress multiple", "overhead", "honest banned", "20/20"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}

func TestWriteSVG(t *testing.T) {
	tests := []string{"small", "origin", "churn"}
	for _, name := range tests {
		r, err := Run(context.Background(), loadScenario(t, name), Options{})
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		if err := r.WriteSVG(&b); err != nil {
			t.Fatal(err)
		}
		if polylines := countPolylines(t, b.String()); polylines != 2 {
			t.Errorf("%s: got %d polylines, want 2", name, polylines)
		}
		for _, want := range []string{"virtual time (s)", "completed share", "origin egress (Mbit/s)"} {
			if !strings.Contains(b.String(), want) {
				t.Errorf("%s: SVG lacks axis label %q", name, want)
			}
		}
	}
}

// countPolylines parses svg as XML, failing the test if it is malformed,
// and returns how many polyline elements it holds.
func countPolylines(t *testing.T, svg string) int {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(svg))
	n := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			t.Fatalf("got malformed SVG: %v", err)
		}
		if el, ok := tok.(xml.StartElement); ok && el.Name.Local == "polyline" {
			n++
		}
	}
}

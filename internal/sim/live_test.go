package sim

import (
	"context"
	"testing"
	"time"
)

// runLiveDriver runs sc like RunLive, checking the bytes of every Ready
// segment, and returns the driver for inspection.
func runLiveDriver(t testing.TB, sc Scenario, opt Options) (*driver, *LiveResult) {
	t.Helper()
	d, err := newLiveDriver(sc, opt)
	if err != nil {
		t.Fatal(err)
	}
	d.lv.checkReady = true
	audience, err := d.audience()
	if err != nil {
		t.Fatal(err)
	}
	b := d.lv.bound(audience)
	if err := d.run(context.Background(), audience); err != nil {
		t.Fatal(err)
	}
	return d, d.lv.result(b)
}

// TestLiveGolden runs the small live scenarios, checks their properties
// (continuity, genuine bytes in every Ready segment, bans, the report)
// and compares the JSON figures with testdata/golden (-update rewrites
// them).
func TestLiveGolden(t *testing.T) {
	tests := []struct {
		name          string
		minContinuity float64
	}{
		{"live_small", 0.99},
		{"live_churn_small", 0.95},
		{"live_hostile_small", 0.99},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, r := runLiveDriver(t, loadScenario(t, tt.name), Options{})
			if tt.name == "live_hostile_small" {
				checkHostile(t, d, r)
				checkReport(t, r)
			}
			if r.Continuity < tt.minContinuity {
				t.Errorf("got continuity %.4f, want >= %.2f", r.Continuity, tt.minContinuity)
			}
			if d.liveCounts().badReady != 0 {
				t.Errorf("got %d Ready segments with wrong bytes, want 0", d.liveCounts().badReady)
			}
			if r.Due == 0 || r.UniqueBytes == 0 {
				t.Errorf("got %d segments due and %d bytes delivered, want some", r.Due, r.UniqueBytes)
			}
			checkBans(t, d)
			compareGolden(t, tt.name, r)
		})
	}
}

// checkBans fails if an honest node was banned or a corrupt node that
// served a chunk was not.
func checkBans(t *testing.T, d *driver) {
	t.Helper()
	banned := make(map[NodeID]bool)
	for _, b := range d.allBans() {
		banned[b.of] = true
		if by, of := d.nodes[b.by], d.nodes[b.of]; !of.role.hostile() {
			t.Errorf("%s (%s) banned honest %s (%s)", by.pid, by.role, of.pid, of.role)
		}
	}
	for _, n := range d.nodes {
		if n.role == roleCorrupt && n.stats().BytesUploaded > 0 && !banned[n.id] {
			t.Errorf("corrupt %s served %d bytes: got not banned, want banned", n.pid, n.stats().BytesUploaded)
		}
	}
}

// checkHostile: the scenario has liars and corrupt nodes, and every
// corrupt node is banned.
func checkHostile(t *testing.T, d *driver, r *LiveResult) {
	t.Helper()
	if r.Bans.CorruptNodes == 0 || r.Bans.LiarNodes == 0 {
		t.Fatalf("got %d corrupt and %d liar nodes, want some of each", r.Bans.CorruptNodes, r.Bans.LiarNodes)
	}
	banned := make(map[NodeID]bool)
	for _, b := range d.allBans() {
		banned[b.of] = true
	}
	for _, n := range d.nodes {
		if n.role == roleCorrupt && !banned[n.id] {
			t.Errorf("corrupt %s: got not banned, want banned", n.pid)
		}
	}
	if r.Bans.HonestBanned != 0 {
		t.Errorf("got %d honest nodes banned, want 0", r.Bans.HonestBanned)
	}
}

// TestLiveDeterminism runs a live scenario on one, two and three workers
// and wants identical figures and traces.
func TestLiveDeterminism(t *testing.T) {
	sc := loadScenario(t, "live_churn_small")
	sc.Live.Stream = Duration(16 * time.Second)
	sc.Duration = sc.Live.Stream + sc.Live.TargetLatency
	checkSame(t, func(o Options) (any, error) { return RunLive(context.Background(), sc, o) })
}

package sim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// compareGolden compares r as indented JSON with testdata/golden/name.json.
func compareGolden(t *testing.T, name string, r any) {
	t.Helper()
	got, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("figures differ from %s (run go test -update after an intended change):\n%s", path, got)
	}
}

// loadScenario loads testdata/scenarios/name.json.
func loadScenario(t testing.TB, name string) Scenario {
	t.Helper()
	sc, err := LoadScenario(filepath.Join("testdata", "scenarios", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// runDriver runs sc like Run and returns the driver for inspection.
func runDriver(t testing.TB, sc Scenario, opt Options) (*driver, *Result) {
	t.Helper()
	truth, release, err := allocContent(int(sc.Files.Size))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	d, err := newDriver(sc, opt, truth)
	if err != nil {
		t.Fatal(err)
	}
	audience, err := d.audience()
	if err != nil {
		t.Fatal(err)
	}
	b, capacity, err := d.bound(audience)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.run(context.Background(), audience); err != nil {
		t.Fatal(err)
	}
	return d, d.result(b, capacity)
}

// TestGolden runs every scenario of testdata/scenarios except the large
// ones and compares the JSON figures with testdata/golden. Run with
// -update to rewrite them after an intended change.
func TestGolden(t *testing.T) {
	tests := []struct {
		name    string
		allDone bool // every honest leecher completes
	}{
		{"small", true},
		{"hostile", true},
		{"nat", true},
		{"origin", true},
		{"churn", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Run(context.Background(), loadScenario(t, tt.name), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if tt.allDone && r.Completed != r.Leechers {
				t.Errorf("got %d/%d leechers done, want all", r.Completed, r.Leechers)
			}
			if r.Bans.HonestBanned != 0 {
				t.Errorf("got %d honest nodes banned, want 0", r.Bans.HonestBanned)
			}
			compareGolden(t, tt.name, r)
		})
	}
}

// TestDeterminism runs scenarios on one, two and three workers and wants
// identical figures and identical traces.
func TestDeterminism(t *testing.T) {
	for _, name := range []string{"small", "hostile", "churn"} {
		t.Run(name, func(t *testing.T) {
			sc := loadScenario(t, name)
			checkSame(t, func(o Options) (any, error) { return Run(context.Background(), sc, o) })
		})
	}
}

// TestCorruptBanned: every corrupt peer is banned by someone, honest peers
// never are, and every honest leecher still completes.
func TestCorruptBanned(t *testing.T) {
	d, r := runDriver(t, loadScenario(t, "hostile"), Options{})
	if r.Bans.CorruptNodes == 0 {
		t.Fatal("scenario has no corrupt node")
	}
	banned := make(map[NodeID]bool)
	for _, b := range d.allBans() {
		banned[b.of] = true
		if by, of := d.nodes[b.by], d.nodes[b.of]; !of.role.hostile() {
			t.Errorf("%s (%s) banned honest %s (%s)", by.pid, by.role, of.pid, of.role)
		}
	}
	for _, n := range d.nodes {
		if n.role == roleCorrupt && !banned[n.id] {
			t.Errorf("corrupt %s: got not banned, want banned", n.pid)
		}
	}
	if r.Completed != r.Leechers {
		t.Errorf("got %d/%d leechers done, want all", r.Completed, r.Leechers)
	}
}

// TestNATPairsNeverConnect: no connection is ever attempted between two
// NAT'd nodes, yet NAT'd nodes connect to others and complete.
func TestNATPairsNeverConnect(t *testing.T) {
	d, r := runDriver(t, loadScenario(t, "nat"), Options{})
	natConns := 0
	for k := range d.conns {
		a, b := d.nodes[NodeID(k>>32)], d.nodes[NodeID(uint32(k))]
		if a.nat && b.nat {
			t.Errorf("NAT'd %s and %s were connected", a.pid, b.pid)
		}
		if a.nat || b.nat {
			natConns++
		}
	}
	if natConns == 0 {
		t.Error("got no connection involving a NAT'd node, want some")
	}
	if r.Completed != r.Leechers {
		t.Errorf("got %d/%d leechers done, want all", r.Completed, r.Leechers)
	}
}

// TestPeerCapReplaces: with a cap of 3 peers, most nodes behind NAT and 8
// introductions each, nodes at the cap replace a peer for newcomers
// instead of turning them away, no node ends above the cap, and every
// leecher, NAT'd ones included, completes.
func TestPeerCapReplaces(t *testing.T) {
	sc := loadScenario(t, "nat")
	sc.Audience.MaxPeers = 3
	var trace bytes.Buffer
	d, r := runDriver(t, sc, Options{Trace: &trace})
	if n := strings.Count(trace.String(), " replaces "); n == 0 {
		t.Error("no node replaced a peer, want some at a cap of 3")
	}
	for _, n := range d.nodes {
		if n.alive && n.eng != nil && n.eng.Stats().Peers > 3 {
			t.Errorf("%s ends with %d peers, above the cap of 3", n.pid, n.eng.Stats().Peers)
		}
	}
	if r.Completed != r.Leechers {
		t.Errorf("got %d/%d leechers done, want all", r.Completed, r.Leechers)
	}
}

// TestGenuine checks the pointer-based verification.
func TestGenuine(t *testing.T) {
	sc := loadScenario(t, "small")
	truth, release, err := allocContent(int(sc.Files.Size))
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	d, err := newDriver(sc, Options{}, truth)
	if err != nil {
		t.Fatal(err)
	}
	ps := d.m.PieceSize
	copyOf := append([]byte(nil), truth[ps:2*ps]...)
	tests := []struct {
		name   string
		index  int
		blocks [][]byte
		want   bool
	}{
		{"whole piece", 1, [][]byte{truth[ps : 2*ps]}, true},
		{"two blocks", 1, [][]byte{truth[ps : ps+ps/2], truth[ps+ps/2 : 2*ps]}, true},
		{"wrong offset", 2, [][]byte{truth[ps : 2*ps]}, false},
		{"short", 1, [][]byte{truth[ps : 2*ps-1]}, false},
		{"equal bytes elsewhere", 1, [][]byte{copyOf}, false},
		{"bad block", 1, [][]byte{truth[ps : ps+ps/2], d.bad[:ps/2]}, false},
		{"swapped blocks", 1, [][]byte{truth[ps+ps/2 : 2*ps], truth[ps : ps+ps/2]}, false},
	}
	for _, tt := range tests {
		if got := d.genuine(tt.index, tt.blocks); got != tt.want {
			t.Errorf("%s: got %t, want %t", tt.name, got, tt.want)
		}
	}
}

// TestCorruptLargePieces is the hostile case with 1 MiB pieces of sixteen
// 64 KiB blocks, where most pieces have several sources, and with one block
// per piece, where every failure has a single source. In both, every
// corrupt peer must be banned, no honest peer may be, and every honest
// leecher completes. (It once showed honest co-sources banned on suspicion.)
func TestCorruptLargePieces(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	sc := loadScenario(t, "hostile_large")
	tests := []struct {
		name  string
		block ByteSize
	}{
		{"one block per piece", 1 << 20},
		{"16 blocks per piece", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := sc
			sc.Engine.BlockSize = tt.block
			r, err := Run(context.Background(), sc, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Bans.HonestBanned != 0 || r.Bans.HostileBanned != r.Bans.CorruptNodes {
				t.Errorf("got %d honest and %d/%d corrupt banned, want 0 and all",
					r.Bans.HonestBanned, r.Bans.HostileBanned, r.Bans.CorruptNodes)
			}
			if r.Completed != r.Leechers {
				t.Errorf("got %d/%d leechers done, want all", r.Completed, r.Leechers)
			}
		})
	}
}

// checkSame runs a scenario with one, two and three workers and wants
// identical figures and traces: a run is determined by its scenario, not
// by how many goroutines run it.
func checkSame(t *testing.T, run func(Options) (any, error)) {
	t.Helper()
	var figs [][]byte
	var traces [][32]byte
	for _, workers := range []int{1, 2, 3} {
		h := sha256.New()
		r, err := run(Options{Trace: h, Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		fig, _ := json.Marshal(r)
		figs = append(figs, fig)
		traces = append(traces, [32]byte(h.Sum(nil)))
	}
	for i := 1; i < len(figs); i++ {
		if !bytes.Equal(figs[0], figs[i]) {
			t.Errorf("figures differ between 1 and %d workers:\n%s\n%s", i+1, figs[0], figs[i])
		}
		if traces[0] != traces[i] {
			t.Errorf("got trace hashes %x and %x with 1 and %d workers, want equal", traces[0], traces[i], i+1)
		}
	}
}

// TestNodeOfInvertsPidOf checks that the driver's parse of a PeerID finds
// the node pidOf named, for every width of number.
func TestNodeOfInvertsPidOf(t *testing.T) {
	for _, id := range []NodeID{0, 1, 9, 10, 99, 100, 12345, 1<<31 - 1} {
		if got := nodeOf(pidOf(id)); got != id {
			t.Errorf("nodeOf(%q) = %d, want %d", pidOf(id), got, id)
		}
	}
}

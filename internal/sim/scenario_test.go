package sim

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// validJSON is a minimal valid scenario; tests patch one field of it.
const validJSON = `{"files": {"size": "4MiB"}, "audience": {"count": 5}, "seeder": {"up_mbps": 10}}`

func TestParseScenarioErrors(t *testing.T) {
	tests := []struct {
		name, json string
		field      string // ScenarioError.Field; "" for a decoding error
		msg        string // substring of the error
	}{
		{"no files", `{"audience": {"count": 5}, "seeder": {"up_mbps": 10}}`, "files", "missing"},
		{"zero size", `{"files": {"size": 0}, "audience": {"count": 5}, "seeder": {"up_mbps": 10}}`, "files.size", "positive"},
		{"piece not power of two", `{"files": {"size": "4MiB", "piece_size": 100000}, "audience": {"count": 5}, "seeder": {"up_mbps": 10}}`, "files.piece_size", "power of two"},
		{"block too large", `{"files": {"size": "4MiB"}, "engine": {"block_size": "2MiB"}, "audience": {"count": 5}, "seeder": {"up_mbps": 10}}`, "engine.block_size", "not in"},
		{"no audience", `{"files": {"size": "4MiB"}, "seeder": {"up_mbps": 10}}`, "audience.count", "positive"},
		{"bad share", `{"files": {"size": "4MiB"}, "audience": {"count": 5, "nat_share": 1.5}, "seeder": {"up_mbps": 10}}`, "audience.nat_share", "not in"},
		{"classes not summing to 1", `{"files": {"size": "4MiB"}, "audience": {"count": 5, "upload": "0.5@10,0.4@20"}, "seeder": {"up_mbps": 10}}`, "audience.upload", "add up"},
		{"negative class", `{"files": {"size": "4MiB"}, "audience": {"count": 5, "upload": [{"share": 1, "up_mbps": -1}]}, "seeder": {"up_mbps": 10}}`, "audience.upload[0]", "out of range"},
		{"negative peer cap", `{"files": {"size": "4MiB"}, "audience": {"count": 5, "max_peers": -1}, "seeder": {"up_mbps": 10}}`, "audience.max_peers", "negative"},
		{"inverted uniform", `{"files": {"size": "4MiB"}, "audience": {"count": 5, "upload": "uniform:20-10"}, "seeder": {"up_mbps": 10}}`, "audience.upload", "LO <= HI"},
		{"no source", `{"files": {"size": "4MiB"}, "audience": {"count": 5}}`, "seeder.up_mbps", "no origin"},
		{"origin without rate", `{"files": {"size": "4MiB"}, "audience": {"count": 5}, "seeder": {"up_mbps": 1}, "origin": {"enabled": true}}`, "origin.mbps", "positive"},
		{"all hostile", `{"files": {"size": "4MiB"}, "audience": {"count": 5}, "seeder": {"up_mbps": 1}, "hostile": {"liars": 0.5, "corrupt": 0.5}}`, "hostile", "honest"},
		{"churn above 1", `{"files": {"size": "4MiB"}, "audience": {"count": 5}, "seeder": {"up_mbps": 1}, "churn": {"leave_per_min": 2}}`, "churn.leave_per_min", "not in"},
		{"inverted latency", `{"files": {"size": "4MiB"}, "audience": {"count": 5}, "seeder": {"up_mbps": 1}, "latency": "uniform:50ms-5ms"}`, "latency", "LO <= HI"},
		{"zero latency", `{"files": {"size": "4MiB"}, "audience": {"count": 5}, "seeder": {"up_mbps": 1}, "latency": "uniform:0s-5ms"}`, "latency", "1ms <= LO"},
		{"unknown field", `{"files": {"size": "4MiB"}, "audience": {"count": 5, "cout": 3}, "seeder": {"up_mbps": 1}}`, "", "unknown field"},
		{"bad join", `{"files": {"size": "4MiB"}, "audience": {"count": 5, "join": "ramp"}, "seeder": {"up_mbps": 1}}`, "", "bad join"},
		{"bad size", `{"files": {"size": "4XB"}, "audience": {"count": 5}, "seeder": {"up_mbps": 1}}`, "", "bad size"},
		{"trailing data", validJSON + `{}`, "", "trailing"},
		{"files and live", `{"files": {"size": "4MiB"}, "live": {"bitrate_mbps": 1, "stream": "1m"}, "audience": {"count": 5}, "seeder": {"up_mbps": 10}}`, "live", "not both"},
		{"live without broadcaster", `{"live": {"bitrate_mbps": 1, "stream": "1m"}, "audience": {"count": 5}}`, "broadcaster.up_mbps", "positive"},
		{"live with seeder", liveJSON(`"bitrate_mbps": 1, "stream": "1m"`, `, "seeder": {"up_mbps": 1}`), "seeder", "live uses broadcaster"},
		{"files with broadcaster", `{"files": {"size": "4MiB"}, "audience": {"count": 5}, "seeder": {"up_mbps": 10}, "broadcaster": {"up_mbps": 1}}`, "broadcaster", "files use seeder"},
		{"live with engine", liveJSON(`"bitrate_mbps": 1, "stream": "1m"`, `, "engine": {"upload_slots": 2}`), "engine", "file scenarios"},
		{"no bitrate", liveJSON(`"stream": "1m"`, ""), "live.bitrate_mbps", "not in"},
		{"huge bitrate", liveJSON(`"bitrate_mbps": 5000, "stream": "1m"`, ""), "live.bitrate_mbps", "not in"},
		{"segment too long", liveJSON(`"bitrate_mbps": 1, "segment": "2m", "stream": "10m"`, ""), "live.segment", "milliseconds"},
		{"segment below a millisecond", liveJSON(`"bitrate_mbps": 1, "segment": "1500us", "stream": "1m"`, ""), "live.segment", "milliseconds"},
		{"chunk too small", liveJSON(`"bitrate_mbps": 1, "chunk_size": 512, "stream": "1m"`, ""), "live.chunk_size", "not in"},
		{"chunk too large", liveJSON(`"bitrate_mbps": 1, "chunk_size": "2MiB", "stream": "1m"`, ""), "live.chunk_size", "not in"},
		{"too many chunks", liveJSON(`"bitrate_mbps": 100, "chunk_size": "1KiB", "stream": "1m"`, ""), "live.chunk_size", "too small"},
		{"too many renditions", liveJSON(`"bitrate_mbps": 1, "renditions": 9, "stream": "1m"`, ""), "live.renditions", "not in"},
		{"no stream", liveJSON(`"bitrate_mbps": 1`, ""), "live.stream", "shorter than one segment"},
		{"tiny window", liveJSON(`"bitrate_mbps": 1, "stream": "1m", "window_segments": 1`, ""), "live.window_segments", "not in"},
		{"negative push peers", liveJSON(`"bitrate_mbps": 1, "stream": "1m", "push_peers": -1`, ""), "live.push_peers", "negative"},
		{"bad origin poll", liveJSON(`"bitrate_mbps": 1, "stream": "1m", "origin_poll": "often"`, ""), "", "bad origin poll"},
		{"unknown live field", liveJSON(`"bitrate_mbps": 1, "stream": "1m", "bitrate": 2`, ""), "", "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseScenario("x/test.json", []byte(tt.json))
			if err == nil {
				t.Fatalf("got no error, want one about %s", tt.field)
			}
			if !strings.Contains(err.Error(), "x/test.json") || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("got error %q, want the file name and %q", err, tt.msg)
			}
			var se *ScenarioError
			switch {
			case tt.field == "" && errors.As(err, &se):
				t.Errorf("got field error %v, want a decoding error", err)
			case tt.field != "" && !errors.As(err, &se):
				t.Errorf("got %v, want a *ScenarioError", err)
			case tt.field != "" && se.Field != tt.field:
				t.Errorf("got field %q, want %q", se.Field, tt.field)
			}
		})
	}
}

// liveJSON returns a live scenario with the given live fields and extra
// top-level fields (starting with a comma).
func liveJSON(fields, extra string) string {
	return `{"live": {` + fields + `}, "audience": {"count": 5}, "broadcaster": {"up_mbps": 10}` + extra + `}`
}

func TestParseLiveDefaults(t *testing.T) {
	sc, err := ParseScenario("x.json", []byte(liveJSON(`"bitrate_mbps": 3, "stream": "5m"`, "")))
	if err != nil {
		t.Fatal(err)
	}
	l := sc.Live
	tests := []struct {
		what      string
		got, want any
	}{
		{"segment", time.Duration(l.Segment), DefaultSegment},
		{"chunk size", int64(l.ChunkSize), int64(DefaultChunkSize)},
		{"renditions", l.Renditions, 1},
		{"target latency", time.Duration(l.TargetLatency), DefaultTargetLatency},
		{"window", l.WindowSegments, DefaultWindowSegments},
		{"duration", time.Duration(sc.Duration), 5*time.Minute + DefaultTargetLatency},
		{"poll period", l.OriginPoll.period(time.Duration(l.Segment)), time.Second},
		{"segment size", l.segmentSize(0), 750_000},
		{"segments", l.segments(), 150},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.what, tt.got, tt.want)
		}
	}
}

func TestParseScenarioDefaults(t *testing.T) {
	sc, err := ParseScenario("dir/name.json", []byte(validJSON))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		what      string
		got, want any
	}{
		{"name", sc.Name, "name"},
		{"duration", time.Duration(sc.Duration), DefaultDuration},
		{"sample", time.Duration(sc.Sample), DefaultSample},
		{"piece size", int64(sc.Files.PieceSize), int64(DefaultPieceSize)},
		{"download", sc.Audience.DownloadMbps, float64(DefaultDownloadMbps)},
		{"peers", sc.Audience.Peers, DefaultPeers},
		{"latency", sc.Latency, Latency{Lo: DefaultLatency, Hi: DefaultLatency}},
		{"upload classes", len(sc.Audience.Upload.Classes), 1},
		{"join", sc.Audience.Join, Join{}},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.what, tt.got, tt.want)
		}
	}
}

// textValue is implemented by the scenario value types.
type textValue interface {
	MarshalText() ([]byte, error)
	UnmarshalText([]byte) error
}

func TestValueText(t *testing.T) {
	tests := []struct {
		in   string
		v    textValue
		want string // canonical form after a round trip; "" = error
	}{
		{"16MiB", new(ByteSize), "16MiB"},
		{"1GiB", new(ByteSize), "1GiB"},
		{"1000KB", new(ByteSize), "1000000"},
		{"1536 KiB", new(ByteSize), "1536KiB"},
		{"12", new(ByteSize), "12"},
		{"-1", new(ByteSize), ""},
		{"1.5MiB", new(ByteSize), ""},
		{"90s", new(Duration), "1m30s"},
		{"-1s", new(Duration), ""},
		{"flash", new(Join), "flash"},
		{"ramp:30s", new(Join), "ramp:30s"},
		{"ramp:0s", new(Join), ""},
		{"slow", new(Join), ""},
		{"uniform:1-20", new(Upload), "uniform:1-20"},
		{"0.7@5,0.3@50", new(Upload), "0.7@5,0.3@50"},
		{"0.7@5,x", new(Upload), ""},
		{"uniform:1", new(Upload), ""},
		{"20ms", new(Latency), "20ms"},
		{"uniform:5ms-40ms", new(Latency), "uniform:5ms-40ms"},
		{"uniform:5ms", new(Latency), ""},
		{"auto", new(Poll), "auto"},
		{"off", new(Poll), "off"},
		{"500ms", new(Poll), "500ms"},
		{"0s", new(Poll), ""},
	}
	for _, tt := range tests {
		err := tt.v.UnmarshalText([]byte(tt.in))
		if tt.want == "" {
			if err == nil {
				t.Errorf("%T %q: got no error, want one", tt.v, tt.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("%T %q: %v", tt.v, tt.in, err)
			continue
		}
		got, _ := tt.v.MarshalText()
		if string(got) != tt.want {
			t.Errorf("%T %q: got %q, want %q", tt.v, tt.in, got, tt.want)
		}
	}
}

func TestFileBound(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		name     string
		size     int64
		server   float64
		up, down []float64
		want     Bound
		err      bool
	}{
		{"server bound", 100 * mib, 1 * mib, []float64{100 * mib}, []float64{100 * mib},
			Bound{Server: 100, Download: 1, Swarm: 100.0 / 101, Min: 100}, false},
		{"download bound", 100 * mib, 100 * mib, []float64{100 * mib, 100 * mib}, []float64{10 * mib, 50 * mib},
			Bound{Server: 1, Download: 10, Swarm: 200.0 / 300, Min: 10}, false},
		{"swarm bound", 100 * mib, 10 * mib, []float64{0, 10 * mib, 20 * mib, 0}, []float64{1e9, 1e9, 1e9, 1e9},
			Bound{Server: 10, Download: 100 * mib / 1e9, Swarm: 400.0 / 40, Min: 10}, false},
		{"swarm dominates", 1000, 10, []float64{0, 0, 0, 0, 0, 0, 0, 0, 0, 10}, []float64{1e6, 1e6, 1e6, 1e6, 1e6, 1e6, 1e6, 1e6, 1e6, 1e6},
			Bound{Server: 100, Download: 0.001, Swarm: 500, Min: 500}, false},
		{"no server", 1, 0, []float64{1}, []float64{1}, Bound{}, true},
		{"no leecher", 1, 1, nil, nil, Bound{}, true},
		{"mismatched", 1, 1, []float64{1}, []float64{1, 2}, Bound{}, true},
		{"zero download", 1, 1, []float64{1}, []float64{0}, Bound{}, true},
		{"negative upload", 1, 1, []float64{-1}, []float64{1}, Bound{}, true},
	}
	for _, tt := range tests {
		got, err := FileBound(tt.size, tt.server, tt.up, tt.down)
		if (err != nil) != tt.err {
			t.Errorf("%s: got error %v, want error %t", tt.name, err, tt.err)
			continue
		}
		near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }
		if !near(got.Server, tt.want.Server) || !near(got.Download, tt.want.Download) ||
			!near(got.Swarm, tt.want.Swarm) || !near(got.Min, tt.want.Min) {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

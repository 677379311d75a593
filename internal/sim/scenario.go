package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/swarm"
)

// Scenario describes one simulated swarm. Its zero value, with Files set
// and Audience.Count > 0 and Seeder.UpMbps > 0, is a valid scenario: zero
// fields mean the defaults documented on each field, filled by
// WithDefaults. Rates are in Mbit/s (10^6 bits per second).
//
// The text format is JSON with the field names below; see
// testdata/scenarios for examples. Exactly one content section is set:
// Files (static content from a seeder) or Live (a stream published by a
// broadcaster, see LiveSpec).
type Scenario struct {
	// Name labels the results; LoadScenario defaults it to the file name.
	Name string `json:"name,omitempty"`
	// Seed seeds every random choice of the run (roles, capacities, tracker
	// introductions, churn, the engines' tie-breaks).
	Seed uint64 `json:"seed"`
	// Duration caps the virtual time of the run (default 2h; for a live
	// scenario, the stream duration plus the target latency, when the last
	// segment is due).
	Duration Duration `json:"duration,omitempty"`
	// Sample is the period of the time series (default 5s).
	Sample Duration `json:"sample,omitempty"`
	// Files is the static content to distribute.
	Files *FileSpec `json:"files,omitempty"`
	// Live is the live stream to distribute.
	Live *LiveSpec `json:"live,omitempty"`
	// Engine tunes the swarm engines of every node.
	Engine EngineSpec `json:"engine"`
	// Audience describes the downloading nodes.
	Audience Audience `json:"audience"`
	// Seeder is the node that starts with the content (files only).
	Seeder Seeder `json:"seeder"`
	// Broadcaster is the node that publishes the live stream (live only).
	Broadcaster Seeder `json:"broadcaster"`
	// Origin is an optional HTTP origin (web seed).
	Origin Origin `json:"origin"`
	// Churn makes leechers leave during the run.
	Churn Churn `json:"churn"`
	// Hostile adds misbehaving nodes to the audience.
	Hostile Hostile `json:"hostile"`
	// Latency is every node's access latency distribution (default 20ms).
	Latency Latency `json:"latency"`
}

// FileSpec is static content: one file of Size bytes.
type FileSpec struct {
	Size      ByteSize `json:"size"`
	PieceSize ByteSize `json:"piece_size,omitempty"` // default 1MiB
}

// EngineSpec sets swarm.Config fields; zero means the engine's default.
type EngineSpec struct {
	BlockSize   ByteSize `json:"block_size,omitempty"`
	UploadSlots int      `json:"upload_slots,omitempty"`
}

// Audience is the crowd of downloading nodes, hostile ones included.
type Audience struct {
	Count          int     `json:"count"`                      // nodes, hostile included
	Join           Join    `json:"join"`                       // flash (default) or ramp:DURATION
	Upload         Upload  `json:"upload"`                     // upload capacities of honest leechers (default 10 Mbit/s each)
	DownloadMbps   float64 `json:"download_mbps,omitempty"`    // every node's downlink (default 100)
	FreeRiderShare float64 `json:"free_rider_share,omitempty"` // share of honest leechers that upload nothing
	NATShare       float64 `json:"nat_share,omitempty"`        // share of honest leechers that cannot be dialled
	Peers          int     `json:"peers,omitempty"`            // peers a tracker introduces a joining node to (default 30)
	MaxPeers       int     `json:"max_peers,omitempty"`        // peers a node keeps at most (default 50, as shoal's nodes)
}

// Seeder is the node holding the whole content from the start, or the
// broadcaster of a live stream.
type Seeder struct {
	UpMbps float64 `json:"up_mbps"`
}

// Origin is an HTTP origin or web seed every leecher may fetch pieces (or
// live segments) from.
type Origin struct {
	Enabled bool    `json:"enabled,omitempty"`
	Mbps    float64 `json:"mbps,omitempty"` // its egress capacity
}

// Churn makes each present leecher leave at a constant rate, done or not.
type Churn struct {
	LeavePerMin float64 `json:"leave_per_min,omitempty"` // share of leechers leaving per minute
	Replaced    bool    `json:"replaced,omitempty"`      // a fresh leecher joins for each one leaving
}

// Hostile lists shares of the audience that misbehave. Both kinds claim
// every piece; liars never serve, corrupt peers serve wrong bytes.
type Hostile struct {
	Liars   float64 `json:"liars,omitempty"`
	Corrupt float64 `json:"corrupt,omitempty"`
}

// Defaults filled by WithDefaults.
const (
	DefaultDuration     = 2 * time.Hour
	DefaultSample       = 5 * time.Second
	DefaultPieceSize    = 1 << 20
	DefaultDownloadMbps = 100
	DefaultUploadMbps   = 10
	DefaultPeers        = 30
	DefaultMaxPeers     = 50
	DefaultLatency      = 20 * time.Millisecond
	// MinLatency is the shortest access latency a scenario may give: two
	// nodes are at least twice this apart, the length of the windows the
	// simulator runs the nodes' events in, in parallel.
	MinLatency = time.Millisecond
)

// ScenarioError reports an invalid scenario field.
type ScenarioError struct {
	File  string // scenario file, "" when not loaded from one
	Field string // JSON path of the field, e.g. "audience.count"
	Msg   string
}

func (e *ScenarioError) Error() string {
	if e.File == "" {
		return fmt.Sprintf("sim: %s: %s", e.Field, e.Msg)
	}
	return fmt.Sprintf("sim: %s: %s: %s", e.File, e.Field, e.Msg)
}

// LoadScenario reads and parses the JSON scenario at path; see
// ParseScenario.
func LoadScenario(path string) (Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Scenario{}, fmt.Errorf("sim: %w", err)
	}
	return ParseScenario(path, data)
}

// ParseScenario decodes a JSON scenario strictly (unknown fields are
// errors), fills defaults and validates it. file names the source in errors
// and, without a name field, the scenario.
func ParseScenario(file string, data []byte) (Scenario, error) {
	var sc Scenario
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sc); err != nil {
		return Scenario{}, fmt.Errorf("sim: %s: %w", file, err)
	}
	if dec.More() {
		return Scenario{}, fmt.Errorf("sim: %s: trailing data after the scenario", file)
	}
	if sc.Name == "" {
		sc.Name = baseName(file)
	}
	sc = sc.WithDefaults()
	if err := sc.Validate(); err != nil {
		var se *ScenarioError
		if errors.As(err, &se) {
			se.File = file
		}
		return Scenario{}, err
	}
	return sc, nil
}

// WithDefaults returns sc with zero fields replaced by their defaults.
func (sc Scenario) WithDefaults() Scenario {
	if sc.Live != nil {
		l := sc.Live.withDefaults()
		sc.Live = &l
		if sc.Duration == 0 {
			sc.Duration = l.Stream + l.TargetLatency
		}
	}
	if sc.Duration == 0 {
		sc.Duration = Duration(DefaultDuration)
	}
	if sc.Sample == 0 {
		sc.Sample = Duration(DefaultSample)
	}
	if sc.Files != nil && sc.Files.PieceSize == 0 {
		f := *sc.Files
		f.PieceSize = DefaultPieceSize
		sc.Files = &f
	}
	if sc.Audience.DownloadMbps == 0 {
		sc.Audience.DownloadMbps = DefaultDownloadMbps
	}
	if u := sc.Audience.Upload; u.Classes == nil && u.Lo == 0 && u.Hi == 0 {
		sc.Audience.Upload = Upload{Classes: []UploadClass{{Share: 1, UpMbps: DefaultUploadMbps}}}
	}
	if sc.Audience.Peers == 0 {
		sc.Audience.Peers = DefaultPeers
	}
	if sc.Audience.MaxPeers == 0 {
		sc.Audience.MaxPeers = DefaultMaxPeers
	}
	if sc.Latency == (Latency{}) {
		sc.Latency = Latency{Lo: DefaultLatency, Hi: DefaultLatency}
	}
	return sc
}

// Validate reports the first invalid field as a *ScenarioError. Call it on
// a scenario with defaults filled.
func (sc Scenario) Validate() error {
	bad := func(field, format string, args ...any) error {
		return &ScenarioError{Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	switch {
	case sc.Files == nil && sc.Live == nil:
		return bad("files", "missing (set files or live)")
	case sc.Files != nil && sc.Live != nil:
		return bad("live", "set files or live, not both")
	case sc.Duration <= 0 || sc.Sample <= 0:
		return bad("duration", "and sample must be positive")
	}
	var err error
	if sc.Files != nil {
		err = sc.validateFiles(bad)
	} else {
		err = sc.validateLive(bad)
	}
	if err != nil {
		return err
	}
	if err := sc.validateAudience(bad); err != nil {
		return err
	}
	switch {
	case sc.Origin.Enabled && !(sc.Origin.Mbps > 0 && finite(sc.Origin.Mbps)):
		return bad("origin.mbps", "must be positive when the origin is enabled")
	case !share(sc.Churn.LeavePerMin):
		return bad("churn.leave_per_min", "%v not in [0, 1]", sc.Churn.LeavePerMin)
	case !share(sc.Hostile.Liars) || !share(sc.Hostile.Corrupt) || sc.Hostile.Liars+sc.Hostile.Corrupt >= 1:
		return bad("hostile", "shares must be in [0, 1) and leave some honest nodes")
	case sc.Latency.Lo < MinLatency || sc.Latency.Hi < sc.Latency.Lo:
		return bad("latency", "want %v <= LO <= HI, got %v-%v (nodes run in parallel windows of the shortest latency between two)", MinLatency, sc.Latency.Lo, sc.Latency.Hi)
	}
	return nil
}

func (sc Scenario) validateFiles(bad func(string, string, ...any) error) error {
	f := sc.Files
	ps := int64(f.PieceSize)
	switch {
	case sc.Broadcaster != (Seeder{}):
		return bad("broadcaster", "is for live scenarios; files use seeder")
	case !finite(sc.Seeder.UpMbps) || sc.Seeder.UpMbps < 0:
		return bad("seeder.up_mbps", "%v is not a rate", sc.Seeder.UpMbps)
	case sc.Seeder.UpMbps == 0 && !sc.Origin.Enabled:
		return bad("seeder.up_mbps", "must be positive when there is no origin")
	case f.Size <= 0:
		return bad("files.size", "must be positive")
	case ps < piece.MinPieceSize || ps > piece.MaxPieceSize || ps&(ps-1) != 0:
		return bad("files.piece_size", "%d is not a power of two in [16KiB, 16MiB]", ps)
	case (int64(f.Size)+ps-1)/ps > 1<<20:
		return bad("files.piece_size", "too small: more than 2^20 pieces")
	case sc.Engine.BlockSize < 0 || sc.Engine.BlockSize > swarm.MaxBlockSize:
		return bad("engine.block_size", "%d not in [0, 1MiB]", sc.Engine.BlockSize)
	case sc.Engine.UploadSlots < 0:
		return bad("engine.upload_slots", "negative")
	}
	return nil
}

func (sc Scenario) validateAudience(bad func(string, string, ...any) error) error {
	a := sc.Audience
	switch {
	case a.Count <= 0:
		return bad("audience.count", "must be positive")
	case a.Count > 1_000_000:
		return bad("audience.count", "%d is more than a million", a.Count)
	case !(a.DownloadMbps > 0 && finite(a.DownloadMbps)):
		return bad("audience.download_mbps", "must be positive")
	case !share(a.FreeRiderShare):
		return bad("audience.free_rider_share", "%v not in [0, 1]", a.FreeRiderShare)
	case !share(a.NATShare):
		return bad("audience.nat_share", "%v not in [0, 1]", a.NATShare)
	case a.Peers < 0:
		return bad("audience.peers", "negative")
	case a.MaxPeers < 0:
		return bad("audience.max_peers", "negative")
	}
	u := a.Upload
	if u.Classes == nil {
		if !(u.Lo >= 0 && u.Hi >= u.Lo && finite(u.Hi)) {
			return bad("audience.upload", "want uniform:LO-HI with 0 <= LO <= HI")
		}
		return nil
	}
	sum := 0.0
	for i, c := range u.Classes {
		if !share(c.Share) || !(c.UpMbps >= 0 && finite(c.UpMbps)) {
			return bad(fmt.Sprintf("audience.upload[%d]", i), "share %v or up_mbps %v out of range", c.Share, c.UpMbps)
		}
		sum += c.Share
	}
	if math.Abs(sum-1) > 1e-6 {
		return bad("audience.upload", "shares add up to %v, want 1", sum)
	}
	return nil
}

func share(f float64) bool  { return f >= 0 && f <= 1 }
func finite(f float64) bool { return !math.IsInf(f, 0) && !math.IsNaN(f) }

// baseName returns the file name of path without directory and extension.
func baseName(path string) string {
	b := filepath.Base(path)
	return strings.TrimSuffix(b, filepath.Ext(b))
}

// DefaultScenario returns the scenario `shoal sim` runs without a file:
// 100 leechers with mixed uploads fetching 64 MiB from one seeder.
func DefaultScenario() Scenario {
	return Scenario{
		Name:  "default",
		Seed:  1,
		Files: &FileSpec{Size: 64 << 20},
		Audience: Audience{
			Count: 100,
			Upload: Upload{Classes: []UploadClass{
				{Share: 0.4, UpMbps: 5}, {Share: 0.4, UpMbps: 20}, {Share: 0.2, UpMbps: 50},
			}},
		},
		Seeder: Seeder{UpMbps: 50},
	}
}

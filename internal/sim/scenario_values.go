package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The value types of a Scenario. Each has one text form, used in JSON
// strings and command-line flags alike (they implement
// encoding.TextMarshaler and encoding.TextUnmarshaler, so flag.TextVar
// accepts them).

// ByteSize is a size in bytes. Its text form is an integer with an optional
// unit: B, KiB, MiB, GiB (powers of 1024) or KB, MB, GB (powers of 1000),
// e.g. "16MiB". In JSON it may also be a plain number.
type ByteSize int64

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1},
}

// MarshalText formats b with the largest binary unit that divides it.
func (b ByteSize) MarshalText() ([]byte, error) {
	for _, u := range []struct {
		s string
		m int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if b != 0 && int64(b)%u.m == 0 {
			return []byte(strconv.FormatInt(int64(b)/u.m, 10) + u.s), nil
		}
	}
	return []byte(strconv.FormatInt(int64(b), 10)), nil
}

// UnmarshalText parses the text form.
func (b *ByteSize) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/mult {
		return fmt.Errorf("bad size %q (want e.g. 16MiB)", text)
	}
	*b = ByteSize(n * mult)
	return nil
}

// UnmarshalJSON accepts a number of bytes or a string in the text form.
func (b *ByteSize) UnmarshalJSON(data []byte) error {
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		return b.UnmarshalText([]byte(s))
	}
	var n int64
	if err := json.Unmarshal(data, &n); err != nil || n < 0 {
		return fmt.Errorf("bad size %s", data)
	}
	*b = ByteSize(n)
	return nil
}

// Duration is a time.Duration whose text form is time.ParseDuration's.
type Duration time.Duration

// MarshalText formats d as time.Duration.String does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText parses the text form.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := time.ParseDuration(strings.TrimSpace(string(text)))
	if err != nil || v < 0 {
		return fmt.Errorf("bad duration %q (want e.g. 90s)", text)
	}
	*d = Duration(v)
	return nil
}

// Join says when the audience arrives: "flash" (everyone at time 0) or
// "ramp:DURATION" (evenly spread over DURATION).
type Join struct {
	Ramp time.Duration // 0: flash crowd
}

// MarshalText formats j.
func (j Join) MarshalText() ([]byte, error) {
	if j.Ramp == 0 {
		return []byte("flash"), nil
	}
	return []byte("ramp:" + j.Ramp.String()), nil
}

// UnmarshalText parses the text form.
func (j *Join) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	if s == "flash" || s == "" {
		*j = Join{}
		return nil
	}
	rest, ok := strings.CutPrefix(s, "ramp:")
	d, err := time.ParseDuration(rest)
	if !ok || err != nil || d <= 0 {
		return fmt.Errorf("bad join %q (want flash or ramp:DURATION)", text)
	}
	*j = Join{Ramp: d}
	return nil
}

// UploadClass is a share of the audience with one upload capacity.
type UploadClass struct {
	Share  float64 `json:"share"`
	UpMbps float64 `json:"up_mbps"`
}

// Upload is the distribution of the audience's upload capacities in Mbit/s:
// either a list of classes, text form "SHARE@MBPS,SHARE@MBPS,..." (e.g.
// "0.7@5,0.3@50"), or a uniform range, text form "uniform:LO-HI". In JSON
// it is that string or an array of {"share", "up_mbps"} objects.
type Upload struct {
	Classes []UploadClass // set for a class distribution
	Lo, Hi  float64       // set for a uniform distribution (Classes nil)
}

// MarshalText formats u.
func (u Upload) MarshalText() ([]byte, error) {
	if u.Classes == nil {
		return []byte("uniform:" + fmtFloat(u.Lo) + "-" + fmtFloat(u.Hi)), nil
	}
	parts := make([]string, len(u.Classes))
	for i, c := range u.Classes {
		parts[i] = fmtFloat(c.Share) + "@" + fmtFloat(c.UpMbps)
	}
	return []byte(strings.Join(parts, ",")), nil
}

// UnmarshalText parses the text form.
func (u *Upload) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	if rest, ok := strings.CutPrefix(s, "uniform:"); ok {
		lo, hi, ok := strings.Cut(rest, "-")
		a, err1 := strconv.ParseFloat(lo, 64)
		b, err2 := strconv.ParseFloat(hi, 64)
		if !ok || err1 != nil || err2 != nil {
			return fmt.Errorf("bad upload %q (want uniform:LO-HI)", text)
		}
		*u = Upload{Lo: a, Hi: b}
		return nil
	}
	var cs []UploadClass
	for _, part := range strings.Split(s, ",") {
		sh, mb, ok := strings.Cut(strings.TrimSpace(part), "@")
		a, err1 := strconv.ParseFloat(sh, 64)
		b, err2 := strconv.ParseFloat(mb, 64)
		if !ok || err1 != nil || err2 != nil {
			return fmt.Errorf("bad upload %q (want SHARE@MBPS,... or uniform:LO-HI)", text)
		}
		cs = append(cs, UploadClass{Share: a, UpMbps: b})
	}
	*u = Upload{Classes: cs}
	return nil
}

// UnmarshalJSON accepts the text form or an array of classes.
func (u *Upload) UnmarshalJSON(data []byte) error {
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("[")) {
		var cs []UploadClass
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cs); err != nil {
			return err
		}
		*u = Upload{Classes: cs}
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("bad upload %s", data)
	}
	return u.UnmarshalText([]byte(s))
}

// Latency is the distribution of each node's one-way access latency to the
// network core (a pair's latency is the sum of both ends'): text form
// "DURATION" (fixed) or "uniform:LO-HI", e.g. "uniform:5ms-40ms".
type Latency struct {
	Lo, Hi time.Duration // Lo == Hi: fixed
}

// MarshalText formats l.
func (l Latency) MarshalText() ([]byte, error) {
	if l.Lo == l.Hi {
		return []byte(l.Lo.String()), nil
	}
	return []byte("uniform:" + l.Lo.String() + "-" + l.Hi.String()), nil
}

// UnmarshalText parses the text form.
func (l *Latency) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	bad := fmt.Errorf("bad latency %q (want DURATION or uniform:LO-HI)", text)
	if rest, ok := strings.CutPrefix(s, "uniform:"); ok {
		lo, hi, ok := strings.Cut(rest, "-")
		a, err1 := time.ParseDuration(lo)
		b, err2 := time.ParseDuration(hi)
		if !ok || err1 != nil || err2 != nil {
			return bad
		}
		*l = Latency{Lo: a, Hi: b}
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return bad
	}
	*l = Latency{Lo: d, Hi: d}
	return nil
}

// fmtFloat formats f in its shortest exact form.
func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

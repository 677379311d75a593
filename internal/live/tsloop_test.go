package live

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// The tests build and read packets bit by bit in the order of the syntax
// tables of ISO/IEC 13818-1 (2.4.3.2 transport packet, 2.4.3.4 adaptation
// field, 2.4.3.6 PES packet), independently of the byte masks in tsloop.go.

const none = -1 // an absent clock in tsSpec

// tsSpec is one transport packet, field by field.
type tsSpec struct {
	pid       uint16
	pusi      bool
	cc        uint8
	adapt     bool  // an adaptation field is present (also with noPayload)
	noPayload bool  // adaptation_field_control 10: adaptation field only
	pcr, opcr int64 // base×300 + extension (27 MHz), or none
	streamID  byte  // if non-zero, the payload starts a PES packet with this stream_id
	pts, dts  int64 // 90 kHz, or none
}

type bitWriter struct {
	b []byte
	n int // bits written
}

func (w *bitWriter) put(v uint64, bits int) {
	for i := bits - 1; i >= 0; i-- {
		if w.n%8 == 0 {
			w.b = append(w.b, 0)
		}
		if v>>i&1 == 1 {
			w.b[len(w.b)-1] |= 1 << (7 - w.n%8)
		}
		w.n++
	}
}

func putBool(w *bitWriter, b bool) {
	if b {
		w.put(1, 1)
	} else {
		w.put(0, 1)
	}
}

// buildTS encodes s as a 188-byte packet; payload bytes after any PES
// header are a pattern that depends on the PID.
func buildTS(s tsSpec) []byte {
	var af bitWriter
	if s.adapt || s.noPayload {
		af.put(0, 3) // discontinuity, random_access, ES_priority
		putBool(&af, s.pcr != none)
		putBool(&af, s.opcr != none)
		af.put(0, 3) // splicing_point, transport_private_data, extension
		for _, c := range []int64{s.pcr, s.opcr} {
			if c != none {
				af.put(uint64(c/300), 33)
				af.put(0x3F, 6)
				af.put(uint64(c%300), 9)
			}
		}
	}
	var w bitWriter
	w.put(tsSyncByte, 8)
	w.put(0, 1) // transport_error_indicator
	putBool(&w, s.pusi)
	w.put(0, 1) // transport_priority
	w.put(uint64(s.pid), 13)
	w.put(0, 2) // transport_scrambling_control
	afc := uint64(1)
	if s.noPayload {
		afc = 2
	} else if s.adapt {
		afc = 3
	}
	w.put(afc, 2)
	w.put(uint64(s.cc), 4)
	if afc&2 != 0 {
		n := len(af.b)
		if s.noPayload {
			n = 183
		}
		w.put(uint64(n), 8)
		w.b = append(w.b, af.b...)
		for len(w.b) < 5+n {
			w.b = append(w.b, 0xFF) // stuffing_byte
		}
		w.n = len(w.b) * 8
	}
	if s.streamID != 0 {
		putPES(&w, s)
	}
	for i := 0; len(w.b) < tsPacketSize; i++ {
		w.b = append(w.b, byte(i*7)+byte(s.pid))
	}
	return w.b
}

func putPES(w *bitWriter, s tsSpec) {
	w.put(1, 24) // packet_start_code_prefix
	w.put(uint64(s.streamID), 8)
	w.put(0, 16) // PES_packet_length: unbounded
	if s.streamID == 0xBE || s.streamID == 0xBF {
		return
	}
	flags, n := uint64(0), 0
	if s.pts != none {
		flags, n = 2, 5
	}
	if s.dts != none {
		flags, n = 3, 10
	}
	w.put(2, 2)      // '10'
	w.put(0b0100, 6) // scrambling, priority, data_alignment_indicator=1, copyright, original
	w.put(flags, 2)
	w.put(0, 6) // ESCR, ES_rate, DSM_trick_mode, additional_copy_info, PES_CRC, extension
	w.put(uint64(n), 8)
	prefixes := map[uint64][]uint64{2: {0b0010}, 3: {0b0011, 0b0001}}[flags]
	for i, v := range []int64{s.pts, s.dts}[:len(prefixes)] {
		w.put(prefixes[i], 4)
		w.put(uint64(v)>>30, 3)
		w.put(1, 1)
		w.put(uint64(v)>>15&0x7FFF, 15)
		w.put(1, 1)
		w.put(uint64(v)&0x7FFF, 15)
		w.put(1, 1)
	}
}

type bitReader struct {
	b []byte
	n int
}

func (r *bitReader) get(bits int) uint64 {
	var v uint64
	for range bits {
		v = v<<1 | uint64(r.b[r.n/8]>>(7-r.n%8)&1)
		r.n++
	}
	return v
}

// span is a byte range of a packet that holds a clock.
type span struct{ off, len int }

// readTS decodes what buildTS encodes from any well-formed packet, and
// returns where its clocks are.
func readTS(p []byte) (tsSpec, []span) {
	r := &bitReader{b: p}
	s := tsSpec{pcr: none, opcr: none, pts: none, dts: none}
	var clocks []span
	r.get(8 + 1)
	s.pusi = r.get(1) == 1
	r.get(1)
	s.pid = uint16(r.get(13))
	r.get(2)
	afc := r.get(2)
	s.cc = uint8(r.get(4))
	s.adapt, s.noPayload = afc&2 != 0, afc == 2
	if afc&2 != 0 {
		n := int(r.get(8))
		if n > 0 {
			r.get(3)
			hasPCR, hasOPCR := r.get(1) == 1, r.get(1) == 1
			r.get(3)
			if hasPCR {
				clocks = append(clocks, span{r.n / 8, 6})
				s.pcr = readPCR(r)
			}
			if hasOPCR {
				clocks = append(clocks, span{r.n / 8, 6})
				s.opcr = readPCR(r)
			}
		}
		r.n = (5 + n) * 8
	}
	if afc&1 != 0 && s.pusi && bytes.HasPrefix(p[r.n/8:], []byte{0, 0, 1}) {
		clocks = append(clocks, readPES(r, &s)...)
	}
	return s, clocks
}

func readPCR(r *bitReader) int64 {
	base := r.get(33)
	r.get(6)
	return int64(base*300 + r.get(9))
}

func readPES(r *bitReader, s *tsSpec) []span {
	r.get(24)
	s.streamID = byte(r.get(8))
	r.get(16)
	if s.streamID == 0xBE || s.streamID == 0xBF {
		return nil
	}
	r.get(8)
	flags := r.get(2)
	r.get(6 + 8)
	var clocks []span
	for i, v := range []*int64{&s.pts, &s.dts} {
		if flags>>(1-i)&1 == 0 || (i == 1 && flags != 3) {
			continue
		}
		clocks = append(clocks, span{r.n / 8, 5})
		r.get(4)
		hi := r.get(3)
		r.get(1)
		mid := r.get(15)
		r.get(1)
		lo := r.get(15)
		r.get(1)
		*v = int64(hi<<30 | mid<<15 | lo)
	}
	return clocks
}

// masked returns a copy of p with its clocks and continuity_counter zeroed.
func masked(p []byte, clocks []span) []byte {
	q := append([]byte(nil), p...)
	q[3] &= 0xF0
	for _, c := range clocks {
		clear(q[c.off : c.off+c.len])
	}
	return q
}

// shifted returns s with ticks added to its clocks and cc to its counter.
func shifted(s tsSpec, ticks int64, cc uint8) tsSpec {
	add := func(v, mod int64) int64 {
		if v == none {
			return none
		}
		return (v + ticks*(mod/tsClockMod)) % mod
	}
	s.pts, s.dts = add(s.pts, tsClockMod), add(s.dts, tsClockMod)
	s.pcr, s.opcr = add(s.pcr, tsClockMod*300), add(s.opcr, tsClockMod*300)
	s.cc = (s.cc + cc) & 0x0F
	return s
}

func TestBuildReadTS(t *testing.T) {
	for _, s := range shiftCases() {
		b := buildTS(s.in)
		if len(b) != tsPacketSize {
			t.Fatalf("%s: got %d bytes, want %d", s.name, len(b), tsPacketSize)
		}
		if got, _ := readTS(b); got != s.in {
			t.Errorf("%s: got %+v back, want %+v", s.name, got, s.in)
		}
	}
}

type shiftCase struct {
	name  string
	in    tsSpec
	ticks int64
	cc    uint8
}

func shiftCases() []shiftCase {
	video := tsSpec{pid: 0x100, pusi: true, cc: 5, adapt: true, pcr: 126000*300 + 17, opcr: none, streamID: 0xE0, pts: 132000, dts: 126000}
	audio := tsSpec{pid: 0x101, pusi: true, cc: 15, pcr: none, opcr: none, streamID: 0xC0, pts: 130080, dts: none}
	pcrOnly := tsSpec{pid: 0x100, cc: 9, adapt: true, noPayload: true, pcr: 299*300 + 299, opcr: 12345, pts: none, dts: none}
	cont := tsSpec{pid: 0x100, cc: 3, pcr: none, opcr: none, pts: none, dts: none}
	pat := tsSpec{pid: 0, pusi: true, cc: 0, pcr: none, opcr: none, pts: none, dts: none}
	padding := tsSpec{pid: 0x102, pusi: true, cc: 1, pcr: none, opcr: none, streamID: 0xBE, pts: none, dts: none}
	null := tsSpec{pid: tsNullPID, cc: 7, pcr: none, opcr: none, pts: none, dts: none}
	nearWrap := video
	nearWrap.pts, nearWrap.dts, nearWrap.pcr = tsClockMod-1, tsClockMod-3000, (tsClockMod-1)*300+299
	return []shiftCase{
		{"video PES with PCR, PTS and DTS", video, 720000, 3},
		{"audio PES with PTS only", audio, 720000, 4},
		{"PCR and OPCR without payload", pcrOnly, 720000, 15},
		{"PES continuation", cont, 720000, 1},
		{"PSI section", pat, 720000, 4},
		{"padding stream without header", padding, 720000, 2},
		{"null packet", null, 720000, 0},
		{"zero shift", video, 0, 0},
		{"wrap at 2^33", nearWrap, 6000, 8},
		{"shift by a whole wrap", video, tsClockMod, 0},
	}
}

func TestShiftTS(t *testing.T) {
	for _, c := range shiftCases() {
		t.Run(c.name, func(t *testing.T) {
			in := buildTS(c.in)
			orig := append([]byte(nil), in...)
			got, err := shiftTS(in, uint64(c.ticks), map[uint16]uint8{c.in.pid: c.cc})
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			want := shifted(c.in, c.ticks, c.cc)
			if c.in.pid == tsNullPID {
				want = c.in // null packets are left alone
			}
			if !bytes.Equal(in, orig) {
				t.Errorf("input modified, want it untouched")
			}
			if gotSpec, _ := readTS(got); gotSpec != want {
				t.Errorf("got %+v, want %+v", gotSpec, want)
			}
			if !bytes.Equal(got, buildTS(want)) {
				t.Errorf("got bytes\n%x, want\n%x", got, buildTS(want))
			}
		})
	}
}

func TestShiftTSMalformed(t *testing.T) {
	good := buildTS(shiftCases()[0].in)
	edit := func(f func(p []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	cases := []struct {
		name, want string
		data       []byte
	}{
		{"empty", "0 bytes", nil},
		{"truncated", "187 bytes", good[:187]},
		{"packet and a bit", "189 bytes", append(append([]byte(nil), good...), 0x47)},
		{"bad sync byte", "sync byte 0x48", edit(func(p []byte) []byte { p[0] = 0x48; return p })},
		{"bad sync byte in second packet", "packet 1: sync byte", append(append([]byte(nil), good...), edit(func(p []byte) []byte { p[0] = 0; return p })...)},
		{"transport error", "transport_error_indicator", edit(func(p []byte) []byte { p[1] |= 0x80; return p })},
		{"reserved adaptation_field_control", "reserved adaptation_field_control", edit(func(p []byte) []byte { p[3] &= 0xCF; return p })},
		{"adaptation only, short", "adaptation_field_length 7", edit(func(p []byte) []byte { p[3] = p[3]&0xCF | 0x20; return p })},
		{"adaptation and payload, too long", "adaptation_field_length 183", edit(func(p []byte) []byte { p[4] = 183; return p })},
		{"PCR cut short", "too short for its PCR", edit(func(p []byte) []byte { p[4] = 3; return p })},
		{"PES header past packet", "PES_header_data_length 255", edit(func(p []byte) []byte { p[12+8] = 255; return p })},
		{"PES optional header marker", "does not start with '10'", edit(func(p []byte) []byte { p[12+6] = 0x40; return p })},
		{"forbidden PTS_DTS_flags", "forbidden PTS_DTS_flags", edit(func(p []byte) []byte { p[12+7] = p[12+7]&0x3F | 0x40; return p })},
		{"PTS marker bit", "marker bit", edit(func(p []byte) []byte { p[12+9+2] &^= 1; return p })},
		{"PES header too short", "too short for its timestamps", edit(func(p []byte) []byte { p[12+8] = 4; return p })},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := shiftTS(c.data, 1, nil)
			if !errors.Is(err, errBadTS) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got error %v, want errBadTS mentioning %q", err, c.want)
			}
		})
	}
}

// FuzzShiftTS checks that shiftTS never panics and that shifting back by
// the rest of the 2^33 and 16 cycles restores the input exactly.
func FuzzShiftTS(f *testing.F) {
	for _, c := range shiftCases() {
		f.Add(buildTS(c.in), uint64(c.ticks), c.cc)
	}
	f.Fuzz(func(t *testing.T, data []byte, ticks uint64, cc uint8) {
		ticks %= tsClockMod
		pids := make(map[uint16]uint8)
		for off := 0; off+3 < len(data); off += tsPacketSize {
			pids[uint16(data[off+1]&0x1F)<<8|uint16(data[off+2])] = cc & 0x0F
		}
		out, err := shiftTS(data, ticks, pids)
		if err != nil {
			if !errors.Is(err, errBadTS) {
				t.Fatalf("got error %v, want errBadTS", err)
			}
			return
		}
		for pid, v := range pids {
			pids[pid] = 16 - v
		}
		back, err := shiftTS(out, tsClockMod-ticks, pids)
		if err != nil {
			t.Fatalf("shifting back: got error %v, want nil", err)
		}
		if !bytes.Equal(back, data) {
			t.Fatalf("got\n%x after shifting back, want\n%x", back, data)
		}
	})
}

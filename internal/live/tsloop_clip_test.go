package live

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// clipPeriod is the embedded clip's duration in 90 kHz units.
const clipPeriod = 4 * 2 * 90000

func readTestClip(t *testing.T) [][]byte {
	t.Helper()
	clip, err := readSynthClip(synthClip)
	if err != nil {
		t.Fatal(err)
	}
	if len(clip) != 4 {
		t.Fatalf("got %d clip segments, want 4", len(clip))
	}
	return clip
}

// ccChecker follows continuity_counter per PID (2.4.3.3): +1 per packet
// with a payload, unchanged on a packet without one.
type ccChecker map[uint16]uint8

func (c ccChecker) check(s tsSpec) error {
	if s.pid == tsNullPID {
		return nil
	}
	last, seen := c[s.pid]
	want := last
	if !s.noPayload {
		want = (last + 1) & 0x0F
	}
	c[s.pid] = s.cc
	if seen && s.cc != want {
		return fmt.Errorf("pid 0x%x: got continuity_counter %d after %d, want %d", s.pid, s.cc, last, want)
	}
	return nil
}

// TestTSLoopClip loops the embedded clip and checks every packet of the
// stream segments against the clip: clocks shifted by exactly k clip
// durations modulo 2^33, counters continuous over the whole range, every
// other byte as in the clip.
func TestTSLoopClip(t *testing.T) {
	clip := readTestClip(t)
	loop, err := newTSLoop(clip, clipPeriod)
	if err != nil {
		t.Fatal(err)
	}
	n := uint64(len(clip))
	wrapK := uint64(tsClockMod / clipPeriod) // the iteration whose clocks pass 2^33
	cases := []struct {
		name     string
		from, to uint64 // stream segments
		wraps    bool
	}{
		{"first three loops", 0, 3*n - 1, false},
		{"across the 2^33 wrap", wrapK*n - 1, (wrapK+1)*n + 1, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ccs, wrapped := ccChecker{}, false
			for seq := c.from; seq <= c.to; seq++ {
				got, err := loop.segment(seq)
				if err != nil {
					t.Fatalf("segment %d: got error %v, want nil", seq, err)
				}
				k, orig := seq/n, clip[seq%n]
				if k == 0 && !bytes.Equal(got, orig) {
					t.Errorf("segment %d: got bytes that differ from the clip, want them as committed", seq)
				}
				w, err := checkShifted(got, orig, int64(k*clipPeriod%tsClockMod), ccs)
				if err != nil {
					t.Fatalf("segment %d (iteration %d): %v", seq, k, err)
				}
				wrapped = wrapped || w
			}
			if wrapped != c.wraps {
				t.Errorf("got clocks wrapped %v, want %v", wrapped, c.wraps)
			}
		})
	}
}

// checkShifted compares got with orig packet by packet; it reports whether
// any clock wrapped.
func checkShifted(got, orig []byte, ticks int64, ccs ccChecker) (bool, error) {
	if len(got) != len(orig) {
		return false, fmt.Errorf("got %d bytes, want %d", len(got), len(orig))
	}
	wrapped := false
	for off := 0; off < len(got); off += tsPacketSize {
		g, o := got[off:off+tsPacketSize], orig[off:off+tsPacketSize]
		gs, gclocks := readTS(g)
		os, oclocks := readTS(o)
		want := shifted(os, ticks, 0)
		want.cc = gs.cc
		if gs != want {
			return false, fmt.Errorf("packet %d: got %+v, want %+v", off/tsPacketSize, gs, want)
		}
		if len(gclocks) != len(oclocks) || !bytes.Equal(masked(g, gclocks), masked(o, oclocks)) {
			return false, fmt.Errorf("packet %d: got bytes besides clocks and counter changed, want them equal", off/tsPacketSize)
		}
		if err := ccs.check(gs); err != nil {
			return false, fmt.Errorf("packet %d: %w", off/tsPacketSize, err)
		}
		wrapped = wrapped || (gs.pts != none && gs.pts < os.pts) || (gs.pcr != none && gs.pcr < os.pcr)
	}
	return wrapped, nil
}

// TestTSLoopRenumber loops a clip whose counters have gaps and checks that
// the stream's counters are continuous from the first packet on.
func TestTSLoopRenumber(t *testing.T) {
	pkt := func(pid uint16, cc uint8, noPayload bool) []byte {
		return buildTS(tsSpec{pid: pid, cc: cc, adapt: noPayload, noPayload: noPayload, pcr: none, opcr: none, pts: none, dts: none})
	}
	seg0 := bytes.Join([][]byte{pkt(0x100, 3, false), pkt(0x100, 9, false), pkt(0x100, 0, true), pkt(0x101, 12, false), pkt(tsNullPID, 5, false)}, nil)
	seg1 := bytes.Join([][]byte{pkt(0x100, 0, false), pkt(0x101, 0, false), pkt(0x101, 1, false)}, nil)
	loop, err := newTSLoop([][]byte{seg0, seg1}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	ccs := ccChecker{}
	for seq := range uint64(41) {
		data, err := loop.segment(seq)
		if err != nil {
			t.Fatalf("segment %d: got error %v, want nil", seq, err)
		}
		for off := 0; off < len(data); off += tsPacketSize {
			s, _ := readTS(data[off : off+tsPacketSize])
			if seq == 0 && off == 0 && s.cc != 3 {
				t.Errorf("got first counter %d, want the clip's 3", s.cc)
			}
			if err := ccs.check(s); err != nil {
				t.Fatalf("segment %d packet %d: %v", seq, off/tsPacketSize, err)
			}
		}
	}
	data, _ := loop.segment(2)
	clear(data)
	if again, _ := loop.segment(2); again[0] != tsSyncByte {
		t.Errorf("got a segment that shares memory with an earlier one, want a fresh slice")
	}
}

func TestNewTSLoopErrors(t *testing.T) {
	good := buildTS(shiftCases()[0].in)
	cases := []struct {
		name   string
		clip   [][]byte
		period uint64
		want   string
	}{
		{"empty clip", nil, 1000, "empty clip"},
		{"zero period", [][]byte{good}, 0, "period 0"},
		{"period of 2^33", [][]byte{good}, tsClockMod, "period 8589934592"},
		{"truncated segment", [][]byte{good, good[:100]}, 1000, "clip segment 1: 100 bytes"},
		{"bad sync byte", [][]byte{append([]byte{0x46}, good[1:]...)}, 1000, "clip segment 0: packet 0: sync byte 0x46"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := newTSLoop(c.clip, c.period)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "live: ") {
				t.Errorf("got error %v, want one starting live: mentioning %q", err, c.want)
			}
			if strings.Contains(c.want, "segment") && !errors.Is(err, errBadTS) {
				t.Errorf("got error %v, want errBadTS", err)
			}
		})
	}
}

package live

import (
	"errors"
	"fmt"
)

// This file rewrites MPEG-TS (ISO/IEC 13818-1, "H.222.0", transport stream)
// so that a short clip can be replayed forever as one continuous stream:
// iteration k of the clip has k clip durations added to every clock it
// carries, and its continuity counters carry on from iteration k-1.

const (
	tsPacketSize = 188  // 2.4.3.1: transport packets are 188 bytes long
	tsSyncByte   = 0x47 // 2.4.3.3: sync_byte
	tsNullPID    = 0x1FFF
	// tsClockMod is where the 33-bit clocks wrap: PTS and DTS (2.4.3.7)
	// and the base of PCR and OPCR (2.4.3.5), all in 90 kHz units.
	tsClockMod = 1 << 33
)

// errBadTS wraps every error for input that is not a well-formed transport
// stream.
var errBadTS = errors.New("live: malformed MPEG-TS")

// tsPacket is a parsed view of one transport packet (2.4.3.2); its slices
// alias the packet, so writing through them edits it.
type tsPacket struct {
	pusi    bool   // payload_unit_start_indicator
	pid     uint16 // PID
	payload bool   // adaptation_field_control says a payload follows
	af      []byte // adaptation field after adaptation_field_length; nil if absent
	data    []byte // payload bytes; nil if absent
}

// parseTSPacket checks the fixed header and the adaptation field length of
// p, exactly one transport packet (2.4.3.2, 2.4.3.4).
func parseTSPacket(p []byte) (tsPacket, error) {
	if len(p) != tsPacketSize {
		return tsPacket{}, fmt.Errorf("packet of %d bytes, want %d", len(p), tsPacketSize)
	}
	if p[0] != tsSyncByte {
		return tsPacket{}, fmt.Errorf("sync byte 0x%02x, want 0x47", p[0])
	}
	if p[1]&0x80 != 0 {
		return tsPacket{}, errors.New("transport_error_indicator set")
	}
	pk := tsPacket{pusi: p[1]&0x40 != 0, pid: uint16(p[1]&0x1F)<<8 | uint16(p[2])}
	afc := p[3] >> 4 & 0x3
	rest := p[4:]
	switch afc {
	case 0:
		return tsPacket{}, fmt.Errorf("pid 0x%x: reserved adaptation_field_control 00", pk.pid)
	case 2, 3:
		n := int(rest[0])
		// 2.4.3.5: 183 when no payload follows, 0..182 when one does.
		if (afc == 2 && n != 183) || (afc == 3 && n > 182) {
			return tsPacket{}, fmt.Errorf("pid 0x%x: adaptation_field_length %d with adaptation_field_control %02b", pk.pid, n, afc)
		}
		pk.af = rest[1 : 1+n]
		rest = rest[1+n:]
	}
	if afc&1 != 0 {
		pk.payload = true
		pk.data = rest
	}
	return pk, nil
}

// shiftTS returns a copy of data, a whole number of transport packets, with
// ticks (90 kHz) added modulo 2^33 to every PES PTS and DTS and to every PCR
// and OPCR base, and ccAdd[pid] added modulo 16 to the continuity_counter
// of every packet of that PID. Everything else is copied unchanged. Errors
// wrap errBadTS.
func shiftTS(data []byte, ticks uint64, ccAdd map[uint16]uint8) ([]byte, error) {
	out := make([]byte, len(data))
	copy(out, data)
	if err := shiftPackets(out, ticks, ccAdd); err != nil {
		return nil, fmt.Errorf("%w: %v", errBadTS, err)
	}
	return out, nil
}

// shiftPackets applies shiftTS in place; its errors say where, not what.
func shiftPackets(data []byte, ticks uint64, ccAdd map[uint16]uint8) error {
	if len(data) == 0 || len(data)%tsPacketSize != 0 {
		return fmt.Errorf("%d bytes is not a whole number of %d-byte packets", len(data), tsPacketSize)
	}
	for off := 0; off < len(data); off += tsPacketSize {
		if err := shiftPacket(data[off:off+tsPacketSize], ticks, ccAdd); err != nil {
			return fmt.Errorf("packet %d: %w", off/tsPacketSize, err)
		}
	}
	return nil
}

// shiftPacket applies shiftTS to one packet in place.
func shiftPacket(p []byte, ticks uint64, ccAdd map[uint16]uint8) error {
	pk, err := parseTSPacket(p)
	if err != nil {
		return err
	}
	if pk.pid == tsNullPID {
		return nil // 2.4.3.3: null packets carry no meaningful counter or clock
	}
	// 2.4.3.3: continuity_counter is a 4-bit field after
	// adaptation_field_control. Shifting every packet of a PID by the same
	// amount keeps the increments (and the repeats of packets without a
	// payload) exactly as they were.
	p[3] = p[3]&0xF0 | (p[3]+ccAdd[pk.pid])&0x0F
	if err := shiftAdaptation(pk.af, ticks); err != nil {
		return fmt.Errorf("pid 0x%x: %w", pk.pid, err)
	}
	if pk.pusi && isPESStart(pk.data) {
		if err := shiftPES(pk.data, ticks); err != nil {
			return fmt.Errorf("pid 0x%x: %w", pk.pid, err)
		}
	}
	return nil
}

// shiftAdaptation shifts the PCR and OPCR of an adaptation field (2.4.3.4).
func shiftAdaptation(af []byte, ticks uint64) error {
	if len(af) == 0 {
		return nil // adaptation_field_length 0: stuffing of one byte
	}
	flags := af[0]
	rest := af[1:]
	for _, flag := range []byte{0x10, 0x08} { // PCR_flag, then OPCR_flag
		if flags&flag == 0 {
			continue
		}
		if len(rest) < 6 {
			return errors.New("adaptation field too short for its PCR/OPCR")
		}
		putPCRBase(rest, (pcrBase(rest)+ticks)%tsClockMod)
		rest = rest[6:]
	}
	return nil
}

// pcrBase reads program_clock_reference_base (or the OPCR's), the 33 bits
// that precede 6 reserved bits and the 9-bit extension (2.4.3.5). The
// 27 MHz clock is base×300 + extension, so adding ticks to the base adds
// ticks×300 to the clock and leaves the extension alone.
func pcrBase(b []byte) uint64 {
	return uint64(b[0])<<25 | uint64(b[1])<<17 | uint64(b[2])<<9 | uint64(b[3])<<1 | uint64(b[4]>>7)
}

func putPCRBase(b []byte, base uint64) {
	b[0] = byte(base >> 25)
	b[1] = byte(base >> 17)
	b[2] = byte(base >> 9)
	b[3] = byte(base >> 1)
	b[4] = byte(base<<7) | b[4]&0x7F
}

// isPESStart reports whether a payload that starts a unit starts a PES
// packet (packet_start_code_prefix 0x000001, 2.4.3.6) rather than a PSI
// section. A section payload starts with pointer_field and table_id
// (2.4.4.1); the only table_id 0x00 is the PAT, whose next byte has
// section_syntax_indicator set, so a section never begins 00 00 01.
func isPESStart(b []byte) bool {
	return len(b) >= 3 && b[0] == 0 && b[1] == 0 && b[2] == 1
}

// pesNoHeader reports the stream_id values whose PES packets have no
// optional header and so no PTS or DTS (2.4.3.6, Table 2-21):
// program_stream_map, padding_stream, private_stream_2, ECM, EMM,
// program_stream_directory, DSMCC_stream and ITU-T H.222.1 type E.
func pesNoHeader(streamID byte) bool {
	switch streamID {
	case 0xBC, 0xBE, 0xBF, 0xF0, 0xF1, 0xFF, 0xF2, 0xF8:
		return true
	}
	return false
}

// shiftPES shifts the PTS and DTS in the PES header at the start of b, the
// payload of the packet that starts the PES packet (2.4.3.6). The header up
// to the timestamps must lie in this one transport packet.
func shiftPES(b []byte, ticks uint64) error {
	if len(b) < 6 {
		return fmt.Errorf("PES header truncated at %d bytes", len(b))
	}
	if pesNoHeader(b[3]) {
		return nil
	}
	if len(b) < 9 {
		return fmt.Errorf("PES optional header truncated at %d bytes", len(b))
	}
	if b[6]&0xC0 != 0x80 {
		return errors.New("PES optional header does not start with '10'")
	}
	hdr := b[9:]
	if n := int(b[8]); n <= len(hdr) {
		hdr = hdr[:n] // PES_header_data_length
	} else {
		return fmt.Errorf("PES_header_data_length %d past the packet's %d bytes", n, len(hdr))
	}
	stamps := 0
	switch flags := b[7] >> 6; flags { // PTS_DTS_flags
	case 0:
		return nil
	case 1:
		return errors.New("forbidden PTS_DTS_flags 01")
	default:
		stamps = int(flags) - 1 // 10: PTS; 11: PTS then DTS
	}
	if len(hdr) < 5*stamps {
		return fmt.Errorf("PES header of %d bytes too short for its timestamps", len(hdr))
	}
	for i := range stamps {
		ts := hdr[5*i : 5*i+5]
		v, err := readTimestamp(ts)
		if err != nil {
			return err
		}
		putTimestamp(ts, (v+ticks)%tsClockMod)
	}
	return nil
}

// readTimestamp decodes a 5-byte PTS or DTS field (2.4.3.7): a 4-bit
// prefix, then bits 32..30, 29..15 and 14..0, each group followed by a
// marker_bit that must be 1.
func readTimestamp(b []byte) (uint64, error) {
	if b[0]&1 == 0 || b[2]&1 == 0 || b[4]&1 == 0 {
		return 0, errors.New("PTS/DTS marker bit is 0")
	}
	return uint64(b[0]>>1&0x7)<<30 | uint64(b[1])<<22 | uint64(b[2]>>1)<<15 | uint64(b[3])<<7 | uint64(b[4]>>1), nil
}

// putTimestamp encodes v into a PTS or DTS field, keeping its prefix.
func putTimestamp(b []byte, v uint64) {
	b[0] = b[0]&0xF0 | byte(v>>29)&0x0E | 1
	b[1] = byte(v >> 22)
	b[2] = byte(v>>14)&0xFE | 1
	b[3] = byte(v >> 7)
	b[4] = byte(v<<1) | 1
}

// tsLoop is a clip of MPEG-TS segments replayed forever as one stream:
// segment n of the stream is clip segment n mod len, with n/len clip
// durations added to its clocks and its continuity counters continuing
// those of the previous iteration.
type tsLoop struct {
	segs   [][]byte         // the clip, its continuity counters renumbered to run without a gap
	period uint64           // clip duration, 90 kHz
	ccStep map[uint16]uint8 // per PID, packets with a payload in the whole clip, mod 16
}

// newTSLoop checks every packet of the clip and prepares it for looping
// with the given period, the clip's duration in 90 kHz units.
func newTSLoop(clip [][]byte, period uint64) (*tsLoop, error) {
	if len(clip) == 0 {
		return nil, errors.New("live: ts loop: empty clip")
	}
	if period == 0 || period >= tsClockMod {
		return nil, fmt.Errorf("live: ts loop: period %d outside [1, 2^33)", period)
	}
	l := &tsLoop{segs: make([][]byte, len(clip)), period: period, ccStep: make(map[uint16]uint8)}
	last := make(map[uint16]uint8) // per PID, the counter of the latest packet with a payload
	for i, seg := range clip {
		s := append([]byte(nil), seg...)
		if err := shiftPackets(s, 0, nil); err != nil { // validates every packet
			return nil, fmt.Errorf("%w: clip segment %d: %v", errBadTS, i, err)
		}
		renumberCC(s, last, l.ccStep)
		l.segs[i] = s
	}
	return l, nil
}

// renumberCC rewrites the continuity counters of seg, already validated, so
// that each PID counts up by one per packet with a payload from its first
// packet on, across segments, and a packet without a payload repeats the
// previous value (2.4.3.3). last holds the previous counter per PID; steps
// counts the packets with a payload per PID, mod 16. A clip cut by one
// muxer is already numbered like this; renumbering makes any clip loop.
func renumberCC(seg []byte, last, steps map[uint16]uint8) {
	for off := 0; off < len(seg); off += tsPacketSize {
		p := seg[off : off+tsPacketSize]
		pk, _ := parseTSPacket(p)
		if pk.pid == tsNullPID {
			continue
		}
		cc, seen := last[pk.pid]
		if !seen {
			cc = p[3] & 0x0F
			if pk.payload {
				cc-- // so that the first packet keeps its counter
			}
		}
		if pk.payload {
			cc = (cc + 1) & 0x0F
			steps[pk.pid] = (steps[pk.pid] + 1) & 0x0F
		}
		last[pk.pid] = cc & 0x0F
		p[3] = p[3]&0xF0 | cc&0x0F
	}
}

// segment returns the bytes of stream segment n, a fresh slice.
func (l *tsLoop) segment(n uint64) ([]byte, error) {
	k, i := n/uint64(len(l.segs)), n%uint64(len(l.segs))
	cc := make(map[uint16]uint8, len(l.ccStep))
	for pid, step := range l.ccStep {
		cc[pid] = uint8(k*uint64(step)) & 0x0F // 16 divides 2^64: wrapping is exact
	}
	ticks := (k * l.period) % tsClockMod // likewise 2^33 divides 2^64
	return shiftTS(l.segs[i], ticks, cc)
}

package gateway

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Playlist rendering (RFC 8216 section 4). Both playlists declare version 3,
// the lowest that allows decimal EXTINF durations (section 7).
const (
	playlistVersion = 3
	playlistType    = "application/vnd.apple.mpegurl" // section 4
	pdtLayout       = "2006-01-02T15:04:05.000Z07:00" // RFC 3339 with milliseconds, section 4.3.2.6
)

// marshalMaster renders the multivariant playlist (section 4.3.4): one
// EXT-X-STREAM-INF per rendition, whose URI is relative to /live/.
func marshalMaster(rends []variant) []byte {
	var b strings.Builder
	b.WriteString("#EXTM3U\n")
	b.WriteString("#EXT-X-VERSION:" + strconv.Itoa(playlistVersion) + "\n")
	// Section 4.3.5.1: every segment starts with a key frame, in every
	// media playlist; ingest cuts segments that way.
	b.WriteString("#EXT-X-INDEPENDENT-SEGMENTS\n")
	for _, v := range rends {
		// Section 4.3.4.2: BANDWIDTH is required, CODECS SHOULD and
		// RESOLUTION MAY be present.
		b.WriteString("#EXT-X-STREAM-INF:BANDWIDTH=" + strconv.Itoa(v.bandwidth))
		if validResolution(v.Resolution) {
			b.WriteString(",RESOLUTION=" + v.Resolution)
		}
		if validQuoted(v.Codecs) {
			b.WriteString(`,CODECS="` + v.Codecs + `"`)
		}
		b.WriteString("\n" + strconv.Itoa(int(v.Index)) + "/index.m3u8\n")
	}
	return []byte(b.String())
}

// variant is a rendition with a known peak bandwidth.
type variant struct {
	Rendition
	bandwidth int
}

// peakBandwidth returns the highest segment bit rate (the definition of
// BANDWIDTH, section 4.3.4.2), 0 when no segment tells.
func peakBandwidth(segs []SegmentInfo) int {
	peak := 0
	for _, s := range segs {
		if s.Duration <= 0 || s.Size <= 0 {
			continue
		}
		peak = max(peak, int(math.Ceil(float64(s.Size)*8/s.Duration.Seconds())))
	}
	return peak
}

// validResolution reports whether r is a decimal-resolution (section 4.2).
func validResolution(r string) bool {
	w, h, ok := strings.Cut(r, "x")
	return ok && digits(w) && digits(h)
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// validQuoted reports whether s can be a non-empty quoted-string (section
// 4.2): no double quote, CR or LF, and no other control character (4.1).
func validQuoted(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c == '"' || c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) {
			return false
		}
	}
	return true
}

// media is a snapshot of a window to render.
type media struct {
	target  int
	discSeq uint64
	entries []entry
}

// snapshot copies what marshalMedia needs from the window.
func (w *window) snapshot() media {
	return media{target: w.target, discSeq: w.discSeq, entries: slices.Clone(w.entries)}
}

// marshalMedia renders a live media playlist (section 4.3.3): no
// EXT-X-ENDLIST, segment URIs relative to /live/<r>/.
func marshalMedia(m media) []byte {
	var b strings.Builder
	b.WriteString("#EXTM3U\n")
	b.WriteString("#EXT-X-VERSION:" + strconv.Itoa(playlistVersion) + "\n")
	b.WriteString("#EXT-X-TARGETDURATION:" + strconv.Itoa(m.target) + "\n") // section 4.3.3.1
	if len(m.entries) > 0 {
		b.WriteString("#EXT-X-MEDIA-SEQUENCE:" + strconv.FormatUint(m.entries[0].num, 10) + "\n") // section 4.3.3.2
	}
	b.WriteString("#EXT-X-DISCONTINUITY-SEQUENCE:" + strconv.FormatUint(m.discSeq, 10) + "\n") // section 4.3.3.3
	b.WriteString("#EXT-X-INDEPENDENT-SEGMENTS\n")                                             // section 4.3.5.1
	for _, e := range m.entries {
		if e.disc {
			b.WriteString("#EXT-X-DISCONTINUITY\n") // section 4.3.2.3
		}
		b.WriteString("#EXT-X-PROGRAM-DATE-TIME:" + e.start.UTC().Format(pdtLayout) + "\n") // section 4.3.2.6
		b.WriteString("#EXTINF:" + seconds(e.dur) + ",\n")                                  // section 4.3.2.1
		b.WriteString(strconv.FormatUint(e.seq, 10) + ".ts\n")
	}
	return []byte(b.String())
}

// seconds formats a duration as decimal seconds with millisecond precision.
func seconds(d time.Duration) string {
	ms := max(d.Round(time.Millisecond).Milliseconds(), 0)
	frac := strconv.FormatInt(ms%1000, 10)
	return strconv.FormatInt(ms/1000, 10) + "." + strings.Repeat("0", 3-len(frac)) + frac
}

package live

import (
	"log/slog"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/bluenviron/gohlslib/v2/pkg/playlist"
)

// Fuzz targets for what the HLS followers read from encoders and remote
// servers (--hls-dir, --hls-url): playlists (RFC 8216) and the URIs inside
// them. Seeds: the playlists below and testdata/fuzz/<FuzzName>/.

// playlistSeeds are playlists the follower meets: growing, restarted,
// with discontinuities and date-times, multivariant, unsupported, broken.
var playlistSeeds = []string{
	mediaPlaylist(2, false, segs(0, 3)...),
	mediaPlaylist(2, false, segs(2, 6)...),
	mediaPlaylist(4, true, segs(7, 9)...),
	mediaPlaylist(2, false, seg{seq: 5, disc: true, pdt: "2024-05-01T10:00:00.000Z"}, seg{seq: 6}, seg{seq: 7, dur: "0.5"}),
	"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:3\n#EXTINF:2,\na.ts\n#EXT-X-GAP\n#EXTINF:2,\nb.ts\n#EXT-X-ENDLIST\n",
	"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n",
	"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-STREAM-INF:BANDWIDTH=2000000,CODECS=\"avc1.64001f,mp4a.40.2\"\nhigh/index.m3u8\n",
	"#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:2,\nseg.mp4\n",
	"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:2147483647\n#EXTINF:2,\na.ts\n#EXTINF:2,\nb.ts\n",
	"not a playlist\n#EXTINF:x\nseg.ts\n",
}

// FuzzFollowPlaylists feeds three successive reloads of a media playlist
// to a rendition's planner, emitting what it plans as the follower does.
// Whatever the playlists say, emitted sequence numbers only grow, every
// planned segment is one the playlist lists, and a reload that lists
// nothing new plans nothing.
func FuzzFollowPlaylists(f *testing.F) {
	for i, a := range playlistSeeds {
		b := playlistSeeds[(i+1)%len(playlistSeeds)]
		f.Add([]byte(a), []byte(b), []byte(a))
	}
	log := slog.New(slog.DiscardHandler)
	f.Fuzz(func(t *testing.T, p1, p2, p3 []byte) {
		r := &rendition{}
		now := time.Unix(1_700_000_000, 0)
		var last uint64
		emitted := false
		for _, data := range [][]byte{p1, p2, p3} {
			m := parseMedia(data)
			if m == nil {
				continue
			}
			for pass := range 2 {
				batch := r.plan(m, now, 3, log)
				if pass == 1 && len(batch) > 0 {
					t.Fatalf("a reload listing nothing new planned %d segments", len(batch))
				}
				first := uint64(m.MediaSequence)
				for _, p := range batch {
					if p.seq < first || p.seq-first >= uint64(len(m.Segments)) || p.seg != m.Segments[p.seq-first] {
						t.Fatalf("planned sequence %d, not listed (first %d, %d segments)", p.seq, first, len(m.Segments))
					}
					out := p.seq + r.offset
					if emitted && out <= last {
						t.Fatalf("emitted sequence %d after %d", out, last)
					}
					last, emitted = out, true
					r.next = p.seq + 1 // as emit does
				}
			}
			now = now.Add(time.Second)
		}
	})
}

// parseMedia returns a supported media playlist, or nil.
func parseMedia(data []byte) *playlist.Media {
	pl, err := parsePlaylist(data)
	if err != nil {
		return nil
	}
	m, ok := pl.(*playlist.Media)
	if !ok || checkSupported(m) != nil {
		return nil
	}
	return m
}

// FuzzResolveURI checks the one guard between a playlist's URIs and the
// file system or network: a folder follower resolves only to paths inside
// its folder, an HTTP follower only to http(s) URLs with a host.
func FuzzResolveURI(f *testing.F) {
	for _, s := range []struct{ base, uri string }{
		{"index.m3u8", "seg0.ts"},
		{"high/index.m3u8", "../low/seg1.ts"},
		{"index.m3u8", "../../etc/passwd"},
		{"a/b/index.m3u8", "/abs.ts"},
		{"index.m3u8", "http://example.com/x.ts"},
		{"index.m3u8", "seg%2F..%2F..%2Fx.ts"},
		{"index.m3u8", "C:\\x.ts"},
		{"http://example.com/live/index.m3u8", "//evil.example/x.ts"},
		{"http://example.com/live/index.m3u8", "file:///etc/passwd"},
		{"https://example.com/a/index.m3u8", "seg.ts?x=1#frag"},
		{"http://example.com/live/index.m3u8", "http:"}, // no host: found by fuzzing
		{"http://example.com/live/index.m3u8", "https:///x.ts"},
	} {
		f.Add(s.base, s.uri)
	}
	f.Fuzz(func(t *testing.T, base, uri string) {
		if filepath.IsLocal(filepath.FromSlash(base)) {
			if ref, err := (dirFetcher{}).resolve(base, uri); err == nil && !filepath.IsLocal(filepath.FromSlash(ref)) {
				t.Fatalf("dir resolve(%q, %q) = %q, outside the folder", base, uri, ref)
			}
		}
		ref, err := (httpFetcher{}).resolve(base, uri)
		if err != nil {
			return
		}
		if u, perr := url.Parse(ref); perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			t.Fatalf("http resolve(%q, %q) = %q, not an http(s) URL with a host", base, uri, ref)
		}
	})
}

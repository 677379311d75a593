package live

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"time"
)

// DirConfig configures a DirSource. The zero value of every field but Dir
// means the default.
type DirConfig struct {
	// Dir is the folder the encoder writes to (required).
	Dir string
	// Playlist is the playlist to follow, relative to Dir: a media
	// playlist, or a multivariant (master) playlist whose variants become
	// renditions 0, 1, … in order. Default "index.m3u8".
	Playlist string
	// Backlog limits how many of the segments already listed at start are
	// emitted: the newest Backlog. 0 emits all of them.
	Backlog int
	// MaxSegmentSize skips larger segments with a warning. Default and
	// maximum MaxSegmentSize.
	MaxSegmentSize int64
	// Logger receives warnings; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// After waits between polls; nil means time.After. Tests inject both to
	// drive polls explicitly.
	After func(time.Duration) <-chan time.Time
}

// DirSource follows a live HLS playlist that an encoder (ffmpeg -f hls, OBS)
// writes into a folder, segment files next to it. A segment is read only
// once the playlist lists it, and only if its size is stable while read.
type DirSource struct {
	dir      string
	playlist string
	opts     options
}

// NewDirSource validates cfg and returns a source; nothing is read before Run.
func NewDirSource(cfg DirConfig) (*DirSource, error) {
	if cfg.Dir == "" {
		return nil, errors.New("live: dir source: no folder given")
	}
	if cfg.Playlist == "" {
		cfg.Playlist = "index.m3u8"
	}
	if !filepath.IsLocal(cfg.Playlist) {
		return nil, fmt.Errorf("live: dir source: playlist %q is not inside the folder", cfg.Playlist)
	}
	opts, err := newOptions(cfg.Logger, cfg.Now, cfg.After, cfg.Backlog, cfg.MaxSegmentSize)
	if err != nil {
		return nil, fmt.Errorf("live: dir source: %w", err)
	}
	return &DirSource{dir: cfg.Dir, playlist: filepath.ToSlash(cfg.Playlist), opts: opts}, nil
}

// Run polls the playlist every half target duration and sends each new
// segment on out exactly once, in order per rendition. It returns nil after
// EXT-X-ENDLIST once everything is sent, ctx.Err() when ctx ends,
// ErrNoPlaylist when the playlist is missing at start and ErrStalled when the
// stream stops growing. Run does not close out.
func (s *DirSource) Run(ctx context.Context, out chan<- Segment) error {
	root, err := os.OpenRoot(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: folder %s", ErrNoPlaylist, s.dir)
	}
	if err != nil {
		return fmt.Errorf("live: dir source: %w", err)
	}
	defer root.Close()
	f := &follower{opts: s.opts, fetch: dirFetcher{root: root}, root: s.playlist}
	return f.run(ctx, out)
}

// dirFetcher reads slash-separated references relative to a folder; os.Root
// keeps every read inside it.
type dirFetcher struct {
	root *os.Root
}

var _ fetcher = dirFetcher{}

func (d dirFetcher) read(_ context.Context, ref string, limit int64) ([]byte, string, error) {
	f, err := d.root.Open(filepath.FromSlash(ref))
	if err != nil {
		return nil, ref, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, ref, err
	}
	if int64(len(data)) > limit {
		return nil, ref, fmt.Errorf("%w: %s is over %d bytes", errTooLarge, ref, limit)
	}
	st, err := f.Stat()
	if err != nil {
		return nil, ref, err
	}
	if st.Size() != int64(len(data)) {
		return nil, ref, fmt.Errorf("%w: %s grew from %d to %d bytes while read", errPartial, ref, len(data), st.Size())
	}
	return data, ref, nil
}

// resolve accepts relative URIs that stay inside the folder.
func (d dirFetcher) resolve(base, uri string) (string, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", fmt.Errorf("live: segment URI %q: %w", uri, err)
	}
	if u.Scheme != "" || u.Host != "" || path.IsAbs(u.Path) {
		return "", fmt.Errorf("live: segment URI %q is not relative to the folder", uri)
	}
	ref := path.Join(path.Dir(base), u.Path)
	if !filepath.IsLocal(filepath.FromSlash(ref)) {
		return "", fmt.Errorf("live: segment URI %q leaves the folder", uri)
	}
	return ref, nil
}

func (d dirFetcher) size(ref string) (int64, bool) {
	st, err := d.root.Stat(filepath.FromSlash(ref))
	if err != nil {
		return 0, false
	}
	return st.Size(), true
}

package store

import (
	"container/list"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sync"

	"github.com/shoal-p2p/shoal/internal/piece"
)

// defaultMaxOpen bounds the file handles a Disk keeps open between calls.
const defaultMaxOpen = 64

// Disk is Storage backed by the manifest's files below a root directory:
// root/Name for a single file, root/Name/<path> for a folder. All access goes
// through an os.Root, so neither ".." nor symbolic links can reach outside
// root.
//
// A writable Disk creates a file on its first write (parent directories
// 0o755, file 0o644) and sets it to its final size at once, leaving holes
// where nothing has been written. Zero-length files are created by Sync.
// Reading a file that does not exist returns an error wrapping
// fs.ErrNotExist; reading past the end of a short file returns an error
// wrapping io.ErrUnexpectedEOF.
type Disk struct {
	root     *os.Root
	dir      string // root directory as given, for messages
	m        *piece.Manifest
	rel      []string // path of each file relative to root, OS separators
	length   int64
	readOnly bool
	maxOpen  int

	mu     sync.Mutex      // guards open, lru and closed
	open   map[int]*handle // cached handles by file index
	lru    list.List       // of *handle, most recently used at the front
	closed bool
}

var (
	_ Storage = (*Disk)(nil)
	_ Syncer  = (*Disk)(nil)
)

// OpenDisk returns storage for m's content below root. A writable Disk
// creates root if needed; a read-only one refuses writes with ErrReadOnly.
// A manifest that fails piece.Manifest.Validate, or whose names would not
// stay below root, is refused with an error wrapping piece.ErrBadManifest.
func OpenDisk(root string, m *piece.Manifest, readOnly bool) (*Disk, error) {
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("store: open disk: %w", err)
	}
	rel, err := layout(m)
	if err != nil {
		return nil, err
	}
	if !readOnly {
		if err := os.MkdirAll(root, 0o755); err != nil {
			return nil, fmt.Errorf("store: open disk: %w", err)
		}
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("store: open disk: %w", err)
	}
	return &Disk{
		root:     r,
		dir:      root,
		m:        m,
		rel:      rel,
		length:   m.Length(),
		readOnly: readOnly,
		maxOpen:  defaultMaxOpen,
		open:     make(map[int]*handle),
	}, nil
}

// layout returns the path of each of m's files relative to the storage root.
// It repeats the path checks of Validate that keep files below the root, so
// that this guarantee does not rest on another package alone.
func layout(m *piece.Manifest) ([]string, error) {
	if !isElem(m.Name) {
		return nil, fmt.Errorf("store: %w: name %q is not a single path element", piece.ErrBadManifest, m.Name)
	}
	if len(m.Files) == 0 {
		return nil, fmt.Errorf("store: %w: no files", piece.ErrBadManifest)
	}
	for _, f := range m.Files {
		if f.Size < 0 {
			return nil, fmt.Errorf("store: %w: %q has negative size", piece.ErrBadManifest, f.Path)
		}
	}
	if !m.Dir {
		if len(m.Files) != 1 || m.Files[0].Path != m.Name {
			return nil, fmt.Errorf("store: %w: a single file must have one file named %q", piece.ErrBadManifest, m.Name)
		}
		return []string{m.Name}, nil
	}
	rel := make([]string, len(m.Files))
	for i, f := range m.Files {
		p := filepath.FromSlash(f.Path)
		rel[i] = filepath.Join(m.Name, p)
		if path.Clean(f.Path) != f.Path || !filepath.IsLocal(p) ||
			!filepath.IsLocal(rel[i]) || rel[i] == m.Name {
			return nil, fmt.Errorf("store: %w: path %q is not local", piece.ErrBadManifest, f.Path)
		}
	}
	return rel, nil
}

// isElem reports whether name is a single, local path element: usable as a
// file or directory name directly inside another directory.
func isElem(name string) bool {
	return name != "." && filepath.IsLocal(name) && filepath.Base(name) == name
}

// ReadAt reads len(p) bytes of content at off.
func (d *Disk) ReadAt(p []byte, off int64) (int, error) {
	if err := checkRange("read", off, len(p), d.length); err != nil {
		return 0, err
	}
	spans, err := d.m.Spans(off, int64(len(p)))
	if err != nil {
		return 0, fmt.Errorf("store: read: %w", err)
	}
	n := 0
	for _, sp := range spans {
		k, err := d.readSpan(p[n:n+int(sp.Length)], sp)
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (d *Disk) readSpan(buf []byte, sp piece.Span) (int, error) {
	h, err := d.acquire(sp.File, false)
	if err != nil {
		return 0, err
	}
	defer d.release(h)
	n, err := h.f.ReadAt(buf, sp.Offset)
	switch {
	case err == nil || (errors.Is(err, io.EOF) && n == len(buf)):
		return n, nil
	case errors.Is(err, io.EOF):
		return n, fmt.Errorf("store: read %s: %w", d.path(sp.File), io.ErrUnexpectedEOF)
	default:
		return n, fmt.Errorf("store: %w", err)
	}
}

// WriteAt writes p into the content at off.
func (d *Disk) WriteAt(p []byte, off int64) (int, error) {
	if d.readOnly {
		return 0, ErrReadOnly
	}
	if err := checkRange("write", off, len(p), d.length); err != nil {
		return 0, err
	}
	spans, err := d.m.Spans(off, int64(len(p)))
	if err != nil {
		return 0, fmt.Errorf("store: write: %w", err)
	}
	n := 0
	for _, sp := range spans {
		k, err := d.writeSpan(p[n:n+int(sp.Length)], sp)
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (d *Disk) writeSpan(buf []byte, sp piece.Span) (int, error) {
	h, err := d.acquire(sp.File, true)
	if err != nil {
		return 0, err
	}
	defer d.release(h)
	n, err := h.f.WriteAt(buf, sp.Offset)
	if err != nil {
		return n, writeError(err)
	}
	return n, nil
}

// writeError wraps an error from creating, sizing or writing a file,
// mapping a full device or exhausted quota onto ErrNoSpace.
func writeError(err error) error {
	if isNoSpace(err) {
		return fmt.Errorf("%w: %v", ErrNoSpace, err)
	}
	return fmt.Errorf("store: %w", err)
}

// Sync creates the zero-length files, then flushes every existing file and
// the directories holding them to stable storage. Files not yet written are
// left absent. On a read-only Disk it does nothing.
func (d *Disk) Sync() error {
	if d.readOnly {
		return nil
	}
	for i, f := range d.m.Files {
		if err := d.syncFile(i, f.Size == 0); err != nil {
			return err
		}
	}
	return d.syncDirs()
}

func (d *Disk) syncFile(i int, create bool) error {
	h, err := d.acquire(i, create)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer d.release(h)
	if err := h.f.Sync(); err != nil {
		return writeError(err)
	}
	return nil
}

// syncDirs flushes every existing directory on the way from each file up to
// the root, deepest first, so that new directory entries are durable.
func (d *Disk) syncDirs() error {
	seen := make(map[string]bool)
	var dirs []string
	for _, rel := range d.rel {
		for dir := filepath.Dir(rel); !seen[dir]; dir = filepath.Dir(dir) {
			seen[dir] = true
			dirs = append(dirs, dir)
			if dir == "." {
				break
			}
		}
	}
	for _, dir := range dirs {
		f, err := d.root.Open(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("store: sync: %w", err)
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return fmt.Errorf("store: sync %s: %w", filepath.Join(d.dir, dir), err)
		}
	}
	return nil
}

// checkSizes returns an error wrapping ErrIncomplete unless every file
// exists with its size in the manifest.
func (d *Disk) checkSizes() error {
	for i, f := range d.m.Files {
		fi, err := d.root.Stat(d.rel[i])
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w: %s is missing", ErrIncomplete, d.path(i))
		}
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if !fi.Mode().IsRegular() || fi.Size() != f.Size {
			return fmt.Errorf("%w: %s has %d bytes, want %d", ErrIncomplete, d.path(i), fi.Size(), f.Size)
		}
	}
	return nil
}

// path returns the full path of file i, for messages.
func (d *Disk) path(i int) string { return filepath.Join(d.dir, d.rel[i]) }

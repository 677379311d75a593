package store

import (
	"container/list"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// handle is an open file of a Disk, shared by concurrent reads and writes.
// Every field is guarded by Disk.mu; f itself is safe for concurrent
// ReadAt/WriteAt.
type handle struct {
	file  int
	f     *os.File
	refs  int  // calls currently using f; an idle handle has none
	sized bool // the file has been set to its final size
	elem  *list.Element
}

// acquire returns the open handle of file i, opening it if needed, and holds
// it until release. With write set on a writable Disk, a missing file is
// created and every file is set to its final size before first use.
func (d *Disk) acquire(i int, write bool) (*handle, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, ErrClosed
	}
	h := d.open[i]
	if h == nil {
		f, err := d.openFile(i, write)
		if err != nil {
			return nil, err
		}
		h = &handle{file: i, f: f}
		h.elem = d.lru.PushFront(h)
		d.open[i] = h
	} else {
		d.lru.MoveToFront(h.elem)
	}
	if write && !h.sized {
		if err := d.setSize(h); err != nil {
			return nil, err
		}
	}
	h.refs++
	d.evict()
	return h, nil
}

// release gives back a handle taken by acquire. A handle whose Disk was
// closed while it was in use is closed by its last release.
func (d *Disk) release(h *handle) {
	d.mu.Lock()
	defer d.mu.Unlock()
	h.refs--
	if d.closed && h.refs == 0 {
		h.f.Close()
	}
}

// evict closes least recently used idle handles while more than maxOpen are
// open. Handles in use are skipped, so the bound may be passed briefly by
// the number of calls in flight. d.mu must be held.
func (d *Disk) evict() {
	for e := d.lru.Back(); e != nil && len(d.open) > d.maxOpen; {
		prev := e.Prev()
		if h := e.Value.(*handle); h.refs == 0 {
			d.lru.Remove(e)
			delete(d.open, h.file)
			h.f.Close()
		}
		e = prev
	}
}

// openFile opens file i, creating it and its parent directories if write is
// set and the Disk is writable.
func (d *Disk) openFile(i int, write bool) (*os.File, error) {
	flag := os.O_RDONLY
	if !d.readOnly {
		flag = os.O_RDWR
	}
	f, err := d.root.OpenFile(d.rel[i], flag, 0)
	if err == nil {
		return f, nil
	}
	if !write || d.readOnly || !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("store: %w", err)
	}
	if dir := filepath.Dir(d.rel[i]); dir != "." {
		if err := d.root.MkdirAll(dir, 0o755); err != nil {
			return nil, writeError(err)
		}
	}
	f, err = d.root.OpenFile(d.rel[i], os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, writeError(err)
	}
	return f, nil
}

// setSize truncates or extends h's file to its size in the manifest, so
// that a file being written is never longer or shorter than it will be.
// d.mu must be held.
func (d *Disk) setSize(h *handle) error {
	want := d.m.Files[h.file].Size
	fi, err := h.f.Stat()
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if fi.Size() != want {
		if err := h.f.Truncate(want); err != nil {
			return writeError(err)
		}
	}
	h.sized = true
	return nil
}

// Close closes every file handle. Calls in flight finish; later ones fail
// with ErrClosed. Closing twice is a no-op.
func (d *Disk) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	var first error
	for i, h := range d.open {
		delete(d.open, i)
		if h.refs > 0 {
			continue // closed by its last release
		}
		if err := h.f.Close(); err != nil && first == nil {
			first = err
		}
	}
	d.lru.Init()
	if err := d.root.Close(); err != nil && first == nil {
		first = err
	}
	if first != nil {
		return fmt.Errorf("store: close: %w", first)
	}
	return nil
}

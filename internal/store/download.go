package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/shoal-p2p/shoal/internal/piece"
)

// PartialDir is the directory inside a download's output directory that
// stages incomplete content, one subdirectory per content key. It lives on
// the same file system as the destination, so finishing is a rename.
const PartialDir = ".shoal-partial"

// Download is content being fetched into an output directory. Bytes are
// written to outDir/.shoal-partial/<key>/<Name> and moved to outDir/<Name>
// only by Finalize, so nothing incomplete ever appears at the destination.
// Reopening a Download with the same key after a crash reuses what was
// staged; Verify tells which pieces survived.
type Download struct {
	outDir  string
	staging string // outDir/PartialDir/key
	m       *piece.Manifest
	disk    *Disk
}

// OpenDownload opens or resumes the download of m into outDir. key is a
// stable name for the content, such as its swarm ID string; it must be a
// single path element.
func OpenDownload(outDir string, m *piece.Manifest, key string) (*Download, error) {
	if !isElem(key) {
		return nil, fmt.Errorf("store: open download: key %q is not a single path element", key)
	}
	if m.Name == PartialDir {
		return nil, fmt.Errorf("store: open download: %w: name %q is reserved", piece.ErrBadManifest, m.Name)
	}
	staging := filepath.Join(outDir, PartialDir, key)
	disk, err := OpenDisk(staging, m, false)
	if err != nil {
		return nil, err
	}
	return &Download{outDir: outDir, staging: staging, m: m, disk: disk}, nil
}

// Storage returns the writable storage holding the staged content.
func (d *Download) Storage() *Disk { return d.disk }

// Final returns where Finalize puts the content: outDir/Name.
func (d *Download) Final() string { return filepath.Join(d.outDir, d.m.Name) }

// Staging returns the directory holding the incomplete content.
func (d *Download) Staging() string { return d.staging }

// Close closes the staged files without finishing; a later OpenDownload with
// the same key resumes.
func (d *Download) Close() error { return d.disk.Close() }

// Finalize finishes a complete download: it creates the zero-length files,
// flushes every file and directory to stable storage, renames the staged
// content to Final() and removes the staging directory (and PartialDir if
// it is left empty). It returns the final path and closes the Download.
//
// Finalize checks only that every file exists with its full size, else it
// returns ErrIncomplete; callers verify every piece first. If Final()
// already exists it returns ErrExists, moves nothing and leaves the Download
// open. The check and the rename are not one atomic step: content created
// at Final() between them by another process may be replaced if it is a
// file or an empty directory. After any other error the Download may be
// closed; OpenDownload resumes it.
func (d *Download) Finalize() (string, error) {
	if err := d.disk.Sync(); err != nil {
		return "", err
	}
	if err := d.disk.checkSizes(); err != nil {
		return "", err
	}
	final := d.Final()
	if err := notExists(final); err != nil {
		return "", err
	}
	if err := d.disk.Close(); err != nil {
		return "", err
	}
	if err := os.Rename(filepath.Join(d.staging, d.m.Name), final); err != nil {
		return "", fmt.Errorf("store: finalize: %w", err)
	}
	if err := syncDir(d.outDir); err != nil {
		return "", err
	}
	if err := os.Remove(d.staging); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("store: finalize: %w", err)
	}
	os.Remove(filepath.Dir(d.staging)) // fails, as intended, while other downloads use it
	return final, nil
}

// notExists returns an error wrapping ErrExists if anything is at path.
func notExists(path string) error {
	_, err := os.Lstat(path)
	switch {
	case err == nil:
		return fmt.Errorf("%w: %s", ErrExists, path)
	case errors.Is(err, fs.ErrNotExist):
		return nil
	default:
		return fmt.Errorf("store: finalize: %w", err)
	}
}

// syncDir flushes directory dir, making renames into it durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("store: sync %s: %w", dir, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("store: sync %s: %w", dir, err)
	}
	return nil
}

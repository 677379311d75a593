package node

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/shoal-p2p/shoal/internal/access"
	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/store"
)

// partialDir is the folder, inside the output folder, holding downloads in
// progress: store.OpenDownload's staging files and our saved manifests.
const partialDir = store.PartialDir

// content is the node's view of its data: the manifest once known, the
// storage pieces are written to and served from, and what was verified at
// start. Its methods are safe for concurrent use.
type content struct {
	cfg  *Config
	log  *slog.Logger
	have piece.Bitfield // verified at start; the engine tracks it afterwards

	mu   sync.Mutex // guards m, stor, dl, done, the key fields and the space fields
	m    *piece.Manifest
	stor store.Storage
	dl   *store.Download
	done bool

	// Sealed content (access_files.go) is stored as plaintext and seen
	// through its key: key is nil until known; awaitKey is set on a
	// private file's member until the owner has answered; locked means
	// storage waits for the key to be opened.
	key      *access.Key
	awaitKey bool
	locked   bool

	// A full disk (space.go) leaves setup unfinished instead of failing:
	// spaceErr is why, until the loop takes it; unsaved and unopened are
	// what is left to do once space returns.
	spaceErr error
	unsaved  bool // the manifest is not saved for resumption yet
	unopened bool // the staging area could not be created yet
}

func openContent(cfg *Config, log *slog.Logger) (*content, error) {
	c := &content{cfg: cfg, log: log, m: cfg.Manifest}
	if ac := cfg.Access; ac != nil {
		c.key, c.awaitKey = ac.ContentKey, ac.Token != nil
	}
	if cfg.SharePath != "" {
		d, err := store.OpenShare(cfg.SharePath, cfg.Manifest)
		if err != nil {
			return nil, fmt.Errorf("node: share %s: %w", cfg.SharePath, err)
		}
		c.stor, c.have, c.done = c.sealed(cfg.Manifest, d), piece.FullBitfield(cfg.Manifest.NumPieces()), true
		if err := checkSealed(cfg.Manifest, c.stor); err != nil {
			d.Close()
			return nil, fmt.Errorf("node: share %s: %w", cfg.SharePath, err)
		}
		return c, nil
	}
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("node: output folder: %w", err)
	}
	if c.m == nil {
		m, err := c.loadCachedManifest()
		if err != nil {
			return nil, err
		}
		c.m = m
	}
	if c.m != nil {
		if err := c.prepare(c.m); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// manifestPath is where a download's manifest is kept until it completes,
// so a restarted download resumes without asking peers again.
func (c *content) manifestPath() string {
	return filepath.Join(c.cfg.OutDir, partialDir, c.cfg.Swarm.String()+".manifest")
}

func (c *content) loadCachedManifest() (*piece.Manifest, error) {
	raw, err := os.ReadFile(c.manifestPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("node: read saved manifest: %w", err)
	}
	if piece.ID(piece.HashBytes(raw)) != c.cfg.Swarm {
		c.log.Warn("saved manifest does not match the link; ignoring it", "path", c.manifestPath())
		return nil, nil
	}
	m, err := piece.ParseManifest(raw)
	if err != nil {
		c.log.Warn("saved manifest is unreadable; ignoring it", "err", err)
		return nil, nil
	}
	return m, nil
}

// prepare opens storage for a known manifest: content already complete at
// the final path is verified and reused; otherwise the staging area is
// opened and what a previous run left there is verified.
func (c *content) prepare(m *piece.Manifest) error {
	if m.Sealed() && c.key == nil {
		if !c.awaitKey {
			return errNoKey(c.cfg.Access)
		}
		c.locked = true // unlock opens storage once the owner has answered
		return nil
	}
	final := filepath.Join(c.cfg.OutDir, m.Name)
	if _, err := os.Lstat(final); err == nil {
		return c.reuseFinal(m, final)
	}
	dl, err := store.OpenDownload(c.cfg.OutDir, m, c.cfg.Swarm.String())
	if store.IsNoSpace(err) {
		c.spaceErr, c.unopened = err, true // retried when space returns
		return nil
	}
	if err != nil {
		return fmt.Errorf("node: open download: %w", err)
	}
	var stor store.Storage = dl.Storage()
	if c.cfg.wrapStorage != nil {
		stor = c.cfg.wrapStorage(stor)
	}
	stor = c.sealed(m, stor)
	have, err := store.Verify(context.Background(), m, stor, nil)
	if err != nil {
		dl.Close()
		return fmt.Errorf("node: verify partial download: %w", err)
	}
	if err := c.cfg.SpaceCheck(c.cfg.OutDir, m.Length()-haveBytes(m, have)); store.IsNoSpace(err) {
		c.spaceErr = err // the download starts paused
	} else if err != nil {
		c.log.Warn("cannot check free space", "err", err)
	}
	if have.Count() > 0 {
		c.log.Info("resuming download", "verified_pieces", have.Count(), "of", m.NumPieces())
	}
	c.stor, c.dl, c.have, c.unopened = stor, dl, have, false
	return nil
}

func (c *content) reuseFinal(m *piece.Manifest, final string) error {
	d, err := store.OpenDisk(c.cfg.OutDir, m, true)
	if err != nil {
		return fmt.Errorf("node: open %s: %w", final, err)
	}
	stor := c.sealed(m, d)
	have, err := store.Verify(context.Background(), m, stor, nil)
	if err != nil || !have.Full() {
		d.Close()
		return fmt.Errorf("%w: %s (move it away or choose another --out)", ErrExists, final)
	}
	c.log.Info("content already complete on disk", "path", final)
	c.stor, c.have, c.done = stor, have, true
	return nil
}

// onManifest is called when the engine has fetched and checked the
// manifest: it is saved for resumption and storage is opened.
// A disk too full to save it or to hold the content leaves the setup to
// resume (space.go) instead of failing.
func (c *content) onManifest(m *piece.Manifest) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = m
	err := c.saveManifest()
	if store.IsNoSpace(err) {
		c.spaceErr, c.unsaved = err, true
	} else if err != nil {
		return err
	}
	return c.prepare(m)
}

// saveManifest writes the manifest beside the staging area. c.mu is held.
func (c *content) saveManifest() error {
	if err := os.MkdirAll(filepath.Dir(c.manifestPath()), 0o755); err != nil {
		return fmt.Errorf("node: save manifest: %w", err)
	}
	if err := os.WriteFile(c.manifestPath(), c.m.Encode(), 0o644); err != nil {
		os.Remove(c.manifestPath()) // a short file would only be ignored, but is clutter
		return fmt.Errorf("node: save manifest: %w", err)
	}
	c.unsaved = false
	return nil
}

func (c *content) manifest() *piece.Manifest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m
}

func (c *content) complete() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.done
}

func (c *content) storage() store.Storage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stor
}

// readAt reads verified content for serving to peers.
func (c *content) readAt(p []byte, off int64) error {
	s := c.storage()
	if s == nil {
		return errors.New("node: no storage yet")
	}
	_, err := s.ReadAt(p, off)
	return err
}

// writePiece stores verified piece index's blocks at content offset off.
func (c *content) writePiece(index int, off int64, blocks [][]byte) error {
	s := c.storage()
	if s == nil { // the staging area could not be created: the disk is full
		return fmt.Errorf("node: write piece: %w", store.ErrNoSpace)
	}
	if pw, ok := s.(pieceWriter); ok {
		if err := pw.WritePiece(index, blocks); err != nil {
			return fmt.Errorf("node: write piece: %w", err)
		}
		return nil
	}
	for _, b := range blocks {
		if _, err := s.WriteAt(b, off); err != nil {
			return fmt.Errorf("node: write piece: %w", err)
		}
		off += int64(len(b))
	}
	return nil
}

// finalize moves a completed download into place and reopens it read-only
// for seeding. It returns the final path.
func (c *content) finalize() (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dl == nil {
		return filepath.Join(c.cfg.OutDir, c.m.Name), nil
	}
	final, err := c.dl.Finalize()
	if err != nil {
		return "", fmt.Errorf("node: finish download: %w", err)
	}
	c.dl.Close()
	c.dl = nil
	os.Remove(c.manifestPath())
	os.Remove(filepath.Join(c.cfg.OutDir, partialDir))
	d, err := store.OpenDisk(c.cfg.OutDir, c.m, true)
	if err != nil {
		return "", fmt.Errorf("node: reopen %s: %w", final, err)
	}
	c.stor, c.done = c.sealed(c.m, d), true
	return final, nil
}

func (c *content) initialStats() Stats {
	var st Stats
	if c.m != nil {
		st.Total = c.m.Length()
		st.PiecesTotal = c.m.NumPieces()
		st.PiecesHave = c.have.Count()
		st.Have = haveBytes(c.m, c.have)
		st.Complete = c.done
	}
	return st
}

func (c *content) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stor != nil {
		c.stor.Close()
		c.stor = nil
	}
}

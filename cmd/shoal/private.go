package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shoal-p2p/shoal/internal/access"
	"github.com/shoal-p2p/shoal/internal/node"
	"github.com/shoal-p2p/shoal/internal/piece"
)

// privateFlags are the owner's flags for private content (docs/private.md):
// broadcast and share take them.
type privateFlags struct {
	on       bool
	rotation time.Duration
	revoked  string
}

// register adds --private and, on a live channel, the key flags to fs.
func (p *privateFlags) register(fs *flag.FlagSet, live bool) {
	fs.BoolVar(&p.on, "private", false, "only members with a token (shoal token) may join; content is encrypted")
	if live {
		fs.DurationVar(&p.rotation, "key-rotation", node.DefaultKeyRotation, "with --private: how long one content key lasts (whole seconds)")
	}
	fs.StringVar(&p.revoked, "revoked", "", "with --private: file of revoked member names, one per line, re-read when it changes")
}

// check validates the flags after parsing.
func (p *privateFlags) check() error {
	switch {
	case !p.on && p.revoked != "":
		return fmt.Errorf("%w: --revoked needs --private", errUsage)
	case p.on && (p.rotation < 0 || p.rotation%time.Second != 0 || (p.rotation > 0 && p.rotation < access.MinRotation)):
		return fmt.Errorf("%w: --key-rotation %v: want whole seconds, at least 1s", errUsage, p.rotation)
	}
	if p.revoked != "" {
		if _, err := os.Stat(p.revoked); err != nil {
			return fmt.Errorf("%w: --revoked: %v", errUsage, unwrapPathErr(err))
		}
	}
	return nil
}

// access returns the node's access config for the owner: nil unless
// --private.
func (p *privateFlags) access() *node.AccessConfig {
	if !p.on {
		return nil
	}
	return &node.AccessConfig{Rotation: p.rotation, RevokedFile: p.revoked}
}

// tokenFlags are a member's flags: watch and get take them.
type tokenFlags struct {
	text, file string
}

func (t *tokenFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&t.file, "token-file", "", "file holding the member token for private content (shoal token prints one)")
	fs.StringVar(&t.text, "token", "", "the member token itself (other users of this machine can see it; prefer --token-file)")
}

// load returns the member token for link, checked against the link's key
// and ID now: nil for public content without a token. A private link
// without a token, a token for other content and an expired token are
// usage errors that say what to do.
func (t *tokenFlags) load(link piece.Link) (*access.Token, error) {
	text := t.text
	switch {
	case t.text != "" && t.file != "":
		return nil, fmt.Errorf("%w: give --token or --token-file, not both", errUsage)
	case t.file != "":
		b, err := os.ReadFile(t.file)
		if err != nil {
			return nil, fmt.Errorf("%w: --token-file: %v", errUsage, unwrapPathErr(err))
		}
		text = strings.TrimSpace(string(b))
	case t.text == "" && link.Private:
		return nil, fmt.Errorf("%w: the content is private: pass the member token its owner gave you (--token-file FILE)", errUsage)
	case t.text == "":
		return nil, nil
	}
	tok, err := access.ParseToken(text)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	err = tok.Verify(link.Key, link.ID, time.Now())
	switch {
	case errors.Is(err, access.ErrExpired):
		return nil, fmt.Errorf("%w: the token of %q expired at %s: ask the owner for a new one", errUsage, tok.Member, tok.Expires.Local().Format(time.RFC3339))
	case err != nil:
		return nil, fmt.Errorf("%w: the token does not admit to this link's content: %v", errUsage, err)
	}
	return &tok, nil
}

// memberAccess returns a member node's access config: nil for public
// content.
func memberAccess(tok *access.Token, key []byte) *node.AccessConfig {
	if tok == nil {
		return nil
	}
	return &node.AccessConfig{Token: tok, Key: key}
}

// shareAccess returns a file owner's access config and the key to put in
// the link: nil, nil unless --private. The owner key is the one broadcast
// keeps in the data folder, created on first use.
func (p *privateFlags) shareAccess(dataDir string) (*node.AccessConfig, []byte, error) {
	if !p.on {
		return nil, nil, nil
	}
	priv, err := loadBroadcastKey(dataDir)
	if err != nil {
		return nil, nil, err
	}
	pub := priv.Public().(ed25519.PublicKey)
	return &node.AccessConfig{Key: pub, Owner: priv, RevokedFile: p.revoked}, pub, nil
}

// contentKeysDir is the folder, inside --data, holding the content key of
// each private share, named by the plaintext manifest's ID.
const contentKeysDir = "content-keys"

// sealShare encrypts a private share (docs/private.md) under its content
// key and returns the manifest to share; with export set it also writes
// the ciphertext there for a web seed. acc gets the key.
func sealShare(ctx context.Context, e *env, path string, plain *piece.Manifest, dataDir, export string, acc *node.AccessConfig) (*piece.Manifest, error) {
	key, err := loadContentKey(dataDir, plain.ID())
	if err != nil {
		return nil, err
	}
	bar := newBar(e, plain.Length(), "encrypting")
	m, err := node.SealContent(ctx, path, plain, key, export, func(done, _ int64) { bar.Set64(done) })
	bar.Finish()
	if err != nil {
		return nil, err
	}
	acc.ContentKey = &key
	if export != "" {
		fmt.Fprintf(e.stderr, "encrypted copy for web seeds: %s (serve it at the --origin URL)\n", filepath.Join(export, m.Name))
	}
	return m, nil
}

// loadContentKey returns the content key of the plaintext content plain
// kept in dir, drawing and keeping a new one (mode 0600) the first time:
// sharing the same content again gives the same key, so the same link. A
// key belongs to one plaintext manifest only (its piece size and every
// byte), which is what makes the per-piece nonces safe. With no dir, the
// key lives as long as the process.
func loadContentKey(dir string, plain piece.ID) (access.Key, error) {
	if dir == "" {
		return access.NewContentKey(), nil
	}
	path := filepath.Join(dir, contentKeysDir, plain.String()+".key")
	for range 2 {
		raw, err := os.ReadFile(path)
		if err == nil {
			b, err := hex.DecodeString(strings.TrimSpace(string(raw)))
			if err != nil || len(b) != len(access.Key{}) {
				return access.Key{}, fmt.Errorf("content key %s: want %d hex-encoded bytes", path, len(access.Key{}))
			}
			return access.Key(b), nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return access.Key{}, fmt.Errorf("content key: %w", err)
		}
		if err := newContentKeyFile(path); err != nil && !errors.Is(err, os.ErrExist) {
			return access.Key{}, fmt.Errorf("content key: %w", err)
		}
	}
	return access.Key{}, fmt.Errorf("content key %s: cannot be read back", path)
}

// newContentKeyFile writes a new random key to path unless a file is
// there already (os.ErrExist): written aside, then linked into place, so
// no reader ever sees half a key.
func newContentKeyFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	key := access.NewContentKey()
	tmp, err := os.CreateTemp(filepath.Dir(path), ".key-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(hex.EncodeToString(key[:]) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Link(tmp.Name(), path)
}

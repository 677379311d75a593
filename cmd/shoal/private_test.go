package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoal-p2p/shoal/internal/piece"
)

// TestLoadContentKey checks the owner's content keys in --data: one per
// plaintext content, made on first use, kept (0600) and read back; a
// damaged key file is an error naming it.
func TestLoadContentKey(t *testing.T) {
	data := t.TempDir()
	a, b := piece.ID{1}, piece.ID{2}
	first, err := loadContentKey(data, a)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := loadContentKey(data, a)
	other, _ := loadContentKey(data, b)
	if again != first || other == first {
		t.Fatal("content keys: want the same key for the same content, another for other content")
	}
	path := filepath.Join(data, contentKeysDir, a.String()+".key")
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file %s: %v; want mode 0600", path, err)
	}
	if tmp, _ := filepath.Glob(filepath.Join(data, contentKeysDir, ".key-*")); len(tmp) != 0 {
		t.Fatalf("temporary key files left behind: %v", tmp)
	}
	os.WriteFile(path, []byte("not hex\n"), 0o600)
	if _, err := loadContentKey(data, a); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "hex-encoded") {
		t.Fatalf("damaged key file: got %v, want an error naming it", err)
	}
	if x, y := mustKey(t, ""), mustKey(t, ""); x == y {
		t.Fatal("without a data folder: want a fresh key each time")
	}
}

func mustKey(t *testing.T, dir string) [32]byte {
	t.Helper()
	k, err := loadContentKey(dir, piece.ID{3})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

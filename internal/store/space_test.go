package store

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

func TestCheckSpace(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("free space is measured on Linux only")
	}
	dir := t.TempDir()
	tests := []struct {
		name string
		dir  string
		need int64
		want error
	}{
		{"little", dir, 1, nil},
		{"absurd", dir, 1 << 62, ErrNoSpace},
		{"absurd in a directory not made yet", filepath.Join(dir, "x", "y"), 1 << 62, ErrNoSpace},
	}
	for _, tt := range tests {
		err := CheckSpace(tt.dir, tt.need)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
		var se *SpaceError
		if tt.want != nil && (!errors.As(err, &se) || se.Need != tt.need || se.Free <= 0 ||
			!strings.HasPrefix(err.Error(), "store: need 4.0 EiB in "+tt.dir+", ")) {
			t.Errorf("%s: got %#v (%v), want a *SpaceError with the figures", tt.name, se, err)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{1023, "1023 B"},
		{1024, "1.0 KiB"},
		{1536, "1.5 KiB"},
		{256 << 20, "256.0 MiB"},
		{12 << 20, "12.0 MiB"},
		{5 << 40, "5.0 TiB"},
		{1 << 62, "4.0 EiB"},
	}
	for _, tt := range tests {
		if got := formatBytes(tt.n); got != tt.want {
			t.Errorf("formatBytes(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestIsNoSpace(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("other"), false},
		{ErrNoSpace, true},
		{&SpaceError{Dir: "/x", Need: 2, Free: 1}, true},
		{fmt.Errorf("save: %w", &fs.PathError{Op: "write", Path: "/x", Err: syscall.ENOSPC}), true},
	}
	for _, tt := range tests {
		if got := IsNoSpace(tt.err); got != tt.want {
			t.Errorf("IsNoSpace(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

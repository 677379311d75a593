package store

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
)

// SpaceError reports that a directory's file system has too little free
// space for content. It wraps ErrNoSpace.
type SpaceError struct {
	Dir  string // directory checked
	Need int64  // bytes needed
	Free int64  // bytes available to an unprivileged user
}

// Error returns e.g. "store: need 256.0 MiB in /x, 12.0 MiB free".
func (e *SpaceError) Error() string {
	return fmt.Sprintf("store: need %s in %s, %s free", formatBytes(e.Need), e.Dir, formatBytes(e.Free))
}

// Unwrap returns ErrNoSpace.
func (e *SpaceError) Unwrap() error { return ErrNoSpace }

// CheckSpace returns a *SpaceError, which wraps ErrNoSpace, if the file
// system holding dir has fewer than need bytes free. A dir that does not
// exist yet is checked at its nearest existing parent. Where free space
// cannot be measured (platforms other than Linux) it returns nil.
func CheckSpace(dir string, need int64) error {
	at := dir
	free, ok, err := freeSpace(at)
	for errors.Is(err, fs.ErrNotExist) && filepath.Dir(at) != at {
		at = filepath.Dir(at)
		free, ok, err = freeSpace(at)
	}
	if err != nil {
		return fmt.Errorf("store: check space in %s: %w", dir, err)
	}
	if ok && free < need {
		return &SpaceError{Dir: dir, Need: need, Free: free}
	}
	return nil
}

// formatBytes formats n bytes for people: "512 B", "1.5 KiB", "256.0 MiB".
func formatBytes(n int64) string {
	const units = "KMGTPE"
	if n < 1024 && n > -1024 {
		return fmt.Sprintf("%d B", n)
	}
	v := float64(n) / 1024
	i := 0
	for (v >= 1024 || v <= -1024) && i < len(units)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, units[i])
}

// IsNoSpace reports whether err means the device is full or the user's
// quota is exhausted: it wraps ErrNoSpace (as every write error of this
// package does then) or the system's own error for it (as errors from
// os.WriteFile or os.MkdirAll do).
func IsNoSpace(err error) bool {
	return errors.Is(err, ErrNoSpace) || isNoSpace(err)
}

//go:build !linux

package store

import (
	"errors"
	"syscall"
)

// freeSpace reports that free space is not measured on this platform.
func freeSpace(dir string) (free int64, ok bool, err error) { return 0, false, nil }

// isNoSpace reports whether err means the device is full.
func isNoSpace(err error) bool { return errors.Is(err, syscall.ENOSPC) }

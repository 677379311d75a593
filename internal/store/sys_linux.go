package store

import (
	"errors"
	"syscall"
)

// freeSpace returns the bytes available to unprivileged users on the file
// system holding dir; ok reports that the figure is known.
func freeSpace(dir string) (free int64, ok bool, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, false, err
	}
	avail := uint64(st.Bavail) * uint64(st.Bsize)
	if avail > 1<<62 {
		avail = 1 << 62
	}
	return int64(avail), true, nil
}

// isNoSpace reports whether err means the device is full or the user's
// quota is exhausted.
func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

package store

import (
	"errors"
	"io/fs"
	"syscall"
	"testing"
)

func TestWriteErrorNoSpace(t *testing.T) {
	tests := []struct {
		errno syscall.Errno
		want  bool
	}{
		{syscall.ENOSPC, true},
		{syscall.EDQUOT, true},
		{syscall.EIO, false},
	}
	for _, tt := range tests {
		err := writeError(&fs.PathError{Op: "write", Path: "x", Err: tt.errno})
		if got := errors.Is(err, ErrNoSpace); got != tt.want {
			t.Errorf("%v: errors.Is(%v, ErrNoSpace) = %v, want %v", tt.errno, err, got, tt.want)
		}
		if !errors.Is(err, tt.errno) && !tt.want {
			t.Errorf("%v: got %v, want it to wrap the cause", tt.errno, err)
		}
	}
}

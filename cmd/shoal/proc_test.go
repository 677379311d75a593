package main

import (
	"context"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// The tests run shoal as a separate process. None of them may wait on one
// without bound: a process that does not finish, or does not stop when
// asked, gets SIGQUIT, on which a Go program prints every goroutine's
// stack to its stderr and exits. The test then fails with that dump in
// its message instead of stalling the whole suite until go test's own
// timeout, which names neither the process nor where it hung.

// pipeGrace is how long Wait waits for a process's output pipes to close
// after the process was signalled, before closing them itself.
const pipeGrace = 10 * time.Second

// shoalCmd returns a command running shoal with args that must finish on
// its own within guard; one that does not is sent SIGQUIT.
func shoalCmd(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, shoalBin, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGQUIT) }
	cmd.WaitDelay = pipeGrace
	return cmd
}

// stop sends SIGTERM to a running command, on which shoal must exit
// cleanly, and waits for it to exit; one still running after guard is sent
// SIGQUIT. It returns Wait's error: nil after a clean exit.
func stop(cmd *exec.Cmd) error {
	cmd.Process.Signal(syscall.SIGTERM)
	quit := time.AfterFunc(guard, func() { cmd.Process.Signal(syscall.SIGQUIT) })
	defer quit.Stop()
	return cmd.Wait()
}

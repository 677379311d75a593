package main

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// shoalBin is the command built once for the tests that run it as a
// separate process, as a user would.
var shoalBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "shoal-bin-")
	if err != nil {
		panic(err)
	}
	shoalBin = filepath.Join(dir, "shoal")
	out, err := exec.Command("go", "build", "-o", shoalBin, ".").CombinedOutput()
	if err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// guard bounds every wait in these tests; it only fires when one fails.
const guard = 90 * time.Second

// startShare runs "shoal share" on path and returns the link it prints.
func startShare(t *testing.T, path string, args ...string) string {
	t.Helper()
	cmd := exec.Command(shoalBin, append([]string{"share", path, "--listen", "127.0.0.1:0",
		"--tracker-listen", "127.0.0.1:0", "--data", t.TempDir()}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := stop(cmd); err != nil {
			t.Errorf("share did not exit cleanly on SIGTERM: %v\n%s", err, stderr.String())
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the link: %v\n%s", err, stderr.String())
	}
	return strings.TrimSpace(line)
}

func writeRandomFile(t *testing.T, path string, size int, seed uint64) []byte {
	t.Helper()
	b := make([]byte, size)
	rand.NewChaCha8([32]byte{byte(seed)}).Read(b)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return b
}

// stagedPieces counts the pieces of a download's staged copy of name that
// hold data. Pieces are stored whole once verified and holes read as
// zeros; the content is random, so a stored piece does not start with 64
// zero bytes.
func stagedPieces(out, name string, pieceSize int64) int {
	paths, _ := filepath.Glob(filepath.Join(out, ".shoal-partial", "*", name))
	if len(paths) != 1 {
		return 0
	}
	f, err := os.Open(paths[0])
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	buf := make([]byte, 64)
	for off := int64(0); ; off += pieceSize {
		if _, err := f.ReadAt(buf, off); err != nil {
			return n
		}
		if len(bytes.Trim(buf, "\x00")) > 0 {
			n++
		}
	}
}

func TestShareGetFolder(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src", "build")
	writeRandomFile(t, filepath.Join(src, "app.bin"), 1_500_000, 1)
	writeRandomFile(t, filepath.Join(src, "lib", "core.so"), 700_000, 2)
	writeRandomFile(t, filepath.Join(src, "README"), 100, 3)
	link := startShare(t, src)
	out := filepath.Join(dir, "out")
	var stderr bytes.Buffer
	cmd := shoalCmd(t, "get", link, "--out", out, "--listen", "127.0.0.1:0")
	cmd.Stderr = &stderr
	got, err := cmd.Output()
	if err != nil {
		t.Fatalf("get: %v\n%s", err, stderr.String())
	}
	if want := filepath.Join(out, "build") + "\n"; string(got) != want {
		t.Errorf("get printed %q, want %q", got, want)
	}
	for _, rel := range []string{"app.bin", "lib/core.so", "README"} {
		a, _ := os.ReadFile(filepath.Join(src, rel))
		b, err := os.ReadFile(filepath.Join(out, "build", rel))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s: downloaded copy differs (err %v)", rel, err)
		}
	}
}

// killWhenStaged starts "shoal get" into out and SIGKILLs it once at least
// at bytes of 64 KiB pieces are stored in the staged copy (stagedPieces;
// file sizes say nothing, the staged file has its full size from the first
// write). Whatever appears under the final name by then must be the
// complete, correct content (a download may finish before the kill). It
// returns the pieces seen stored last, 0 if the download finished.
func killWhenStaged(t *testing.T, link, out, name string, at int64, want []byte) int {
	t.Helper()
	cmd := shoalCmd(t, "get", link, "--out", out, "--listen", "127.0.0.1:0")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	final := filepath.Join(out, name)
	deadline := time.Now().Add(guard)
	staged := stagedPieces(out, name, 64<<10)
	for int64(staged)*64<<10 < at {
		if _, err := os.Stat(final); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond) // polling the file system, not synchronising
		staged = stagedPieces(out, name, 64<<10)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if got, err := os.ReadFile(final); err == nil {
		if !bytes.Equal(got, want) {
			t.Fatalf("killed with %d pieces staged: %s exists but is not the complete content", staged, final)
		}
		return 0 // finished before the kill: nothing to resume
	}
	return staged
}

// finishGet runs "shoal get" to completion and compares the result. A
// download killed with staged pieces stored must keep about as many: the
// restart reports how many it verified on disk.
func finishGet(t *testing.T, link, out, name string, want []byte, staged int) {
	t.Helper()
	cmd := shoalCmd(t, "get", link, "--out", out, "--listen", "127.0.0.1:0", "-v")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("resumed get: %v\n%s", err, stderr.String())
	}
	got, err := os.ReadFile(filepath.Join(out, name))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("resumed download differs from the original (err %v)", err)
	}
	if staged == 0 {
		return
	}
	m := regexp.MustCompile(`"resuming download" verified_pieces=([0-9]+)`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("killed with %d pieces stored: the restart verified none\n%s", staged, stderr.String())
	}
	if kept, _ := strconv.Atoi(m[1]); kept < staged-8 {
		t.Fatalf("killed with %d pieces stored: the restart kept %d, want about as many", staged, kept)
	}
}

// TestGetResumesAfterSIGKILL kills one download three times at different
// points; each restart keeps what was verified and the result must be
// identical to the original.
func TestGetResumesAfterSIGKILL(t *testing.T) {
	dir := t.TempDir()
	const size = 6 << 20
	want := writeRandomFile(t, filepath.Join(dir, "src", "image.iso"), size, 7)
	link := startShare(t, filepath.Join(dir, "src", "image.iso"), "--max-upload", "3MB", "--piece-size", "65536")
	out := filepath.Join(dir, "out")
	staged := 0
	for _, pct := range []int64{20, 45, 70} {
		staged = killWhenStaged(t, link, out, "image.iso", size*pct/100, want)
	}
	finishGet(t, link, out, "image.iso", want, staged)
}

// TestTwentyKilledDownloadsResume kills 20 downloads, each at a random
// point (seeded, so a failure can be replayed), and resumes every one.
func TestTwentyKilledDownloadsResume(t *testing.T) {
	if testing.Short() {
		t.Skip("20 downloads")
	}
	dir := t.TempDir()
	const size = 2 << 20
	want := writeRandomFile(t, filepath.Join(dir, "src", "update.pak"), size, 9)
	link := startShare(t, filepath.Join(dir, "src", "update.pak"), "--max-upload", "4MB", "--piece-size", "65536")
	r := rand.New(rand.NewPCG(20, 26))
	for i := range 20 {
		out := filepath.Join(dir, fmt.Sprint("out", i))
		at := int64(size) * int64(5+r.IntN(76)) / 100 // 5%..80%
		staged := killWhenStaged(t, link, out, "update.pak", at, want)
		t.Logf("download %d: killed at %d of 32 pieces stored (aimed at %d%%)", i, staged, at*100/size)
		finishGet(t, link, out, "update.pak", want, staged)
	}
}

// runShoal runs the binary to its end (bounded by guard) and returns its
// exit code, stdout and stderr.
func runShoal(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := shoalCmd(t, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("shoal %v: %v\n%s", args, err, stderr.String())
	}
	return code, stdout.String(), stderr.String()
}

func TestBadInputs(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	busy := ln.Addr().String()
	file := filepath.Join(t.TempDir(), "f")
	writeRandomFile(t, file, 1000, 1)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no command", nil, exitUsage, "usage: shoal COMMAND"},
		{"unknown command", []string{"fly"}, exitUsage, `unknown command "fly"`},
		{"get without link", []string{"get"}, exitUsage, "want exactly one LINK"},
		{"malformed link", []string{"get", "shoal:abc"}, exitUsage, "bad link"},
		{"not a link", []string{"get", "http://example.com/x"}, exitUsage, "bad link"},
		{"unknown flag", []string{"get", "--bogus"}, exitUsage, "flag provided but not defined"},
		{"only web seeds", []string{"get", "shoal:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa?o=http://127.0.0.1:9/f"}, exitUsage, "no tracker or peer"},
		{"share missing path", []string{"share", filepath.Join(dir, "nope")}, exitError, "no such file or directory"},
		{"share with a port in use", []string{"share", file, "--listen", busy, "--tracker", "http://127.0.0.1:9/announce"}, exitError, "in use"},
		{"share two paths", []string{"share", dir, dir}, exitUsage, "want exactly one PATH"},
		{"share empty folder", []string{"share", dir, "--tracker", "http://127.0.0.1:9/announce"}, exitError, "no content to share"},
		{"bad size", []string{"share", dir, "--max-upload", "fast"}, exitUsage, "not a size"},
		{"export without private", []string{"share", file, "--export", dir}, exitUsage, "--export needs --private"},
		{"unreachable tracker", []string{"get", "shoal:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa?tr=http://127.0.0.1:1/announce"}, exitError, "unreachable"},
		{"tracker port in use", []string{"tracker", "--listen", busy}, exitError, "listen on " + busy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runShoal(t, tt.args...)
			if code != tt.code {
				t.Errorf("got exit code %d, want %d\n%s", code, tt.code, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("got stderr %q, want it to contain %q", stderr, tt.want)
			}
			if stdout != "" {
				t.Errorf("got stdout %q, want nothing", stdout)
			}
		})
	}
}

// TestDemoRunsAndExits runs both demos small: each must exit on its own (the
// file demo once waited forever for its seeds), the file demo with every
// downloader verified, the live demo with every viewer holding segments.
func TestDemoRunsAndExits(t *testing.T) {
	t.Run("files", func(t *testing.T) {
		t.Parallel()
		stdout, stderr := runDemoCmd(t, "--files", "-size", "3000000", "-peers", "3")
		if want := "all 3 downloaders verified byte for byte"; !strings.Contains(stderr, want) {
			t.Errorf("demo output lacks %q:\n%s", want, stderr)
		}
		if stdout != "" {
			t.Errorf("got stdout %q, want nothing", stdout)
		}
	})
	t.Run("live", func(t *testing.T) {
		t.Parallel()
		stdout, stderr := runDemoCmd(t, "--viewers", "3", "--for", "8s")
		first, _, _ := strings.Cut(stdout, "\n")
		if !regexp.MustCompile(`^http://127\.0\.0\.1:[0-9]+/live/master\.m3u8$`).MatchString(first) {
			t.Errorf("got first stdout line %q, want viewer 1's playlist URL", first)
		}
		ready := readyPerViewer(t, stderr)
		if len(ready) != 3 {
			t.Fatalf("summary lists %d viewers, want 3:\n%s", len(ready), stderr)
		}
		for i, n := range ready {
			if n < 1 {
				t.Errorf("viewer %d: got %d segments ready, want at least 1:\n%s", i+1, n, stderr)
			}
		}
	})
}

// runDemoCmd runs "shoal demo args..." to its end, which must come on its
// own and with exit status 0, and returns what it printed.
func runDemoCmd(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	var out, errs bytes.Buffer
	cmd := shoalCmd(t, append([]string{"demo"}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &errs
	if err := cmd.Run(); err != nil {
		t.Fatalf("demo %s: %v\n%s", strings.Join(args, " "), err, errs.String())
	}
	return out.String(), errs.String()
}

// readyPerViewer parses the live demo summary's line
// "viewers N, segments ready per viewer: a b c".
func readyPerViewer(t *testing.T, stderr string) []int {
	t.Helper()
	const prefix = "segments ready per viewer:"
	for _, line := range strings.Split(stderr, "\n") {
		_, list, ok := strings.Cut(line, prefix)
		if !ok || !strings.HasPrefix(line, "viewers ") {
			continue
		}
		var ready []int
		for _, f := range strings.Fields(list) {
			n, err := strconv.Atoi(f)
			if err != nil {
				t.Fatalf("summary line %q: %v", line, err)
			}
			ready = append(ready, n)
		}
		return ready
	}
	t.Fatalf("demo printed no %q line:\n%s", prefix, stderr)
	return nil
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// encodeLive runs ffmpeg in real time into dir as a live HLS encoder would:
// 1 s segments at a fixed bitrate, every segment kept (so the test can
// compare what viewers serve with what the encoder wrote). It returns a
// channel closed when ffmpeg exits.
func encodeLive(t *testing.T, dir string, seconds int) <-chan struct{} {
	t.Helper()
	cmd := exec.Command("ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-re",
		"-f", "lavfi", "-i", "testsrc=size=320x180:rate=30", "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000",
		"-t", fmt.Sprint(seconds), "-c:v", "libx264", "-preset", "veryfast", "-b:v", "300k", "-maxrate", "300k",
		"-bufsize", "300k", "-g", "30", "-keyint_min", "30", "-sc_threshold", "0", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "64k", "-f", "hls", "-hls_time", "1", "-hls_list_size", "0",
		"-hls_segment_filename", filepath.Join(dir, "seg%d.ts"), filepath.Join(dir, "index.m3u8"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := cmd.Wait(); err != nil {
			t.Errorf("ffmpeg encoder: %v\n%s", err, stderr.String())
		}
	}()
	t.Cleanup(func() { cmd.Process.Kill(); <-done })
	return done
}

// viewerStats reads a viewer gateway's /api/v1/stats.
func viewerStats(t *testing.T, playlist string) map[string]float64 {
	t.Helper()
	code, body := httpGet(t, strings.Replace(playlist, "/live/master.m3u8", "/api/v1/stats", 1))
	if code != 200 {
		t.Fatalf("stats: status %d", code)
	}
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatalf("stats: %v", err)
	}
	out := make(map[string]float64)
	for k, v := range raw {
		if f, ok := v.(float64); ok {
			out[k] = f
		}
	}
	return out
}

// decode plays a viewer's playlist with ffmpeg for a few seconds of media
// and returns what ffmpeg reported as errors.
func decode(playlist string, seconds int) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error",
		"-i", playlist, "-t", fmt.Sprint(seconds), "-f", "null", "-").CombinedOutput()
	return string(out), err
}

// startKillable runs shoal with args, returns its first stdout line and the
// process, which the test may kill; it is killed at the end regardless.
func startKillable(t *testing.T, args ...string) (string, *exec.Cmd) {
	t.Helper()
	cmd := shoalCmd(t, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("shoal %s: first line: %v", args[0], err)
	}
	return strings.TrimSpace(line), cmd
}

// TestLiveFFmpegFiveViewers is the live end-to-end run: ffmpeg encodes in
// real time, shoal broadcast publishes the folder with its upload capped at
// under twice the stream's bitrate, five viewers watch; one
// viewer is killed half way. Every remaining viewer's playlist decodes
// without errors, every segment a viewer serves equals the encoder's file,
// and the viewers took most of their bytes from each other.
func TestLiveFFmpegFiveViewers(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed (.ci/run installs it)")
	}
	enc := t.TempDir()
	encoded := encodeLive(t, enc, 16)
	local := []string{"--listen", "127.0.0.1:0", "--http", "127.0.0.1:0"}
	link := startLine(t, append([]string{"broadcast", "--hls-dir", enc, "--tracker-listen", "127.0.0.1:0",
		"--data", t.TempDir(), "--max-upload", "75KB"}, local...)...)
	var urls []string
	for range 4 {
		urls = append(urls, startLine(t, append([]string{"watch", link, "--latency", "4s"}, local...)...))
	}
	fifth, victim := startKillable(t, append([]string{"watch", link, "--latency", "4s"}, local...)...)

	// The fifth viewer plays too, at once, as an impatient user would: its
	// gateway holds the playlist request until a segment can be listed
	// (ffmpeg gives up on a 503). Then it is killed half way through.
	if out, err := decode(fifth, 2); err != nil || strings.TrimSpace(out) != "" {
		t.Errorf("viewer 5: ffmpeg %v: %s", err, out)
	}
	waitFor(t, func() bool { return fileExists(filepath.Join(enc, "seg8.ts")) })
	victim.Process.Kill()
	victim.Wait()

	// The four others play on: each decodes 4 s of media without an error.
	var wg sync.WaitGroup
	errs := make([]string, len(urls))
	for i, u := range urls {
		wg.Go(func() {
			if out, err := decode(u, 4); err != nil || strings.TrimSpace(out) != "" {
				errs[i] = fmt.Sprintf("viewer %d: ffmpeg %v: %s", i+1, err, out)
			}
		})
	}
	wg.Wait()
	for _, e := range errs {
		if e != "" {
			t.Error(e)
		}
	}
	<-encoded
	checkViewers(t, enc, urls)
}

// checkViewers compares every segment each viewer lists with the encoder's
// file and reports the run's figures.
func checkViewers(t *testing.T, enc string, urls []string) {
	t.Helper()
	var fromPeers, fromOrigin, uploaded float64
	for i, u := range urls {
		_, media := httpGet(t, strings.Replace(u, "master.m3u8", "0/index.m3u8", 1))
		compared := 0
		for _, line := range strings.Split(string(media), "\n") {
			if !strings.HasSuffix(line, ".ts") {
				continue
			}
			seq := strings.TrimSuffix(line, ".ts")
			want, err := os.ReadFile(filepath.Join(enc, "seg"+seq+".ts"))
			if err != nil {
				t.Fatalf("viewer %d lists %s, which the encoder never wrote", i+1, line)
			}
			if code, got := httpGet(t, strings.Replace(u, "master.m3u8", "0/"+line, 1)); code != 200 || !bytes.Equal(got, want) {
				t.Errorf("viewer %d: segment %s differs from the encoder's (status %d)", i+1, seq, code)
			}
			compared++
		}
		if compared == 0 {
			t.Errorf("viewer %d lists no segment", i+1)
		}
		st := viewerStats(t, u)
		fromPeers += st["bytes_from_peers"]
		fromOrigin += st["bytes_from_origin"]
		uploaded += st["bytes_uploaded"] // viewers upload only to viewers
		t.Logf("viewer %d: %d segments compared; startup %.2fs, lag behind broadcaster %.1fs, stalls %.0f (%.1fs), ready %.0f late %.0f missed %.0f, peers %.0f B, origin %.0f B",
			i+1, compared, st["startup_seconds"], st["broadcaster_lag_seconds"], st["stalls"], st["stall_seconds"],
			st["segments_ready"], st["segments_late"], st["segments_missed"], st["bytes_from_peers"], st["bytes_from_origin"])
	}
	var stream int64
	files, _ := filepath.Glob(filepath.Join(enc, "seg*.ts"))
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			stream += fi.Size()
		}
	}
	received := fromPeers + fromOrigin
	offload := fromPeers / max(received, 1)
	t.Logf("viewers together: peer offload %.2f, origin egress %.2f copies of the stream (%d bytes); viewers uploaded %.0f of the %.0f bytes they received (%.2f)",
		offload, fromOrigin/float64(max(stream, 1)), stream, uploaded, received, uploaded/max(received, 1))
	if fromPeers <= fromOrigin {
		t.Errorf("viewers got %.0f bytes from peers and %.0f from the origin, want most from peers", fromPeers, fromOrigin)
	}
	// The broadcaster, capped under 2× the bitrate, cannot feed five
	// viewers: they must relay to each other. Observed 0.47–0.64; the floor
	// only has to show real sharing, not a tuned figure.
	if 4*uploaded <= received {
		t.Errorf("viewers uploaded %.0f bytes to each other of %.0f received, want at least a quarter", uploaded, received)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// waitFor polls cond until it holds; the guard only fires on failure.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(guard)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met before the guard timeout")
		}
		time.Sleep(50 * time.Millisecond) // polling the file system, not synchronising
	}
}

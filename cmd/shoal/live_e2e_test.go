package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoal-p2p/shoal/internal/live"
	"github.com/shoal-p2p/shoal/internal/piece"
)

// syncBuffer is a bytes.Buffer safe to read while a process writes to it.
type syncBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startLine runs shoal with args until the test ends (then SIGTERM, which
// must end it cleanly) and returns the first line of its stdout.
func startLine(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(shoalBin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := stop(cmd); err != nil {
			t.Errorf("shoal %s did not exit cleanly on SIGTERM: %v\n%s", args[0], err, stderr.String())
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("shoal %s: reading the first line: %v\n%s", args[0], err, stderr.String())
	}
	go io.Copy(io.Discard, stdout) // nothing else is expected; never block the process
	return strings.TrimSpace(line)
}

func httpGet(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, body
}

// lastListed returns the last segment URI a media playlist lists.
func lastListed(playlist string) string {
	var last string
	for _, line := range strings.Split(playlist, "\n") {
		if strings.HasSuffix(line, ".ts") {
			last = line
		}
	}
	return last
}

// TestBroadcastWatch runs "shoal broadcast --synth" and "shoal watch" on
// its link as a user would: the watcher's gateway must serve playlists and
// segments byte-identical to the broadcaster's.
func TestBroadcastWatch(t *testing.T) {
	data := t.TempDir()
	raw := startLine(t, "broadcast", "--synth", "--name", "e2e", "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0",
		"--tracker-listen", "127.0.0.1:0", "--data", data)
	link, err := piece.ParseLink(raw)
	if err != nil {
		t.Fatalf("broadcast printed %q: %v", raw, err)
	}
	if len(link.Key) != ed25519.PublicKeySize || len(link.Origins) != 1 || len(link.Peers) == 0 || link.Name != "e2e" ||
		live.ChannelID(link.Key, link.Name) != link.ID {
		t.Fatalf("broadcast link lacks key, origin, peers or its channel ID: %+v", link)
	}
	playlist := startLine(t, "watch", raw, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0")
	base, ok := strings.CutSuffix(playlist, "/live/master.m3u8")
	if !ok || !strings.HasPrefix(playlist, "http://127.0.0.1:") {
		t.Fatalf("watch printed %q, want a local master playlist URL", playlist)
	}
	var media string
	deadline := time.Now().Add(guard)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		code, body := httpGet(t, base+"/live/0/index.m3u8")
		if media = string(body); code == http.StatusOK && lastListed(media) != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no playable media playlist: %d %s", code, body)
		}
		<-tick.C
	}
	if code, master := httpGet(t, playlist); code != http.StatusOK || !strings.Contains(string(master), "0/index.m3u8") {
		t.Fatalf("master playlist: %d %s", code, master)
	}
	seg := lastListed(media)
	_, got := httpGet(t, base+"/live/0/"+seg)
	code, want := httpGet(t, link.Origins[0]+"/live/0/"+seg)
	if code != http.StatusOK || len(want) == 0 || !bytes.Equal(got, want) {
		t.Fatalf("segment %s: watcher served %d bytes, the broadcaster's origin %d (status %d)", seg, len(got), len(want), code)
	}
	t.Run("ffprobe", func(t *testing.T) { probePlaylist(t, playlist) })

	// A restart keeps the channel: the key is kept in --data.
	k1, err1 := loadBroadcastKey(data)
	k2, err2 := loadBroadcastKey(data)
	if err1 != nil || err2 != nil || !k1.Equal(k2) || !bytes.Equal(k1.Public().(ed25519.PublicKey), link.Key) {
		t.Fatalf("broadcast key not kept in --data: %v %v", err1, err2)
	}
}

// probePlaylist checks with ffprobe, when installed, that the gateway's
// playlist is a playable stream with video.
func probePlaylist(t *testing.T, url string) {
	bin, err := exec.LookPath("ffprobe")
	if err != nil {
		t.Skip("ffprobe not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0", url).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "video") {
		t.Fatalf("ffprobe %s: %v\n%s", url, err, out)
	}
}

func TestLiveBadInputs(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	busy := ln.Addr().String()
	pub, _, _ := ed25519.GenerateKey(nil)
	other, _, _ := ed25519.GenerateKey(nil)
	good := piece.Link{ID: live.ChannelID(pub, "x"), Name: "x", Key: pub, Origins: []string{"http://127.0.0.1:9"}}
	wrongKey := good
	wrongKey.Key = other
	noKey := piece.Link{ID: good.ID, Origins: good.Origins}
	data := t.TempDir()
	bcast := []string{"broadcast", "--listen", "127.0.0.1:0", "--tracker-listen", "127.0.0.1:0", "--data", data}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"watch link without key", []string{"watch", noKey.String()}, exitUsage, "no channel key"},
		{"watch link with a wrong key", []string{"watch", wrongKey.String()}, exitUsage, "do not match its channel ID"},
		{"watch without link", []string{"watch"}, exitUsage, "want exactly one LINK"},
		{"watch gateway port in use", []string{"watch", good.String(), "--listen", "127.0.0.1:0", "--http", busy}, exitError, "address already in use"},
		{"broadcast without source", bcast, exitUsage, "exactly one of --hls-dir"},
		{"broadcast two sources", append(bcast[:len(bcast):len(bcast)], "--synth", "--hls-url", "http://127.0.0.1:9/x.m3u8"), exitUsage, "exactly one of"},
		{"broadcast origin port in use", append(bcast[:len(bcast):len(bcast)], "--synth", "--http", busy), exitError, "address already in use"},
		{"broadcast missing playlist", append(bcast[:len(bcast):len(bcast)], "--hls-dir", t.TempDir(), "--http", "127.0.0.1:0"), exitError, "playlist not found"},
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
			if n := strings.Count(stderr, "\n"); tt.code == exitError && tt.name != "broadcast missing playlist" && n != 1 {
				t.Errorf("got %d lines on stderr, want one:\n%s", n, stderr)
			}
			// A source fails once the link is out: only then is stdout used.
			if tt.code != exitOK && stdout != "" && tt.name != "broadcast missing playlist" {
				t.Errorf("got stdout %q, want nothing", stdout)
			}
		})
	}
}

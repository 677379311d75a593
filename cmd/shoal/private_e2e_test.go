package main

import (
	"bytes"
	"crypto/ed25519"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-p2p/shoal/internal/access"
	"github.com/shoal-p2p/shoal/internal/piece"
)

// issueToken runs "shoal token" and writes the token it prints to a file.
func issueToken(t *testing.T, args ...string) string {
	t.Helper()
	code, stdout, stderr := runShoal(t, append([]string{"token"}, args...)...)
	if code != exitOK || !strings.HasPrefix(stdout, "st1.") {
		t.Fatalf("shoal token: exit %d, stdout %q\n%s", code, stdout, stderr)
	}
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte(stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestPrivateBroadcastWatch runs "shoal broadcast --private", issues a
// member token with "shoal token" and watches with it: the member's
// gateway serves MPEG-TS while the public origin serves only ciphertext.
// Without a token, or with an expired one, watch refuses at once.
func TestPrivateBroadcastWatch(t *testing.T) {
	data := t.TempDir()
	raw := startLine(t, "broadcast", "--synth", "--private", "--name", "club", "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0",
		"--tracker-listen", "127.0.0.1:0", "--data", data)
	link, err := piece.ParseLink(raw)
	if err != nil || !link.Private {
		t.Fatalf("broadcast printed %q (%v), want a private link (pv=1)", raw, err)
	}
	tokenFile := issueToken(t, "--data", data, "--name", "club", "--member", "alice", "--ttl", "1h")
	playlist := startLine(t, "watch", raw, "--token-file", tokenFile, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0")
	base := strings.TrimSuffix(playlist, "/live/master.m3u8")
	var media string
	deadline := time.Now().Add(guard)
	for tick := time.NewTicker(50 * time.Millisecond); ; <-tick.C {
		code, body := httpGet(t, base+"/live/0/index.m3u8")
		if media = string(body); code == http.StatusOK && lastListed(media) != "" {
			tick.Stop()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no playable media playlist: %d %s", code, body)
		}
	}
	seg := lastListed(media)
	_, plain := httpGet(t, base+"/live/0/"+seg)
	code, sealed := httpGet(t, link.Origins[0]+"/live/0/"+seg)
	if code != http.StatusOK || len(plain) < 188 || plain[0] != 0x47 || !access.IsSealed(sealed) || bytes.Contains(sealed, plain[:188]) {
		t.Fatalf("segment %s: member got %d bytes (want MPEG-TS), origin %d (status %d, want sealed)", seg, len(plain), len(sealed), code)
	}
	t.Run("ffprobe", func(t *testing.T) { probePlaylist(t, playlist) })

	watchRefuses(t, data, raw, link)
}

// watchRefuses checks that watch refuses a private link at once, with one
// line saying why, without a usable token.
func watchRefuses(t *testing.T, data, raw string, link piece.Link) {
	t.Helper()
	owner, err := loadBroadcastKey(data)
	if err != nil {
		t.Fatal(err)
	}
	expired, err := access.Issue(owner, access.Claims{Swarm: link.ID, Channel: "club", Member: "bob",
		Issued: time.Now().Add(-2 * time.Hour), Expires: time.Now().Add(-time.Hour)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, stranger, _ := ed25519.GenerateKey(nil)
	foreign, _ := access.Issue(stranger, access.Claims{Swarm: link.ID, Member: "eve", Issued: time.Now(), Expires: time.Now().Add(time.Hour)}, nil)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no token", nil, "the content is private: pass the member token"},
		{"expired token", []string{"--token", expired.String()}, `the token of "bob" expired at`},
		{"token of another key", []string{"--token", foreign.String()}, "does not admit to this link's content"},
		{"not a token", []string{"--token", "hello"}, "malformed token"},
		{"missing token file", []string{"--token-file", filepath.Join(data, "nope")}, "--token-file: no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runShoal(t, append([]string{"watch", raw, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0"}, tt.args...)...)
			if code != exitUsage || stdout != "" || !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") != 1 {
				t.Fatalf("got exit %d, stdout %q, stderr %q; want exit 2 and one line containing %q", code, stdout, stderr, tt.want)
			}
		})
	}
}

// TestPrivateShareGet shares a file with --private and --export: a member
// with a token gets it, from the sharer and the web seed serving the
// export, which holds only ciphertext; a downloader without one is refused
// at once. Sharing again with the same data folder gives the same link.
func TestPrivateShareGet(t *testing.T) {
	dir, data, export := t.TempDir(), t.TempDir(), t.TempDir()
	want := writeRandomFile(t, filepath.Join(dir, "secret.bin"), 300_000, 9)
	web := httptest.NewServer(http.FileServer(http.Dir(export)))
	defer web.Close()
	share := []string{"--private", "--data", data, "--export", export, "--origin", web.URL + "/secret.bin"}
	link := startShare(t, filepath.Join(dir, "secret.bin"), share...)
	l, err := piece.ParseLink(link)
	if err != nil || !l.Private || len(l.Key) != ed25519.PublicKeySize {
		t.Fatalf("share printed %q (%v), want a private link with a key", link, err)
	}
	code, sealed := httpGet(t, web.URL+"/secret.bin")
	if code != http.StatusOK || len(sealed) != len(want) || bytes.Contains(sealed, want[1000:1032]) {
		t.Fatalf("web seed: status %d, %d bytes; want the %d-byte ciphertext, no plaintext in it", code, len(sealed), len(want))
	}
	checkContentKeyFile(t, data)
	tokenFile := issueToken(t, "--data", data, "--link", link, "--member", "alice")
	out := filepath.Join(dir, "out")
	cmd := shoalCmd(t, "get", link, "--out", out, "--listen", "127.0.0.1:0", "--token-file", tokenFile)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("get with a token: %v\n%s", err, stderr.String())
	}
	if got, err := os.ReadFile(filepath.Join(out, "secret.bin")); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("downloaded copy differs (err %v)", err)
	}
	if again := startShare(t, filepath.Join(dir, "secret.bin"), share...); !strings.HasPrefix(again, link[:strings.Index(link, "?")+1]) {
		t.Errorf("sharing again with the same data folder: got link %q, want the same content ID as %q", again, link)
	}
	code, _, errText := runShoal(t, "get", link, "--out", filepath.Join(dir, "out2"), "--listen", "127.0.0.1:0")
	if code != exitUsage || !strings.Contains(errText, "the content is private") {
		t.Fatalf("get without a token: exit %d, %q", code, errText)
	}
	// A link edited to drop pv=1 does not help: the sharer refuses the
	// handshake and says why.
	l.Private = false
	code, _, errText = runShoal(t, "get", l.String(), "--out", filepath.Join(dir, "out3"), "--listen", "127.0.0.1:0")
	if code != exitError || !strings.Contains(errText, "a member token is required") {
		t.Fatalf("get of the edited link: exit %d, %q", code, errText)
	}
}

// checkContentKeyFile checks that the data folder keeps exactly one
// content key, readable by its owner only.
func checkContentKeyFile(t *testing.T, data string) {
	t.Helper()
	keys, _ := filepath.Glob(filepath.Join(data, contentKeysDir, "*.key"))
	if len(keys) != 1 {
		t.Fatalf("content keys in the data folder: %v, want one", keys)
	}
	if fi, err := os.Stat(keys[0]); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("content key file %s: %v, mode %v; want 0600", keys[0], err, fi.Mode().Perm())
	}
}

// TestPrivateGetResumesAfterSIGKILL kills a member's download of private
// content once part of it is stored, then runs it again: the pieces on
// disk (plaintext) are verified again through the seal and kept, and the
// result is the original.
func TestPrivateGetResumesAfterSIGKILL(t *testing.T) {
	dir, data := t.TempDir(), t.TempDir()
	const size, pieceSize = 6 << 20, 64 << 10
	want := writeRandomFile(t, filepath.Join(dir, "src", "image.iso"), size, 7)
	link := startShare(t, filepath.Join(dir, "src", "image.iso"), "--private", "--data", data, "--max-upload", "3MB", "--piece-size", "65536")
	tokenFile := issueToken(t, "--data", data, "--link", link, "--member", "alice")
	out := filepath.Join(dir, "out")
	cmd := shoalCmd(t, "get", link, "--out", out, "--listen", "127.0.0.1:0", "--token-file", tokenFile)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	staged := 0
	for deadline := time.Now().Add(guard); staged < size/pieceSize*2/5 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond) // polling the file system, not synchronising
		staged = stagedPieces(out, "image.iso", pieceSize)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if _, err := os.Stat(filepath.Join(out, "image.iso")); err == nil {
		t.Skipf("the download finished before it was killed (%d pieces seen staged)", staged)
	}
	again := shoalCmd(t, "get", link, "--out", out, "--listen", "127.0.0.1:0", "--token-file", tokenFile, "-v")
	var stderr bytes.Buffer
	again.Stderr = &stderr
	if err := again.Run(); err != nil {
		t.Fatalf("resumed get: %v\n%s", err, stderr.String())
	}
	if got, err := os.ReadFile(filepath.Join(out, "image.iso")); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("resumed download differs from the original (err %v)", err)
	}
	m := regexp.MustCompile(`"resuming download" verified_pieces=([0-9]+)`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("killed with %d pieces stored: the restart verified none\n%s", staged, stderr.String())
	}
	if kept, _ := strconv.Atoi(m[1]); kept < staged-8 {
		t.Fatalf("killed with %d pieces stored: the restart kept %d, want about as many", staged, kept)
	}
}

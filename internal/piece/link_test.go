package piece

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

var (
	linkID   = sampleID(1)
	linkKey  = sampleID(100)
	linkBase = "shoal:" + linkID.String()
	peerAddr = "/ip4/192.0.2.1/tcp/4001/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN"
)

var validLinkTests = []struct {
	name string
	in   string
	want Link
}{
	{"id only", linkBase, Link{ID: linkID}},
	{"upper-case scheme and id", "SHOAL:" + strings.ToUpper(linkID.String()), Link{ID: linkID}},
	{"surrounding white space", " \t" + linkBase + "\n", Link{ID: linkID}},
	{"name", linkBase + "?dn=Big+Buck+Bunny", Link{ID: linkID, Name: "Big Buck Bunny"}},
	{"escaped name", linkBase + "?dn=a%26b%3Dc%2Fd%20%C3%A9", Link{ID: linkID, Name: "a&b=c/d é"}},
	{"key", linkBase + "?k=" + linkKey.String(), Link{ID: linkID, Key: linkKey[:]}},
	{"private", linkBase + "?k=" + linkKey.String() + "&pv=1", Link{ID: linkID, Key: linkKey[:], Private: true}},
	{"upper-case key", linkBase + "?k=" + strings.ToUpper(linkKey.String()), Link{ID: linkID, Key: linkKey[:]}},
	{"trackers", linkBase + "?tr=http://t1.example/announce&tr=https%3A%2F%2Ft2.example%3A8443%2Fa%3Fx%3D1",
		Link{ID: linkID, Trackers: []string{"http://t1.example/announce", "https://t2.example:8443/a?x=1"}}},
	{"origin", linkBase + "?o=https://cdn.example/live/", Link{ID: linkID, Origins: []string{"https://cdn.example/live/"}}},
	{"upper-case URL scheme", linkBase + "?o=HTTPS://cdn.example/", Link{ID: linkID, Origins: []string{"HTTPS://cdn.example/"}}},
	{"IPv6 tracker", linkBase + "?tr=http://[2001:db8::1]:8080/", Link{ID: linkID, Trackers: []string{"http://[2001:db8::1]:8080/"}}},
	{"peer", linkBase + "?x.pe=" + peerAddr, Link{ID: linkID, Peers: []string{peerAddr}}},
	{"everything, any order", linkBase + "?x.pe=" + peerAddr + "&o=http://o.example/&tr=http://t.example/&k=" +
		linkKey.String() + "&dn=show&tr=http://u.example/",
		Link{ID: linkID, Name: "show", Key: linkKey[:], Trackers: []string{"http://t.example/", "http://u.example/"},
			Origins: []string{"http://o.example/"}, Peers: []string{peerAddr}}},
	{"sixteen trackers", linkBase + "?" + strings.TrimPrefix(strings.Repeat("&tr=http://t.example/", 16), "&"),
		Link{ID: linkID, Trackers: repeatString("http://t.example/", 16)}},
}

func repeatString(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestParseLink(t *testing.T) {
	for _, tt := range validLinkTests {
		got, err := ParseLink(tt.in)
		if err != nil {
			t.Errorf("%s: ParseLink(%q) error %v, want nil", tt.name, tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: ParseLink(%q) = %+v, want %+v", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestLinkRoundTrip(t *testing.T) {
	for _, tt := range validLinkTests {
		s := tt.want.String()
		got, err := ParseLink(s)
		if err != nil {
			t.Errorf("%s: ParseLink(%q) error %v, want nil", tt.name, s, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: ParseLink(%q) = %+v, want %+v", tt.name, s, got, tt.want)
		}
		if again := got.String(); again != s {
			t.Errorf("%s: String() after round trip = %q, want %q", tt.name, again, s)
		}
	}
}

func TestLinkString(t *testing.T) {
	l := Link{ID: linkID, Name: "a b&c", Key: linkKey[:], Trackers: []string{"http://t/a?b=1"},
		Origins: []string{"https://o/"}, Peers: []string{"/ip4/1.2.3.4/p2p/Qm"}}
	want := linkBase + "?dn=a+b%26c&k=" + linkKey.String() + "&tr=http%3A%2F%2Ft%2Fa%3Fb%3D1" +
		"&o=https%3A%2F%2Fo%2F&x.pe=%2Fip4%2F1.2.3.4%2Fp2p%2FQm"
	if got := l.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got := (Link{ID: linkID}).String(); got != linkBase {
		t.Errorf("String() of a bare link = %q, want %q", got, linkBase)
	}
}

var invalidLinkTests = []struct {
	name string
	in   string
	want string // part of the error message
}{
	{"empty", "", "scheme"},
	{"magnet", "magnet:?xt=urn:btih:" + linkID.String(), "scheme"},
	{"no scheme", linkID.String(), "scheme"},
	{"slashes after scheme", "shoal://" + linkID.String(), `"//"`},
	{"private not 1", linkBase + "?pv=0", `want "1"`},
	{"private twice", linkBase + "?pv=1&pv=1", "more than once"},
	{"bad id", "shoal:abc", "swarm id"},
	{"id with spare bits", "shoal:" + strings.Repeat("a", 51) + "b", "canonical"},
	{"space before id", "shoal: " + linkID.String(), "swarm id"},
	{"fragment", linkBase + "#x", "fragment"},
	{"fragment in query", linkBase + "?dn=a#b", "fragment"},
	{"empty query", linkBase + "?", "empty query"},
	{"empty parameter", linkBase + "?dn=a&&tr=http://t/", "empty parameter"},
	{"trailing ampersand", linkBase + "?dn=a&", "empty parameter"},
	{"unknown parameter", linkBase + "?foo=1", `unknown parameter "foo"`},
	{"magnet parameter", linkBase + "?xt=1", `unknown parameter "xt"`},
	{"upper-case key", linkBase + "?DN=a", `unknown parameter "DN"`},
	{"escaped key", linkBase + "?d%6E=a", "unknown parameter"},
	{"no value", linkBase + "?dn", "no value"},
	{"empty value", linkBase + "?dn=", "empty value"},
	{"bad escape", linkBase + "?dn=%zz", "bad escape"},
	{"two names", linkBase + "?dn=a&dn=b", "more than once"},
	{"control character in name", linkBase + "?dn=a%0Ab", "control"},
	{"name not UTF-8", linkBase + "?dn=%FF", "UTF-8"},
	{"two keys", linkBase + "?k=" + linkKey.String() + "&k=" + linkKey.String(), "more than once"},
	{"short key", linkBase + "?k=aaaa", "public key"},
	{"key with bad character", linkBase + "?k=" + strings.Repeat("1", 52), "public key"},
	{"tracker not a URL", linkBase + "?tr=%25zz", "not a URL"},
	{"relative tracker", linkBase + "?tr=/announce", "http"},
	{"udp tracker", linkBase + "?tr=udp://t.example:6969", "http"},
	{"tracker without host", linkBase + "?tr=http:///announce", "no host"},
	{"tracker with port only", linkBase + "?tr=http://:80/", "no host"},
	{"opaque tracker", linkBase + "?tr=http:t.example", "no host"},
	{"origin not http", linkBase + "?o=ftp://o.example/", "http"},
	{"space in origin", linkBase + "?o=+http://o.example/", "not a URL"},
	{"peer without slash", linkBase + "?x.pe=ip4/1.2.3.4/p2p/Qm", "multiaddr"},
	{"peer without p2p", linkBase + "?x.pe=/ip4/1.2.3.4/tcp/1", "multiaddr"},
	{"control character in peer", linkBase + "?x.pe=/ip4/1.2.3.4/p2p/Qm%00", "control"},
	{"seventeen trackers", linkBase + "?" + strings.TrimPrefix(strings.Repeat("&tr=http://t/", 17), "&"), "more than 16"},
	{"too long", linkBase + "?dn=" + strings.Repeat("x", MaxLinkLen), "limit"},
	{"canonical form too long", linkBase + "?dn=" + strings.Repeat("/", 3000), "canonical form"},
}

func TestParseLinkRejects(t *testing.T) {
	for _, tt := range invalidLinkTests {
		got, err := ParseLink(tt.in)
		if !errors.Is(err, ErrBadLink) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: ParseLink(%.80q) = %+v, %v, want ErrBadLink mentioning %q", tt.name, tt.in, got, err, tt.want)
		}
	}
}

func TestParseLinkErrorMessage(t *testing.T) {
	_, err := ParseLink(linkBase + "?foo=1")
	if got, want := err.Error(), `piece: bad link: unknown parameter "foo"`; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
}

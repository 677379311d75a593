package piece

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Link limits enforced by ParseLink.
const (
	MaxLinkLen    = 8 << 10 // longest link, in bytes, as given and in canonical form
	MaxLinkValues = 16      // most values of one repeatable key (tr, o, x.pe)
)

// linkScheme opens every link; ParseLink accepts it in any case.
const linkScheme = "shoal:"

// ErrBadLink is returned by ParseLink; the message says what is wrong.
var ErrBadLink = errors.New("piece: bad link")

// Link is the pasteable form of a swarm, like a magnet link:
//
//	shoal:<base32 id>?dn=<name>&k=<base32 key>&pv=1&tr=<tracker URL>&o=<origin URL>&x.pe=<peer multiaddr>
//
// The ID and key use the base32 alphabet of ID.String. Every parameter is
// optional; dn, k and pv appear at most once, tr, o and x.pe up to
// MaxLinkValues times each. pv=1 marks private content (docs/private.md):
// joining needs a member token.
type Link struct {
	ID       ID       // swarm ID
	Name     string   // display name (dn); empty if absent
	Key      []byte   // owner's 32-byte Ed25519 public key (k): the broadcaster's for live swarms; nil if absent
	Private  bool     // private content (pv=1): only members with a token may join
	Trackers []string // tracker URLs (tr), absolute http or https
	Origins  []string // origin or web-seed URLs (o), absolute http or https
	Peers    []string // peer multiaddrs ending in /p2p/<peer id> (x.pe)
}

// String returns the canonical form of l: lower-case scheme and ID, then
// the parameters in the order dn, k, pv, tr…, o…, x.pe…, with query-escaped
// values. Empty fields are left out.
func (l Link) String() string {
	var b strings.Builder
	b.WriteString(linkScheme)
	b.WriteString(l.ID.String())
	sep := byte('?')
	add := func(key, value string) {
		b.WriteByte(sep)
		sep = '&'
		b.WriteString(key)
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(value))
	}
	if l.Name != "" {
		add("dn", l.Name)
	}
	if len(l.Key) > 0 {
		add("k", idEncoding.EncodeToString(l.Key))
	}
	if l.Private {
		add("pv", "1")
	}
	for _, v := range l.Trackers {
		add("tr", v)
	}
	for _, v := range l.Origins {
		add("o", v)
	}
	for _, v := range l.Peers {
		add("x.pe", v)
	}
	return b.String()
}

// ParseLink parses a link strictly. Surrounding white space is ignored. The
// scheme "shoal:" (any case) is followed directly by the swarm ID, then
// optionally by '?' and "key=value" parameters separated by '&' whose values
// are query-escaped. Only the keys dn, k, pv, tr, o and x.pe are known. The link
// may not exceed MaxLinkLen bytes, neither as given nor in canonical form.
// Errors wrap ErrBadLink.
func ParseLink(s string) (Link, error) {
	s = strings.TrimSpace(s)
	if len(s) > MaxLinkLen {
		return Link{}, badLink("%d bytes, limit %d", len(s), MaxLinkLen)
	}
	if len(s) < len(linkScheme) || !strings.EqualFold(s[:len(linkScheme)], linkScheme) {
		return Link{}, badLink("missing %q scheme", linkScheme)
	}
	rest := s[len(linkScheme):]
	if strings.HasPrefix(rest, "//") {
		return Link{}, badLink("%q after the scheme; the swarm id follows it directly", "//")
	}
	if strings.Contains(rest, "#") {
		return Link{}, badLink("fragment (%q) not allowed", "#")
	}
	idText, query, hasQuery := strings.Cut(rest, "?")
	id, err := decode32(idText)
	if err != nil {
		return Link{}, badLink("swarm id %s: %v", quoteShort(idText), err)
	}
	l := Link{ID: id}
	if hasQuery {
		if err := l.parseQuery(query); err != nil {
			return Link{}, err
		}
	}
	if n := len(l.String()); n > MaxLinkLen {
		return Link{}, badLink("canonical form of %d bytes, limit %d", n, MaxLinkLen)
	}
	return l, nil
}

func badLink(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadLink, fmt.Sprintf(format, args...))
}

// parseQuery adds the parameters of query to l.
func (l *Link) parseQuery(query string) error {
	if query == "" {
		return badLink("empty query after %q", "?")
	}
	for param := range strings.SplitSeq(query, "&") {
		if param == "" {
			return badLink("empty parameter")
		}
		key, raw, ok := strings.Cut(param, "=")
		if !knownLinkKeys[key] {
			return badLink("unknown parameter %s", quoteShort(key))
		}
		if !ok {
			return badLink("parameter %s has no value", quoteShort(key))
		}
		value, err := url.QueryUnescape(raw)
		if err != nil {
			return badLink("parameter %s: bad escape in value", quoteShort(key))
		}
		if value == "" {
			return badLink("parameter %s has an empty value", quoteShort(key))
		}
		if err := l.add(key, value); err != nil {
			return badLink("parameter %s: %v", quoteShort(key), err)
		}
	}
	return nil
}

// add records one decoded parameter. Its errors carry no prefix.
func (l *Link) add(key, value string) error {
	switch key {
	case "dn":
		if l.Name != "" {
			return errors.New("given more than once")
		}
		if err := checkDisplayName(value); err != nil {
			return err
		}
		l.Name = value
	case "k":
		if l.Key != nil {
			return errors.New("given more than once")
		}
		k, err := decode32(value)
		if err != nil {
			return fmt.Errorf("public key: %v", err)
		}
		l.Key = k[:]
	case "pv":
		if l.Private {
			return errors.New("given more than once")
		}
		if value != "1" {
			return errors.New(`want "1"`)
		}
		l.Private = true
	case "tr":
		return appendLinkValue(&l.Trackers, value, checkHTTPURL)
	case "o":
		return appendLinkValue(&l.Origins, value, checkHTTPURL)
	case "x.pe":
		return appendLinkValue(&l.Peers, value, checkPeerAddr)
	}
	return nil
}

// knownLinkKeys holds the parameter keys ParseLink accepts.
var knownLinkKeys = map[string]bool{"dn": true, "k": true, "pv": true, "tr": true, "o": true, "x.pe": true}

func appendLinkValue(values *[]string, v string, check func(string) error) error {
	if len(*values) == MaxLinkValues {
		return fmt.Errorf("more than %d values", MaxLinkValues)
	}
	if err := check(v); err != nil {
		return fmt.Errorf("%s: %v", quoteShort(v), err)
	}
	*values = append(*values, v)
	return nil
}

// checkDisplayName accepts valid UTF-8 without control characters, so a
// name is safe to print.
func checkDisplayName(name string) error {
	if !utf8.ValidString(name) {
		return errors.New("not valid UTF-8")
	}
	if strings.ContainsFunc(name, unicode.IsControl) {
		return errors.New("contains a control character")
	}
	return nil
}

// checkHTTPURL accepts absolute http and https URLs with a host.
func checkHTTPURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errors.New("not an http or https URL")
	}
	if u.Hostname() == "" {
		return errors.New("URL has no host")
	}
	return nil
}

// checkPeerAddr does the cheap shape check of a peer multiaddr; the runtime
// validates it fully.
func checkPeerAddr(s string) error {
	if !strings.HasPrefix(s, "/") || !strings.Contains(s, "/p2p/") {
		return errors.New("not a multiaddr with a /p2p/ component")
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		return errors.New("contains a control character")
	}
	return nil
}

package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/shoal-p2p/shoal/internal/access"
	"github.com/shoal-p2p/shoal/internal/live"
	"github.com/shoal-p2p/shoal/internal/piece"
)

// runToken issues a member token for private content owned by the key in
// --data: a live channel (--name) or whatever a link names (--link).
func runToken(_ context.Context, e *env, args []string) error {
	fs, verbose := newFlags(e, "token", "--member NAME [--name CHANNEL | --link LINK] [flags]")
	data := fs.String("data", defaultDataDir(), "the owner's data folder, holding its key ("+broadcastKeyFile+")")
	name := fs.String("name", "live", "the live channel the token admits to")
	linkText := fs.String("link", "", "the link of the content the token admits to (instead of --name)")
	member := fs.String("member", "", "who the token is for: the name revocation lists use (required)")
	ttl := fs.Duration("ttl", 24*time.Hour, "how long the token is valid")
	pos, err := parse(e, fs, verbose, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return fmt.Errorf("%w: unexpected argument %q", errUsage, pos[0])
	case *ttl <= 0:
		return fmt.Errorf("%w: --ttl must be positive", errUsage)
	}
	if err := access.CheckMember(*member); err != nil {
		return fmt.Errorf("%w: --member: %v", errUsage, err)
	}
	priv, err := ownerKey(*data)
	if err != nil {
		return err
	}
	pub := priv.Public().(ed25519.PublicKey)
	claims := access.Claims{Swarm: live.ChannelID(pub, *name), Channel: *name, Member: *member, Issued: time.Now(), Expires: time.Now().Add(*ttl)}
	if *linkText != "" {
		if claims.Swarm, claims.Channel, err = linkClaims(*linkText, pub); err != nil {
			return err
		}
	}
	tok, err := access.Issue(priv, claims, nil)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	fmt.Fprintln(e.stdout, tok.String())
	fmt.Fprintf(e.stderr, "token for member %q, valid until %s; keep it secret: whoever holds it is the member\n",
		*member, tok.Expires.Local().Format(time.RFC3339))
	return nil
}

// ownerKey reads the owner key kept in dir; unlike broadcast it never
// creates one, so a mistyped folder is an error, not a useless token.
func ownerKey(dir string) (ed25519.PrivateKey, error) {
	path := filepath.Join(dir, broadcastKeyFile)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("%w: no owner key %s (run shoal broadcast --private or shoal share --private with --data %s first)", errUsage, path, dir)
	}
	return loadBroadcastKey(dir)
}

// linkClaims returns the swarm and channel a token for link names, checking
// that the link's key is the owner's.
func linkClaims(text string, pub ed25519.PublicKey) (piece.ID, string, error) {
	link, err := piece.ParseLink(text)
	if err != nil {
		return piece.ID{}, "", fmt.Errorf("%w: --link: %v", errUsage, err)
	}
	if !pub.Equal(ed25519.PublicKey(link.Key)) {
		return piece.ID{}, "", fmt.Errorf("%w: --link: its key (k=) is not the key in this data folder", errUsage)
	}
	if live.ChannelID(pub, link.Name) == link.ID {
		return link.ID, link.Name, nil
	}
	return link.ID, "", nil
}

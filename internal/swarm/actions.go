package swarm

import (
	"fmt"

	"github.com/shoal-p2p/shoal/internal/piece"
	"github.com/shoal-p2p/shoal/internal/wire"
)

// Action is something the runtime must do, returned by Engine.Ready. The
// concrete types are Send, Serve, Verify, FetchOrigin, Disconnect,
// ManifestReady and Completed for static content, and FetchSegment,
// SegmentReady and Evicted in live mode; the set is closed.
type Action interface {
	isAction()
}

// Send asks the runtime to send Msg to Peer.
type Send struct {
	Peer PeerID
	Msg  wire.Message
}

// Serve asks the runtime to read the requested block from storage and send
// it to Peer as a wire.Data. The engine has checked that the piece is held
// and the range valid.
type Serve struct {
	Peer PeerID
	Req  wire.Request
}

// Verify asks the runtime to hash the piece formed by concatenating Blocks in
// order, store it if it matches the manifest, and report the result with
// Engine.PieceVerified.
type Verify struct {
	Index  int
	Blocks [][]byte
}

// FetchOrigin asks the runtime to fetch the whole piece Index from the
// origin and report with Engine.OriginData or Engine.OriginFailed.
type FetchOrigin struct {
	Index int
}

// Disconnect asks the runtime to close the connection to Peer. With Ban the
// peer misbehaved and the engine refuses it from now on. The engine has
// already forgotten the peer; a later RemovePeer for it is a no-op.
type Disconnect struct {
	Peer   PeerID
	Ban    bool
	Reason string
}

// ManifestReady reports that the manifest was fetched from peers and
// verified against the swarm ID.
type ManifestReady struct {
	Manifest *piece.Manifest
}

// Completed reports, once, that every piece has been verified. A node that
// started with every piece never emits it.
type Completed struct{}

func (Send) isAction()          {}
func (Serve) isAction()         {}
func (Verify) isAction()        {}
func (FetchOrigin) isAction()   {}
func (Disconnect) isAction()    {}
func (ManifestReady) isAction() {}
func (Completed) isAction()     {}

// String formats the action for logs and traces.
func (a Send) String() string {
	return fmt.Sprintf("send %s %v %+v", a.Peer, a.Msg.Type(), msgSummary(a.Msg))
}

// String formats the action for logs and traces.
func (a Serve) String() string { return fmt.Sprintf("serve %s %+v", a.Peer, a.Req) }

// String formats the action for logs and traces.
func (a Verify) String() string { return fmt.Sprintf("verify %d (%d blocks)", a.Index, len(a.Blocks)) }

// String formats the action for logs and traces.
func (a FetchOrigin) String() string { return fmt.Sprintf("fetch-origin %d", a.Index) }

// String formats the action for logs and traces.
func (a Disconnect) String() string {
	return fmt.Sprintf("disconnect %s ban=%t %s", a.Peer, a.Ban, a.Reason)
}

// String formats the action for logs and traces.
func (a ManifestReady) String() string {
	return fmt.Sprintf("manifest-ready %d pieces", a.Manifest.NumPieces())
}

// String formats the action for logs and traces.
func (Completed) String() string { return "completed" }

// msgSummary returns m without bulky payloads, for traces.
func msgSummary(m wire.Message) any {
	switch m := m.(type) {
	case wire.Bitfield:
		return fmt.Sprintf("%x", m.Bits)
	case wire.Manifest:
		return fmt.Sprintf("{Total:%d Offset:%d Len:%d}", m.Total, m.Offset, len(m.Data))
	case wire.Data:
		return fmt.Sprintf("{Index:%d Begin:%d Len:%d}", m.Index, m.Begin, len(m.Payload))
	case wire.LiveData:
		return fmt.Sprintf("{%d/%d/%d Len:%d}", m.Rendition, m.Sequence, m.Chunk, len(m.Payload))
	case wire.LiveHave:
		return fmt.Sprintf("{%d/%d %x}", m.Rendition, m.Sequence, m.Chunks)
	case wire.Announce:
		return fmt.Sprintf("{Len:%d}", len(m.Data))
	case wire.LiveIntro:
		return fmt.Sprintf("{Len:%d %x}", len(m.Announce), m.Chunks)
	}
	return m
}

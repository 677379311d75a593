package node

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/shoal-p2p/shoal/internal/live"
	"github.com/shoal-p2p/shoal/internal/piece"
)

// sequenceRecent is how many published segments per rendition the
// sequencer remembers to recognise them when a restarted source emits
// them again.
const sequenceRecent = 16

// sequencer gives a broadcaster's segments their published sequence
// numbers, which only grow, also across restarts (docs/live.md). A source
// numbers from wherever it starts: the synthetic clip from 0 on every run,
// an encoder from 0 after it restarts. Within a run the published number
// is the source's plus an offset; the offset is chosen at the first new
// segment of each rendition:
//
//   - nothing published before: the source's numbering as it is;
//   - the run continues the last one (its first segments are ones already
//     published: same source number, same bytes): those are skipped and
//     the numbering carries on where it stopped;
//   - otherwise the stream restarted: numbering continues at the next free
//     number and that segment is marked a discontinuity.
//
// The state is saved in the data folder after every segment, before the
// segment is published. It is used by the signer goroutine only.
type sequencer struct {
	path  string // state file; "" keeps nothing
	rends map[uint8]*seqRendition
}

// seqRendition is the numbering state of one rendition.
type seqRendition struct {
	Rendition uint8       `json:"rendition"`
	Next      uint64      `json:"next"`   // lowest published number free
	Recent    []seqRecord `json:"recent"` // last published, oldest first

	decided bool   // this run's offset is chosen
	matched bool   // this run began with segments already published
	offset  uint64 // published − source, modulo 2^64
}

// seqRecord is one published segment. A segment is the same as a record
// when its source number, program date-time and bytes all match.
type seqRecord struct {
	Source    uint64 `json:"source"`    // the source's number
	Published uint64 `json:"published"` // the channel's number
	TimeMS    int64  `json:"time_ms"`   // program date-time, Unix ms
	SHA256    string `json:"sha256"`    // of the segment bytes, hex
}

// seqState is the state file's content.
type seqState struct {
	Renditions []*seqRendition `json:"renditions"`
}

// sequenceFile returns where a broadcaster keeps the numbering of a
// channel in dataDir.
func sequenceFile(dataDir string, channel piece.ID) string {
	return filepath.Join(dataDir, "live-"+channel.String()+".seq")
}

// loadSequencer reads the numbering saved at path; a missing file is a
// fresh channel, an empty path keeps nothing.
func loadSequencer(path string) (*sequencer, error) {
	s := &sequencer{path: path, rends: make(map[uint8]*seqRendition)}
	if path == "" {
		return s, nil
	}
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("node: live sequence state: %w", err)
	}
	var st seqState
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("node: live sequence state %s: %v (remove it to restart the numbering at 0, which viewers of the running stream will ignore)", path, err)
	}
	for _, r := range st.Renditions {
		if r == nil || len(r.Recent) > sequenceRecent {
			return nil, fmt.Errorf("node: live sequence state %s: malformed", path)
		}
		s.rends[r.Rendition] = r
	}
	return s, nil
}

// assign gives seg its published number. It reports false for a segment
// that was published before a restart, which must be skipped. An error
// means the state could not be saved; the numbering is still right in
// this run.
func (s *sequencer) assign(seg *live.Segment) (bool, error) {
	r := s.rends[seg.Rendition]
	if r == nil {
		r = &seqRendition{Rendition: seg.Rendition}
		s.rends[seg.Rendition] = r
	}
	sum := sha256.Sum256(seg.Data)
	rec := seqRecord{Source: seg.Sequence, TimeMS: seg.ProgramDateTime.UnixMilli(), SHA256: hex.EncodeToString(sum[:])}
	if !r.decided && r.choose(rec, seg) {
		return false, nil
	}
	pub := seg.Sequence + r.offset
	if pub < r.Next { // the source went back within a run: continue after
		r.offset = r.Next - seg.Sequence
		pub, seg.Discontinuity = r.Next, true
	}
	seg.Sequence, rec.Published = pub, pub
	r.Next = pub + 1
	r.Recent = append(r.Recent, rec)
	if len(r.Recent) > sequenceRecent {
		r.Recent = r.Recent[len(r.Recent)-sequenceRecent:]
	}
	return true, s.save()
}

// choose picks this run's offset at its first new segment; for a segment
// already published it reports true and leaves the choice to the next.
func (r *seqRendition) choose(rec seqRecord, seg *live.Segment) bool {
	for _, old := range r.Recent {
		if old.Source == rec.Source && old.TimeMS == rec.TimeMS && old.SHA256 == rec.SHA256 {
			r.offset, r.matched = old.Published-old.Source, true
			return true
		}
	}
	r.decided = true
	switch {
	case r.matched:
		// The run continues the last one: keep the recognised offset.
	case r.Next == 0 && len(r.Recent) == 0:
		r.offset = 0 // nothing published yet: the source's numbering
	default:
		r.offset = r.Next - seg.Sequence
		seg.Discontinuity = true
	}
	return false
}

// save writes the state atomically and durably: a restart must never
// reuse a number viewers have seen.
func (s *sequencer) save() error {
	if s.path == "" {
		return nil
	}
	st := seqState{}
	for _, r := range s.rends {
		st.Renditions = append(st.Renditions, r)
	}
	sort.Slice(st.Renditions, func(i, j int) bool { return st.Renditions[i].Rendition < st.Renditions[j].Rendition })
	raw, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("node: save live sequence state: %w", err)
	}
	return writeFileSync(s.path, raw)
}

// writeFileSync replaces path with data: a temporary file beside it is
// written, synced and renamed over it, and the folder synced.
func writeFileSync(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("node: save %s: %w", path, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("node: save %s: %w", path, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

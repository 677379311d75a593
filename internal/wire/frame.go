package wire

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
)

// frameHeaderLen is the length prefix's size.
const frameHeaderLen = 4

// DefaultMaxFrame is the frame length limit a Reader applies when given 0.
// It admits the largest Data, LiveData, Bitfield, Manifest, Peers and
// Announce messages.
const DefaultMaxFrame = MaxBlockSize + 64

// AppendFrame appends m as one frame (length prefix, type byte, payload) to b.
func AppendFrame(b []byte, m Message) []byte {
	start := len(b)
	b = append(b, 0, 0, 0, 0, byte(m.Type()))
	b = m.Append(b)
	binary.BigEndian.PutUint32(b[start:], uint32(len(b)-start-frameHeaderLen))
	return b
}

// AppendKeepAlive appends a keep-alive frame (a zero length prefix) to b.
func AppendKeepAlive(b []byte) []byte { return append(b, 0, 0, 0, 0) }

// AppendDataHeader appends the frame header and fixed fields of a Data
// message whose n payload bytes the caller appends next, for example by
// reading a block from disk straight into b[len(b):len(b)+n]. Once the n
// bytes follow, the result equals AppendFrame(b, Data{index, begin, payload}).
func AppendDataHeader(b []byte, index, begin uint32, n int) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(1+dataHeaderLen+n))
	b = append(b, byte(TypeData))
	b = binary.BigEndian.AppendUint32(b, index)
	return binary.BigEndian.AppendUint32(b, begin)
}

// Reader reads framed messages from a stream. It is not safe for concurrent
// use.
type Reader struct {
	r   *bufio.Reader
	max int
	hdr [frameHeaderLen]byte
}

// NewReader returns a Reader over r that rejects frames longer than maxFrame
// bytes (type byte plus payload). A maxFrame of 0 or less means
// DefaultMaxFrame. The Reader buffers r, so it may read past the last frame
// it returns.
func NewReader(r io.Reader, maxFrame int) *Reader {
	if maxFrame <= 0 {
		maxFrame = DefaultMaxFrame
	}
	return &Reader{r: bufio.NewReader(r), max: maxFrame}
}

// ReadMessage returns the next message, skipping keep-alives. Each frame is
// read into a freshly allocated buffer, so the caller may keep the byte
// slices of the result (Data.Payload and the like).
//
// It returns io.EOF when the stream ends cleanly between frames and
// io.ErrUnexpectedEOF when it ends inside one. A length prefix above the
// limit yields an error wrapping ErrTooLarge before any body byte is read or
// allocated; the stream is then unusable. Parse errors wrap ErrMalformed or
// ErrUnknownType; the frame has been consumed, so the caller may choose to
// continue, though a peer sending them is misbehaving.
func (r *Reader) ReadMessage() (Message, error) {
	for {
		if _, err := io.ReadFull(r.r, r.hdr[:]); err != nil {
			return nil, err
		}
		n := binary.BigEndian.Uint32(r.hdr[:])
		if n == 0 {
			continue
		}
		if uint64(n) > uint64(r.max) {
			return nil, fmt.Errorf("%w: length %d exceeds %d", ErrTooLarge, n, r.max)
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(r.r, buf); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		return Parse(Type(buf[0]), buf[1:])
	}
}

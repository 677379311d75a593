package wire

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"
)

// maxSeed keeps the fuzzers' seeds small: mutating megabyte inputs is slow and
// finds nothing the boundary tests above do not already cover.
const maxSeed = 4 << 10

func FuzzParse(f *testing.F) {
	for _, tt := range roundTrips {
		if p := tt.msg.Append(nil); len(p) <= maxSeed {
			f.Add(byte(tt.typ), p)
		}
	}
	for _, tt := range rejects {
		if len(tt.payload) <= maxSeed {
			f.Add(byte(tt.typ), tt.payload)
		}
	}
	f.Fuzz(func(t *testing.T, typ byte, payload []byte) {
		m, err := Parse(Type(typ), payload)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnknownType) {
				t.Fatalf("Parse: got error %v, want one wrapping ErrMalformed or ErrUnknownType", err)
			}
			return
		}
		if m.Type() != Type(typ) {
			t.Fatalf("Parse(%d).Type(): got %v, want %v", typ, m.Type(), Type(typ))
		}
		enc := m.Append(nil)
		if !bytes.Equal(enc, payload) {
			t.Fatalf("Append(Parse(p)): got % x, want % x", enc, payload)
		}
		again, err := Parse(Type(typ), enc)
		if err != nil {
			t.Fatalf("Parse(Append(Parse(p))): got error %v, want nil", err)
		}
		if !reflect.DeepEqual(again, m) {
			t.Fatalf("Parse(Append(m)): got %+v, want %+v", again, m)
		}
	})
}

// fuzzMaxFrame bounds the frames FuzzReader accepts, so that a random length
// prefix does not cost a megabyte allocation per input.
const fuzzMaxFrame = 64 << 10

func FuzzReader(f *testing.F) {
	var all []byte
	for _, tt := range roundTrips {
		if fr := AppendFrame(nil, tt.msg); len(fr) <= maxSeed {
			f.Add(fr)
			all = AppendKeepAlive(append(all, fr...))
		}
	}
	f.Add(all)
	for _, tt := range rejects {
		if len(tt.payload) < maxSeed {
			f.Add(AppendFrame(nil, rawMessage{tt.typ, tt.payload}))
		}
	}
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, stream []byte) {
		r := NewReader(bytes.NewReader(stream), fuzzMaxFrame)
		rest := stream
		for {
			m, err := r.ReadMessage()
			rest = skipKeepAlives(rest)
			if err != nil {
				checkReadError(t, err, rest)
				return
			}
			fr := AppendFrame(nil, m)
			if !bytes.HasPrefix(rest, fr) {
				t.Fatalf("consumed bytes: got % x, want % x", rest[:min(len(rest), len(fr))], fr)
			}
			rest = rest[len(fr):]
		}
	})
}

// skipKeepAlives drops the keep-alive frames at the start of b.
func skipKeepAlives(b []byte) []byte {
	for len(b) >= 4 && b[0]|b[1]|b[2]|b[3] == 0 {
		b = b[4:]
	}
	return b
}

// checkReadError checks that a Reader error fits what is left of the stream.
func checkReadError(t *testing.T, err error, rest []byte) {
	t.Helper()
	switch {
	case err == io.EOF:
		if len(rest) != 0 {
			t.Fatalf("ReadMessage: got io.EOF with %d bytes unread, want them read", len(rest))
		}
	case err == io.ErrUnexpectedEOF, errors.Is(err, ErrTooLarge),
		errors.Is(err, ErrMalformed), errors.Is(err, ErrUnknownType):
		if len(rest) == 0 {
			t.Fatalf("ReadMessage: got %v at a clean end, want io.EOF", err)
		}
	default:
		t.Fatalf("ReadMessage: got unexpected error %v", err)
	}
}

// rawMessage frames arbitrary bytes under any type, for seeding bad frames.
type rawMessage struct {
	typ     Type
	payload []byte
}

func (m rawMessage) Type() Type             { return m.typ }
func (m rawMessage) Append(b []byte) []byte { return append(b, m.payload...) }

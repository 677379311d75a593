package wire

import (
	"bytes"
	"errors"
	"io"
	"math"
	"reflect"
	"runtime"
	"testing"
)

func TestAppendFrame(t *testing.T) {
	tests := []struct {
		msg  Message
		want []byte
	}{
		{Choke{}, []byte{0, 0, 0, 1, byte(TypeChoke)}},
		{Have{Index: 7}, []byte{0, 0, 0, 5, byte(TypeHave), 0, 0, 0, 7}},
		{Data{Index: 1, Begin: 2, Payload: []byte{3}}, []byte{0, 0, 0, 10, byte(TypeData), 0, 0, 0, 1, 0, 0, 0, 2, 3}},
	}
	for _, tt := range tests {
		got := AppendFrame([]byte("x"), tt.msg)
		if want := append([]byte("x"), tt.want...); !bytes.Equal(got, want) {
			t.Errorf("AppendFrame(%v): got % x, want % x", tt.msg.Type(), got, want)
		}
	}
	if got, want := AppendKeepAlive([]byte("x")), []byte("x\x00\x00\x00\x00"); !bytes.Equal(got, want) {
		t.Errorf("AppendKeepAlive: got % x, want % x", got, want)
	}
}

func TestAppendDataHeader(t *testing.T) {
	tests := []struct {
		index, begin uint32
		n            int
	}{
		{0, 0, 1},
		{1, 16 << 10, 16 << 10},
		{math.MaxUint32, math.MaxUint32, MaxBlockSize},
	}
	for _, tt := range tests {
		payload := fill(tt.n, 0xc3)
		want := AppendFrame([]byte("prefix"), Data{Index: tt.index, Begin: tt.begin, Payload: payload})
		got := AppendDataHeader([]byte("prefix"), tt.index, tt.begin, tt.n)
		got = append(got, payload...)
		if !bytes.Equal(got, want) {
			t.Errorf("AppendDataHeader(%d, %d, %d) + payload: got % x, want % x", tt.index, tt.begin, tt.n, got[:20], want[:20])
		}
	}
}

// TestReaderAll sends every round-trip message back to back, with keep-alives
// before, between and after, and reads them all back.
func TestReaderAll(t *testing.T) {
	stream := AppendKeepAlive(nil)
	for i, tt := range roundTrips {
		stream = AppendFrame(stream, tt.msg)
		if i%3 == 0 {
			stream = AppendKeepAlive(AppendKeepAlive(stream))
		}
	}
	stream = AppendKeepAlive(stream)
	r := NewReader(bytes.NewReader(stream), 0)
	for _, tt := range roundTrips {
		got, err := r.ReadMessage()
		if err != nil {
			t.Fatalf("%s: ReadMessage: got error %v, want nil", tt.name, err)
		}
		if !reflect.DeepEqual(got, tt.msg) {
			t.Fatalf("%s: ReadMessage: got %+v, want %+v", tt.name, brief(got), brief(tt.msg))
		}
	}
	for range 2 {
		if m, err := r.ReadMessage(); err != io.EOF {
			t.Fatalf("ReadMessage at end: got %v, %v, want nil, io.EOF", m, err)
		}
	}
}

// TestReaderFreshBuffers checks that a payload survives later reads.
func TestReaderFreshBuffers(t *testing.T) {
	a := Data{Index: 1, Payload: fill(100, 'a')}
	b := Data{Index: 2, Payload: fill(100, 'b')}
	r := NewReader(bytes.NewReader(AppendFrame(AppendFrame(nil, a), b)), 0)
	first, err := r.ReadMessage()
	if err != nil {
		t.Fatalf("first ReadMessage: got error %v, want nil", err)
	}
	if _, err := r.ReadMessage(); err != nil {
		t.Fatalf("second ReadMessage: got error %v, want nil", err)
	}
	if !reflect.DeepEqual(first, a) {
		t.Fatalf("first message after second read: got %+v, want %+v", first, a)
	}
}

func TestReaderErrors(t *testing.T) {
	have := AppendFrame(nil, Have{Index: 1})
	tests := []struct {
		name     string
		stream   []byte
		maxFrame int
		want     error
	}{
		{"empty", nil, 0, io.EOF},
		{"only keep-alives", AppendKeepAlive(AppendKeepAlive(nil)), 0, io.EOF},
		{"partial header", []byte{0, 0}, 0, io.ErrUnexpectedEOF},
		{"header only", have[:4], 0, io.ErrUnexpectedEOF},
		{"truncated body", have[:len(have)-1], 0, io.ErrUnexpectedEOF},
		{"truncated after keep-alive", append(AppendKeepAlive(nil), have[:6]...), 0, io.ErrUnexpectedEOF},
		{"max length", []byte{0xff, 0xff, 0xff, 0xff, 1}, 0, ErrTooLarge},
		{"one past default", u32(DefaultMaxFrame + 1), 0, ErrTooLarge},
		{"one past custom", u32(5), 4, ErrTooLarge},
		{"unknown type", []byte{0, 0, 0, 1, 0x63}, 0, ErrUnknownType},
		{"malformed", []byte{0, 0, 0, 2, byte(TypeHave), 0}, 0, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := NewReader(bytes.NewReader(tt.stream), tt.maxFrame).ReadMessage()
			if !errors.Is(err, tt.want) {
				t.Fatalf("ReadMessage: got error %v, want %v", err, tt.want)
			}
			if m != nil {
				t.Fatalf("ReadMessage: got message %T, want nil", m)
			}
		})
	}
}

func TestReaderLimitInclusive(t *testing.T) {
	// A 5-byte frame (type + 4-byte Have) passes a limit of exactly 5.
	r := NewReader(bytes.NewReader(AppendFrame(nil, Have{Index: 9})), 5)
	m, err := r.ReadMessage()
	if err != nil || m != (Have{Index: 9}) {
		t.Fatalf("ReadMessage: got %v, %v, want %v, nil", m, err, Have{Index: 9})
	}
}

func TestReaderContinuesAfterBadFrame(t *testing.T) {
	stream := append([]byte{0, 0, 0, 3, 0x63, 1, 2}, AppendFrame(nil, Unchoke{})...)
	r := NewReader(bytes.NewReader(stream), 0)
	if _, err := r.ReadMessage(); !errors.Is(err, ErrUnknownType) {
		t.Fatalf("first ReadMessage: got error %v, want %v", err, ErrUnknownType)
	}
	if m, err := r.ReadMessage(); err != nil || m != (Unchoke{}) {
		t.Fatalf("second ReadMessage: got %v, %v, want Unchoke, nil", m, err)
	}
}

// errSource fails every read with err.
type errSource struct{ err error }

func (s errSource) Read([]byte) (int, error) { return 0, s.err }

func TestReaderSourceError(t *testing.T) {
	boom := errors.New("boom")
	if _, err := NewReader(errSource{boom}, 0).ReadMessage(); !errors.Is(err, boom) {
		t.Fatalf("ReadMessage: got error %v, want %v", err, boom)
	}
}

// headerLoop yields the same frame header forever.
type headerLoop struct {
	hdr []byte
	off int
}

func (h *headerLoop) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = h.hdr[h.off]
		h.off = (h.off + 1) % len(h.hdr)
	}
	return len(p), nil
}

// TestReaderRejectsBeforeAllocating reads oversize headers repeatedly and
// checks that the bytes allocated per rejection are far below the claimed
// frame length: the body buffer is never allocated.
func TestReaderRejectsBeforeAllocating(t *testing.T) {
	const maxFrame = 1 << 20
	r := NewReader(&headerLoop{hdr: u32(maxFrame + 1)}, maxFrame)
	if _, err := r.ReadMessage(); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("ReadMessage: got error %v, want %v", err, ErrTooLarge)
	}
	const runs = 100
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		if _, err := r.ReadMessage(); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("ReadMessage: got error %v, want %v", err, ErrTooLarge)
		}
	}
	runtime.ReadMemStats(&after)
	if perRun := (after.TotalAlloc - before.TotalAlloc) / runs; perRun > 1024 {
		t.Fatalf("bytes allocated per rejected frame: got %d, want at most 1024", perRun)
	}
}

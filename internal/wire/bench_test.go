package wire

import (
	"bytes"
	"testing"
)

const benchBlock = 64 << 10

// loopReader replays data from a bytes.Reader forever.
type loopReader struct {
	r    *bytes.Reader
	data []byte
}

func (l *loopReader) Read(p []byte) (int, error) {
	if l.r.Len() == 0 {
		l.r.Reset(l.data)
	}
	return l.r.Read(p)
}

func BenchmarkReadData(b *testing.B) {
	frame := AppendFrame(nil, Data{Index: 1, Payload: fill(benchBlock, 0x42)})
	r := NewReader(&loopReader{r: bytes.NewReader(frame), data: frame}, 0)
	b.SetBytes(benchBlock)
	b.ReportAllocs()
	for b.Loop() {
		m, err := r.ReadMessage()
		if err != nil {
			b.Fatal(err)
		}
		if n := len(m.(Data).Payload); n != benchBlock {
			b.Fatalf("payload: got %d bytes, want %d", n, benchBlock)
		}
	}
}

func BenchmarkAppendFrameData(b *testing.B) {
	m := Data{Index: 1, Payload: fill(benchBlock, 0x42)}
	buf := AppendFrame(nil, m)
	b.SetBytes(benchBlock)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendFrame(buf[:0], m)
	}
}

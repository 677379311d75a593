package swarm

import (
	"testing"
	"unsafe"
)

// TestHotLayout pins the struct layouts that keep what a live input reads
// in few cache lines (see peer, Engine.live and liveSeg): in a large
// simulation nearly every input lands on a cold engine, and each line it
// reads is a miss. A change that breaks one of these costs CPU, not
// correctness: rearrange the fields rather than drop the check.
func TestHotLayout(t *testing.T) {
	var p peer
	// 320 bytes is a size class whose objects start on a cache line.
	if s := unsafe.Sizeof(p); s <= 288 || s > 320 {
		t.Errorf("peer is %d bytes, want 289..320 (the 320-byte size class)", s)
	}
	if end := unsafe.Offsetof(p.up) + unsafe.Sizeof(p.up); end > 128 {
		t.Errorf("peer's meters end at byte %d, want within its first two lines", end)
	}
	var e Engine
	l := unsafe.Offsetof(e.liveMem)
	if off := unsafe.Offsetof(e.live); off != 0 {
		t.Errorf("Engine.live at byte %d, want 0", off)
	}
	if end := l + unsafe.Offsetof(e.liveMem.win) + unsafe.Sizeof(e.liveMem.win); end > 64 {
		t.Errorf("the live slot table and windows end at byte %d of the engine, want within its first line", end)
	}
	if end := l + unsafe.Offsetof(e.liveMem.winMem) + unsafe.Sizeof(e.liveMem.winMem); end > 128 {
		t.Errorf("the first window ends at byte %d of the engine, want within its first two lines", end)
	}
	if end := l + unsafe.Offsetof(e.liveMem.hasEpoch) + 1; end > 192 {
		t.Errorf("the live clock ends at byte %d of the engine, want within its first three lines", end)
	}
	var s liveSeg
	if end := unsafe.Offsetof(s.held) + unsafe.Sizeof(s.held); end > 64 {
		t.Errorf("liveSeg's held table ends at byte %d, want within its first line", end)
	}
}

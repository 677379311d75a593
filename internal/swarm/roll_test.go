package swarm

import (
	"testing"
	"time"
)

// TestLiveTickRollsDueMeters checks that a live engine's Tick, which skips
// peers whose meters cannot close a sample yet, still closes every sample
// on the first Tick at least rateSample after it opened: for a busy peer,
// an idle one and one that joined later.
func TestLiveTickRollsDueMeters(t *testing.T) {
	_, e := liveViewer(t, "busy", "idle")
	e.Tick(epoch) // opens both peers' samples
	busy, idle := e.peers["busy"], e.peers["idle"]
	idle.down.rate = 1000 // decays once its empty sample closes
	busy.down.add(50_000, epoch.Add(300*time.Millisecond))
	e.AddPeer("late", epoch.Add(400*time.Millisecond))
	late := e.peers["late"]

	e.Tick(epoch.Add(900 * time.Millisecond))
	if busy.down.rate != 0 || idle.down.rate != 1000 {
		t.Fatalf("before a second: rates %v and %v, want 0 and 1000 (no sample closed)", busy.down.rate, idle.down.rate)
	}
	if late.down.last != epoch.Add(900*time.Millisecond) {
		t.Fatalf("late peer's sample opened at %v, want the first Tick after it joined", late.down.last)
	}
	e.Tick(epoch.Add(time.Second))
	if busy.down.rate == 0 {
		t.Error("busy peer's sample did not close at one second")
	}
	if idle.down.rate >= 1000 {
		t.Error("idle peer's rate did not decay at one second")
	}
	late.down.add(10_000, epoch.Add(1500*time.Millisecond))
	e.Tick(epoch.Add(1800 * time.Millisecond))
	if late.down.rate != 0 {
		t.Fatal("late peer's sample closed before a second")
	}
	e.Tick(epoch.Add(1900 * time.Millisecond))
	if late.down.rate == 0 {
		t.Error("late peer's sample did not close a second after it opened")
	}
}

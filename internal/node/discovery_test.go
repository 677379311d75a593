package node

import (
	"testing"
	"time"
)

func TestNextAnnounce(t *testing.T) {
	tests := []struct {
		interval time.Duration
		peers    int
		want     time.Duration
	}{
		{30 * time.Second, 0, quickAnnounce},
		{30 * time.Second, fewPeers - 1, quickAnnounce},
		{30 * time.Second, fewPeers, 30 * time.Second},
		{2 * time.Second, 0, 2 * time.Second},
		{0, 10, defaultAnnounce},
		{0, 0, quickAnnounce},
	}
	for _, tt := range tests {
		if got := nextAnnounce(tt.interval, tt.peers); got != tt.want {
			t.Errorf("nextAnnounce(%s, %d) = %s, want %s", tt.interval, tt.peers, got, tt.want)
		}
	}
}

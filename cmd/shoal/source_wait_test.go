package main

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/shoal-p2p/shoal/internal/live"
)

// scriptedSource returns its errors in turn, one per Run.
type scriptedSource struct {
	errs []error
	runs int
}

func (s *scriptedSource) Run(context.Context, chan<- live.Segment) error {
	err := s.errs[min(s.runs, len(s.errs)-1)]
	s.runs++
	return err
}

func TestPatientSource(t *testing.T) {
	other := errors.New("boom")
	tests := []struct {
		name     string
		errs     []error
		wait     time.Duration
		wantRuns int
		wantErr  error
	}{
		{"playlist appears", []error{live.ErrNoPlaylist, live.ErrNoPlaylist, nil}, time.Minute, 3, nil},
		{"no wait", []error{live.ErrNoPlaylist}, 0, 1, live.ErrNoPlaylist},
		{"other error at once", []error{other}, time.Minute, 1, other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &scriptedSource{errs: tt.errs}
			err := patientSource{inner: in, wait: tt.wait, say: io.Discard}.Run(context.Background(), nil)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("got %v, want %v", err, tt.wantErr)
			}
			if in.runs != tt.wantRuns {
				t.Errorf("got %d runs, want %d", in.runs, tt.wantRuns)
			}
		})
	}
}

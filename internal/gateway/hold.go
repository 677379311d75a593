package gateway

import (
	"errors"
	"net/http"
	"time"
)

// holdPoll is how often a held playlist request looks again.
const holdPoll = 200 * time.Millisecond

// held wraps a playlist handler so that, while nothing can be listed yet,
// the request waits up to Config.PlaylistHold (or until the client goes
// away) instead of being answered 503 at once. Handlers write nothing
// before returning a not-ready error, so trying again is safe.
func (s *Server) held(h handler) handler {
	if s.cfg.PlaylistHold <= 0 {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		deadline := time.Now().Add(s.cfg.PlaylistHold)
		for {
			err := h(w, r)
			if !errors.Is(err, errNotReady) || !time.Now().Add(holdPoll).Before(deadline) {
				return err
			}
			t := time.NewTimer(holdPoll)
			select {
			case <-r.Context().Done():
				t.Stop()
				return err
			case <-t.C:
			}
		}
	}
}

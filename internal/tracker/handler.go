package tracker

import (
	"encoding/json"
	"errors"
	"net/http"
)

// handlerFunc is an HTTP handler that returns its error instead of writing
// it; adapt turns the error into a status code and a JSON body.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// get restricts h to GET and HEAD.
func get(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			return ErrMethod
		}
		return h(w, r)
	}
}

// adapt is the one place where handler errors become HTTP answers:
// {"error": "..."} with the status statusOf picks. Server errors are logged
// and their details withheld from the client.
func (s *Server) adapt(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		code := statusOf(err)
		msg := err.Error()
		if code >= 500 {
			s.log.Error("tracker request failed", "path", r.URL.Path, "remote", r.RemoteAddr, "err", err)
			msg = "tracker: internal error"
		}
		body, _ := json.Marshal(errorBody{Error: msg})
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		w.Write(body)
	})
}

// statusOf maps an error to an HTTP status code.
func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrBadAnnounce):
		return http.StatusBadRequest
	case errors.Is(err, ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrMethod):
		return http.StatusMethodNotAllowed
	}
	return http.StatusInternalServerError
}

package swarm

import (
	"net/http"
	"strconv"
	"time"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/api/httputil"
	"github.com/wharf/wharf/internal/errs"
)

// logsHandler serves GET /services/{id}/logs (task false) and
// /tasks/{id}/logs.
func (s *Router) logsHandler(task bool) httputil.APIFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		o := backend.ServiceLogsOptions{
			Stdout: httputil.BoolValue(r, "stdout"), Stderr: httputil.BoolValue(r, "stderr"),
			Follow: httputil.BoolValue(r, "follow"), Timestamps: httputil.BoolValue(r, "timestamps"),
			Details: httputil.BoolValue(r, "details"), Tail: -1,
		}
		if !o.Stdout && !o.Stderr {
			return errs.Invalid("Bad parameters: you must choose at least one stream")
		}
		if t := q.Get("tail"); t != "" && t != "all" {
			n, err := strconv.Atoi(t)
			if err != nil || n < 0 {
				return errs.Invalid(`tail value must be a positive integer or "all"`)
			}
			o.Tail = n
		}
		if v := q.Get("since"); v != "" && v != "0" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return errs.Invalid("invalid timestamp %q", v)
			}
			sec := int64(f)
			o.Since = time.Unix(sec, int64((f-float64(sec))*1e9))
		}
		id := r.PathValue("id")
		tty, err := s.backend.LogsTTY(r.Context(), id, task)
		if err != nil {
			return err
		}
		stdout, stderr, contentType := httputil.StreamWriters(w, tty)
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(http.StatusOK)
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		// Headers are out: an error can only end the stream, as in docker.
		_ = s.backend.Logs(r.Context(), id, task, o, stdout, stderr)
		return nil
	}
}

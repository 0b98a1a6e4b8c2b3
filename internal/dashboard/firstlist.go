package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
)

// maxFirstList bounds the container list a login answers with (a list
// of thousands is left for the page to ask for itself).
const maxFirstList = 8 << 20

// containerList is what GET /containers/json?all=1 answers, asked of the
// Engine API's own handler as the page would ask it through /api/, so it
// is what the docker CLI sees. A login link's page asks for it with its
// login (With "containers"): its first view then waits on one request,
// not on a login and then a list. nil if the API fails or answers too
// much; the page then asks itself, and shows the API's error.
func (s *Server) containerList(ctx context.Context) json.RawMessage {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "/containers/json?all=1", nil)
	if err != nil {
		return nil
	}
	rec := &bufferedResponse{header: http.Header{}, status: http.StatusOK}
	s.api.ServeHTTP(rec, req)
	body := rec.body.Bytes()
	if rec.status != http.StatusOK || rec.body.Len() > maxFirstList || !json.Valid(body) {
		return nil
	}
	return body
}

// bufferedResponse keeps what a handler writes (up to one byte past
// maxFirstList).
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }
func (b *bufferedResponse) WriteHeader(status int) {
	b.status = status
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if room := maxFirstList + 1 - b.body.Len(); len(p) > room {
		b.body.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return b.body.Write(p)
}

package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/containerd/errdefs"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/jsonstream"

	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/filters"
)

// ImageBackend is what the image routes need from the image service.
type ImageBackend interface {
	Ping(ctx context.Context) error
	List(ctx context.Context, f filters.Args) ([]imagetypes.Summary, error)
	Inspect(ctx context.Context, ref string) (*imagetypes.InspectResponse, error)
	History(ctx context.Context, ref string) ([]imagetypes.HistoryResponseItem, error)
	Tag(ctx context.Context, ref, repo, tag string) error
	Delete(ctx context.Context, ref string, force, noprune bool) ([]imagetypes.DeleteResponse, error)
	Prune(ctx context.Context, f filters.Args) (imagetypes.PruneReport, error)
	Import(ctx context.Context, src io.Reader, repo, tag, msg string, changes []string) (string, error)
	Load(ctx context.Context, src io.Reader, report func(line string)) error
	Save(ctx context.Context, refs []string, w io.Writer) error
}

// imageRoutes registers the /images endpoints. Image names contain slashes
// ("localhost:5000/team/app:1.2"), which a ServeMux wildcard cannot match in
// the middle of a path, so everything under /images/ that is not a fixed
// route goes to one handler per method that splits off the action suffix.
func (s *Server) imageRoutes() {
	s.handle("GET /images/json", s.imageList)
	s.handle("GET /images/get", s.imageSaveMany)
	s.handle("GET /images/search", notImplemented("searching registries is not implemented yet"))
	s.handle("POST /images/create", s.imageCreate)
	s.handle("POST /images/load", s.imageLoad)
	s.handle("POST /images/prune", s.imagePrune)
	s.handle("GET /images/{rest...}", s.imageGet)
	s.handle("POST /images/{rest...}", s.imagePost)
	s.handle("DELETE /images/{rest...}", s.imageDelete)
	s.registryRoutes()
}

func notImplemented(msg string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return errs.Wrap(errdefs.ErrNotImplemented, errors.New(msg))
	}
}

// splitAction splits "name/with/slashes/json" into the name and "json".
func splitAction(rest string, actions ...string) (name, action string) {
	for _, a := range actions {
		if n, ok := strings.CutSuffix(rest, "/"+a); ok && n != "" {
			return n, a
		}
	}
	return rest, ""
}

func (s *Server) imageGet(w http.ResponseWriter, r *http.Request) error {
	name, action := splitAction(r.PathValue("rest"), "json", "history", "get")
	ctx := r.Context()
	switch action {
	case "json":
		resp, err := s.b.Images.Inspect(ctx, name)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, resp)
	case "history":
		resp, err := s.b.Images.History(ctx, name)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, resp)
	case "get":
		return s.imageSave(w, r, []string{name})
	}
	return errs.NotFound("page not found")
}

func (s *Server) imagePost(w http.ResponseWriter, r *http.Request) error {
	name, action := splitAction(r.PathValue("rest"), "tag", "push")
	switch action {
	case "tag":
		q := r.URL.Query()
		if err := s.b.Images.Tag(r.Context(), name, q.Get("repo"), q.Get("tag")); err != nil {
			return err
		}
		w.WriteHeader(http.StatusCreated)
		return nil
	case "push":
		return s.imagePush(w, r, name)
	}
	return errs.NotFound("page not found")
}

func (s *Server) imageDelete(w http.ResponseWriter, r *http.Request) error {
	resp, err := s.b.Images.Delete(r.Context(), r.PathValue("rest"), boolValue(r, "force"), boolValue(r, "noprune"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, resp)
}

func (s *Server) imageList(w http.ResponseWriter, r *http.Request) error {
	f, err := filtersValue(r)
	if err != nil {
		return err
	}
	// Old clients send ?filter=name as a reference filter.
	if v := r.URL.Query().Get("filter"); v != "" {
		f.Add("reference", v)
	}
	list, err := s.b.Images.List(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

func (s *Server) imagePrune(w http.ResponseWriter, r *http.Request) error {
	f, err := filtersValue(r)
	if err != nil {
		return err
	}
	rep, err := s.b.Images.Prune(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}

// imageCreate is "docker import" (fromSrc) and, later, "docker pull" (fromImage).
func (s *Server) imageCreate(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if q.Get("fromImage") != "" {
		return s.imagePull(w, r)
	}
	src := q.Get("fromSrc")
	if src != "-" {
		return errs.Invalid("importing from a URL is not supported; send the tarball in the request body (fromSrc=-)")
	}
	msg := q.Get("message")
	if msg == "" {
		msg = "Imported from " + src
	}
	id, err := s.b.Images.Import(r.Context(), r.Body, q.Get("repo"), q.Get("tag"), msg, q["changes"])
	if err != nil {
		return err
	}
	st := newStream(w)
	st.send(jsonstream.Message{Status: id})
	return nil
}

func (s *Server) imageLoad(w http.ResponseWriter, r *http.Request) error {
	st := newStream(w)
	err := s.b.Images.Load(r.Context(), r.Body, func(line string) {
		st.send(jsonstream.Message{Stream: line})
	})
	if err != nil && !st.started {
		return err
	}
	if err != nil {
		st.fail(err)
	}
	return nil
}

func (s *Server) imageSaveMany(w http.ResponseWriter, r *http.Request) error {
	return s.imageSave(w, r, r.URL.Query()["names"])
}

func (s *Server) imageSave(w http.ResponseWriter, r *http.Request, names []string) error {
	out := &lazyWriter{w: w, contentType: "application/x-tar"}
	err := s.b.Images.Save(r.Context(), names, out)
	if err != nil && !out.started {
		return err
	}
	if err != nil {
		// Too late for an error status: the tar is cut short, which the
		// client notices as a truncated archive.
		s.log.Error("image save", "err", err)
	}
	return nil
}

// lazyWriter sends the 200 header with the first byte, so an error found
// before any output can still become an error status.
type lazyWriter struct {
	w           http.ResponseWriter
	contentType string
	started     bool
}

func (l *lazyWriter) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		l.w.Header().Set("Content-Type", l.contentType)
		l.w.WriteHeader(http.StatusOK)
	}
	return l.w.Write(p)
}

// stream writes newline-delimited JSON progress messages, flushing each.
type stream struct {
	w       http.ResponseWriter
	enc     *json.Encoder
	started bool
}

func newStream(w http.ResponseWriter) *stream {
	return &stream{w: w, enc: json.NewEncoder(w)}
}

func (st *stream) send(m any) {
	if !st.started {
		st.started = true
		st.w.Header().Set("Content-Type", "application/json")
		st.w.WriteHeader(http.StatusOK)
	}
	_ = st.enc.Encode(m)
	if f, ok := st.w.(http.Flusher); ok {
		f.Flush()
	}
}

// fail reports an error inside an already started stream; "error" is
// kept beside errorDetail for older clients.
func (st *stream) fail(err error) {
	st.send(struct {
		jsonstream.Message
		ErrorMessage string `json:"error,omitempty"`
	}{jsonstream.Message{Error: &jsonstream.Error{Message: err.Error()}}, err.Error()})
}

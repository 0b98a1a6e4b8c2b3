package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	registrytypes "github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client/pkg/progress"
	"github.com/moby/moby/client/pkg/streamformatter"

	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/image"
)

// RegistryBackend is what pull, push and login need. The image service
// implements it; backends without it answer "not implemented".
type RegistryBackend interface {
	Pull(ctx context.Context, ref image.Reference, o image.PullOptions, out progress.Output) error
	PullAllTags(ctx context.Context, repo image.Reference, o image.PullOptions, out progress.Output) error
	Push(ctx context.Context, repo, tag string, o image.PushOptions, out progress.Output) error
	Login(ctx context.Context, ac registrytypes.AuthConfig) (registrytypes.AuthResponse, error)
}

func (s *Server) registryRoutes() {
	s.handle("POST /auth", s.auth)
}

func (s *Server) registry() (RegistryBackend, error) {
	rb, ok := s.b.Images.(RegistryBackend)
	if !ok {
		return nil, errs.Wrap(errdefs.ErrNotImplemented, errors.New("registries are not supported by this image backend"))
	}
	return rb, nil
}

// progressWriter sends the 200 header with the first byte and flushes every
// write, so progress reaches the client as it happens.
type progressWriter struct {
	w       http.ResponseWriter
	started bool
}

func (f *progressWriter) Write(p []byte) (int, error) {
	if !f.started {
		f.started = true
		f.w.Header().Set("Content-Type", "application/json")
		f.w.WriteHeader(http.StatusOK)
	}
	n, err := f.w.Write(p)
	if fl, ok := f.w.(http.Flusher); ok {
		fl.Flush()
	}
	return n, err
}

// streamResult reports err as an error status if nothing was sent yet,
// else inside the JSON stream, as dockerd does.
func streamResult(w http.ResponseWriter, fw *progressWriter, err error) error {
	if err == nil {
		return nil
	}
	if !fw.started {
		return err
	}
	st := newStream(w)
	st.started = true // the header went with the first progress line
	st.fail(err)
	return nil
}

// imagePull is POST /images/create?fromImage=&tag=&platform=.
func (s *Server) imagePull(w http.ResponseWriter, r *http.Request) error {
	rb, err := s.registry()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	ref, err := image.PullRef(q.Get("fromImage"), q.Get("tag"))
	if err != nil {
		return err
	}
	ac, err := image.DecodeAuth(r.Header.Get("X-Registry-Auth"))
	if err != nil {
		return err
	}
	fw := &progressWriter{w: w}
	out := streamformatter.NewJSONProgressOutput(fw, false)
	o := image.PullOptions{Platform: q.Get("platform"), Auth: ac}
	// As dockerd: a name without tag or digest (pull --all-tags) means
	// every tag.
	named, _ := reference.ParseNormalizedNamed(q.Get("fromImage")) // checked by PullRef
	if q.Get("tag") == "" && reference.IsNameOnly(named) {
		err = rb.PullAllTags(r.Context(), reference.TrimNamed(ref), o, out)
	} else {
		err = rb.Pull(r.Context(), ref, o, out)
	}
	return streamResult(w, fw, err)
}

// imagePush is POST /images/{name}/push?tag=.
func (s *Server) imagePush(w http.ResponseWriter, r *http.Request, name string) error {
	rb, err := s.registry()
	if err != nil {
		return err
	}
	ac, err := image.DecodeAuth(r.Header.Get("X-Registry-Auth"))
	if err != nil {
		return err
	}
	fw := &progressWriter{w: w}
	out := streamformatter.NewJSONProgressOutput(fw, false)
	err = rb.Push(r.Context(), name, r.URL.Query().Get("tag"), image.PushOptions{Auth: ac}, out)
	return streamResult(w, fw, err)
}

// auth is POST /auth: check credentials against a registry.
func (s *Server) auth(w http.ResponseWriter, r *http.Request) error {
	rb, err := s.registry()
	if err != nil {
		return err
	}
	var ac registrytypes.AuthConfig
	if err := readJSON(r, &ac); err != nil {
		return err
	}
	resp, err := rb.Login(r.Context(), ac)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, resp)
}

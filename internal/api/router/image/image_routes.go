package image

import (
	"errors"
	"net/http"
	"strings"

	"github.com/containerd/errdefs"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/jsonstream"

	"github.com/wharf/wharf/internal/api/compat"
	"github.com/wharf/wharf/internal/api/httputil"
	"github.com/wharf/wharf/internal/errs"
)

func notImplemented(msg string) httputil.APIFunc {
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

// inspectWithParent adds the Parent that dockerd still sends for images
// of the classic builder and commit (the API's Go type dropped it).
type inspectWithParent struct {
	*imagetypes.InspectResponse
	Parent string `json:",omitempty"`
}

func (s *Router) imageGet(w http.ResponseWriter, r *http.Request) error {
	name, action := splitAction(r.PathValue("rest"), "json", "history", "get", "attestations")
	ctx := r.Context()
	switch action {
	case "json":
		resp, err := s.backend.Inspect(ctx, name)
		if err != nil {
			return err
		}
		return compat.WriteJSON(w, r, http.StatusOK, compat.ImageInspect, inspectWithParent{resp, s.backend.ParentOf(ctx, resp.ID)})
	case "history":
		resp, err := s.backend.History(ctx, name)
		if err != nil {
			return err
		}
		return httputil.WriteJSON(w, http.StatusOK, resp)
	case "get":
		return s.imageSave(w, r, []string{name})
	case "attestations":
		// Wharf keeps no attestation manifests: an image has none.
		if _, err := s.backend.Inspect(ctx, name); err != nil {
			return err
		}
		return httputil.WriteJSON(w, http.StatusOK, []struct{}{})
	}
	return errs.NotFound("page not found")
}

func (s *Router) imagePost(w http.ResponseWriter, r *http.Request) error {
	name, action := splitAction(r.PathValue("rest"), "tag", "push")
	switch action {
	case "tag":
		q := r.URL.Query()
		if err := s.backend.Tag(r.Context(), name, q.Get("repo"), q.Get("tag")); err != nil {
			return err
		}
		w.WriteHeader(http.StatusCreated)
		return nil
	case "push":
		return s.imagePush(w, r, name)
	}
	return errs.NotFound("page not found")
}

func (s *Router) imageDelete(w http.ResponseWriter, r *http.Request) error {
	resp, err := s.backend.Delete(r.Context(), r.PathValue("rest"), httputil.BoolValue(r, "force"), httputil.BoolValue(r, "noprune"))
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, resp)
}

func (s *Router) imageList(w http.ResponseWriter, r *http.Request) error {
	f, err := httputil.FiltersValue(r)
	if err != nil {
		return err
	}
	// Clients before 1.41 may send ?filter=name, a reference filter.
	if v := r.URL.Query().Get("filter"); v != "" && compat.Before(r.Context(), compat.ImageListFilterParam) && !f.Has("reference") {
		f.Add("reference", v)
	}
	list := s.backend.List
	if httputil.BoolValue(r, "all") {
		list = s.backend.ListAll
	}
	images, err := list(r.Context(), f)
	if err != nil {
		return err
	}
	return compat.WriteJSON(w, r, http.StatusOK, compat.ImageList, images)
}

// imageCreate is "docker import" (fromSrc) and, later, "docker pull" (fromImage).
func (s *Router) imageCreate(w http.ResponseWriter, r *http.Request) error {
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
	id, err := s.backend.Import(r.Context(), r.Body, q.Get("repo"), q.Get("tag"), msg, q["changes"])
	if err != nil {
		return err
	}
	st := httputil.NewJSONStream(w)
	st.Send(jsonstream.Message{Status: id})
	return nil
}

func (s *Router) imageLoad(w http.ResponseWriter, r *http.Request) error {
	st := httputil.NewJSONStream(w)
	err := s.backend.Load(r.Context(), r.Body, func(line string) {
		st.Send(jsonstream.Message{Stream: line})
	})
	// As dockerd: whatever went wrong is told inside the stream, under a
	// 200, which the docker CLI prints as it is and docker-py raises as
	// ImageLoadError.
	if err != nil {
		st.Fail(err)
	}
	return nil
}

func (s *Router) imageSaveMany(w http.ResponseWriter, r *http.Request) error {
	return s.imageSave(w, r, r.URL.Query()["names"])
}

func (s *Router) imageSave(w http.ResponseWriter, r *http.Request, names []string) error {
	out := &lazyWriter{w: w, contentType: "application/x-tar"}
	err := s.backend.Save(r.Context(), names, out)
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

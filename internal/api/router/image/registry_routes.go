package image

import (
	"net/http"

	"github.com/distribution/reference"
	registrytypes "github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client/pkg/streamformatter"
	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/api/httputil"
	"github.com/wharf/wharf/internal/errs"
)

// streamResult reports err as an error status if nothing was sent yet,
// else inside the JSON stream, as dockerd does.
func streamResult(st *httputil.JSONStream, err error) error {
	if err == nil {
		return nil
	}
	if !st.Started() {
		return err
	}
	st.Fail(err)
	return nil
}

// imagePull is POST /images/create?fromImage=&tag=&platform=.
func (s *Router) imagePull(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	ref, err := pullRef(q.Get("fromImage"), q.Get("tag"))
	if err != nil {
		return err
	}
	ac, err := decodeAuth(r)
	if err != nil {
		return err
	}
	st := httputil.NewJSONStream(w)
	out := streamformatter.NewJSONProgressOutput(st, false)
	o := backend.ImagePullOptions{Platform: q.Get("platform"), Auth: ac}
	// As dockerd: a name without tag or digest (pull --all-tags) means
	// every tag.
	named, _ := reference.ParseNormalizedNamed(q.Get("fromImage")) // checked by pullRef
	if q.Get("tag") == "" && reference.IsNameOnly(named) {
		err = s.backend.PullAllTags(r.Context(), reference.TrimNamed(ref), o, out)
	} else {
		err = s.backend.Pull(r.Context(), ref, o, out)
	}
	return streamResult(st, err)
}

// imagePush is POST /images/{name}/push?tag=.
func (s *Router) imagePush(w http.ResponseWriter, r *http.Request, name string) error {
	ac, err := decodeAuth(r)
	if err != nil {
		return err
	}
	st := httputil.NewJSONStream(w)
	out := streamformatter.NewJSONProgressOutput(st, false)
	err = s.backend.Push(r.Context(), name, r.URL.Query().Get("tag"), backend.ImagePushOptions{Auth: ac}, out)
	return streamResult(st, err)
}

// auth is POST /auth: check credentials against a registry.
func (s *Router) auth(w http.ResponseWriter, r *http.Request) error {
	var ac registrytypes.AuthConfig
	if err := httputil.ReadJSON(r, &ac); err != nil {
		return err
	}
	resp, err := s.backend.Login(r.Context(), ac)
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, resp)
}

// decodeAuth reads the X-Registry-Auth header: base64url JSON of an
// AuthConfig. No header means anonymous.
func decodeAuth(r *http.Request) (registrytypes.AuthConfig, error) {
	var ac registrytypes.AuthConfig
	err := httputil.DecodeHeader(r, "X-Registry-Auth", &ac)
	return ac, err
}

// pullRef builds the reference for POST /images/create?fromImage=&tag=
// the way dockerd does: tag may also be a digest; no tag means "latest".
func pullRef(fromImage, tag string) (reference.Named, error) {
	named, err := reference.ParseNormalizedNamed(fromImage)
	if err != nil {
		return nil, errs.InvalidReference(err)
	}
	if tag != "" {
		if d, err := digest.Parse(tag); err == nil {
			if _, ok := named.(reference.Digested); ok {
				return nil, errs.Invalid("invalid reference format: image has both a digest and a digest tag")
			}
			named, err = reference.WithDigest(reference.TrimNamed(named), d)
			if err != nil {
				return nil, errs.Invalid("%v", err)
			}
		} else {
			named, err = reference.WithTag(reference.TrimNamed(named), tag)
			if err != nil {
				return nil, errs.InvalidReference(err)
			}
		}
	}
	return reference.TagNameOnly(named), nil
}

// Package distribution is the router of GET /distribution/{name}/json:
// what a registry holds for an image name, without pulling it.
package distribution

import (
	"context"
	"net/http"
	"strings"

	"github.com/distribution/reference"
	registrytypes "github.com/moby/moby/api/types/registry"

	"github.com/wharf/wharf/internal/api/httputil"
	"github.com/wharf/wharf/internal/api/router"
	"github.com/wharf/wharf/internal/errs"
)

// Backend asks a registry about an image; the image service implements it.
type Backend interface {
	DistributionInspect(ctx context.Context, ref reference.Named, auth registrytypes.AuthConfig) (registrytypes.DistributionInspect, error)
}

// Router serves the route over a Backend.
type Router struct {
	backend Backend
}

// NewRouter returns the distribution router over b.
func NewRouter(b Backend) *Router { return &Router{backend: b} }

// Routes implements router.Router. Names have slashes, so the route takes
// the rest of the path and cuts the "/json" off it.
func (s *Router) Routes() []router.Route {
	return []router.Route{router.Get("/distribution/{rest...}", s.getDistributionInfo)}
}

func (s *Router) getDistributionInfo(w http.ResponseWriter, r *http.Request) error {
	name, ok := strings.CutSuffix(r.PathValue("rest"), "/json")
	if !ok || name == "" {
		return errs.NotFound("page not found")
	}
	ref, err := reference.ParseAnyReference(name)
	if err != nil {
		return errs.Invalid("%v", err)
	}
	named, ok := ref.(reference.Named)
	if !ok {
		if _, ok := ref.(reference.Digested); ok {
			return errs.Invalid("no manifest found for full image ID")
		}
		return errs.Invalid("unknown image reference format: %s", name)
	}
	// As dockerd: credentials that do not decode are ignored, not refused.
	var auth registrytypes.AuthConfig
	if err := httputil.DecodeHeader(r, registrytypes.AuthHeader, &auth); err != nil {
		auth = registrytypes.AuthConfig{}
	}
	info, err := s.backend.DistributionInspect(r.Context(), named, auth)
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, info)
}

package unsupported

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/plugin"

	"github.com/wharf/wharf/internal/api/httputil"
	"github.com/wharf/wharf/internal/errs"
)

// Wharf has no plugins: the list is empty, every named plugin is not
// found, in dockerd's words, and installing one is not implemented.

func listPlugins(w http.ResponseWriter, r *http.Request) error {
	f, err := httputil.FiltersValue(r)
	if err != nil {
		return err
	}
	if err := f.Validate("enabled", "capability"); err != nil {
		return errs.Invalid("%v", err)
	}
	for _, v := range f.Get("enabled") {
		if _, err := strconv.ParseBool(v); err != nil {
			return errs.Invalid("Invalid filter 'enabled=%s'", v)
		}
	}
	return httputil.WriteJSON(w, http.StatusOK, plugin.ListResponse{})
}

func pluginNotFound(name string) error {
	return errs.NotFound("plugin %q not found", name)
}

var errNoPlugins = errs.Wrap(errdefs.ErrNotImplemented, errors.New("plugins are not supported by this daemon"))

// checkRemote refuses a "remote" parameter that is not a reference, with
// dockerd's error.
func checkRemote(r *http.Request) error {
	if _, err := reference.ParseNormalizedNamed(r.URL.Query().Get("remote")); err != nil {
		return errs.Invalid("%v", err)
	}
	return nil
}

func pluginPrivileges(w http.ResponseWriter, r *http.Request) error {
	if err := checkRemote(r); err != nil {
		return err
	}
	return errNoPlugins
}

func pluginFromRegistry(w http.ResponseWriter, r *http.Request) error {
	if err := checkRemote(r); err != nil {
		return err
	}
	return errNoPlugins
}

func pluginCreate(w http.ResponseWriter, r *http.Request) error {
	return errNoPlugins
}

// splitAction splits "vieux/sshfs:latest/enable" into name and action.
func splitAction(rest string, actions ...string) (name, action string) {
	for _, a := range actions {
		if n, ok := strings.CutSuffix(rest, "/"+a); ok && n != "" {
			return n, a
		}
	}
	return rest, ""
}

func pluginGet(w http.ResponseWriter, r *http.Request) error {
	name, action := splitAction(r.PathValue("rest"), "json")
	if action == "" {
		return errs.NotFound("page not found")
	}
	return pluginNotFound(name)
}

func pluginPost(w http.ResponseWriter, r *http.Request) error {
	name, action := splitAction(r.PathValue("rest"), "enable", "disable", "push", "upgrade", "set")
	switch action {
	case "":
		return errs.NotFound("page not found")
	case "enable":
		// dockerd reads the timeout first; the CLI always sends one.
		if _, err := strconv.Atoi(r.URL.Query().Get("timeout")); err != nil {
			return errs.Invalid("%v", err)
		}
	case "upgrade":
		if err := checkRemote(r); err != nil {
			return err
		}
	}
	return pluginNotFound(name)
}

func pluginDelete(w http.ResponseWriter, r *http.Request) error {
	return pluginNotFound(r.PathValue("rest"))
}

package network

import (
	"net/http"
	"strings"
	"time"

	"github.com/moby/moby/api/types/network"

	"github.com/wharf/wharf/internal/api/compat"
	"github.com/wharf/wharf/internal/api/httputil"
	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/filters"
)

func (s *Router) getNetworks(w http.ResponseWriter, r *http.Request) error {
	f, err := httputil.FiltersValue(r)
	if err != nil {
		return err
	}
	if err := f.Validate("dangling", "driver", "id", "label", "name", "scope", "type"); err != nil {
		return errs.Invalid("%v", err)
	}
	out := []network.Inspect{}
	for _, n := range s.backend.List(r.Context()) {
		if networkMatches(f, n) {
			out = append(out, n)
		}
	}
	return compat.WriteJSON(w, r, http.StatusOK, compat.NetworkList, out)
}

// networkMatches applies GET /networks filters: name, id (prefixes),
// driver, label, type (custom or builtin).
func networkMatches(f filters.Args, n network.Inspect) bool {
	if f.Has("name") && !anyOf(f.Get("name"), func(v string) bool { return strings.Contains(n.Name, v) }) {
		return false
	}
	if f.Has("id") && !anyOf(f.Get("id"), func(v string) bool { return strings.HasPrefix(n.ID, v) }) {
		return false
	}
	if !f.Exact("driver", n.Driver) || !f.Exact("scope", n.Scope) || !f.Labels("label", n.Labels) {
		return false
	}
	if f.Has("type") {
		builtin := n.Name == network.NetworkBridge || n.Name == network.NetworkHost || n.Name == network.NetworkNone
		if !anyOf(f.Get("type"), func(v string) bool { return (v == "builtin") == builtin }) {
			return false
		}
	}
	return true
}

func anyOf(vs []string, ok func(string) bool) bool {
	for _, v := range vs {
		if ok(v) {
			return true
		}
	}
	return false
}

func (s *Router) postNetworksCreate(w http.ResponseWriter, r *http.Request) error {
	body, err := httputil.ReadBody(r)
	if err != nil {
		return err
	}
	if err := checkIPAMAddresses(r.Context(), body); err != nil {
		return err
	}
	var req network.CreateRequest
	if err := httputil.DecodeJSON(body, &req); err != nil {
		return err
	}
	resp, err := s.backend.Create(r.Context(), req)
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusCreated, resp)
}

func (s *Router) getNetwork(w http.ResponseWriter, r *http.Request) error {
	n, err := s.backend.Inspect(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return compat.WriteJSON(w, r, http.StatusOK, compat.NetworkInspect, n)
}

func (s *Router) deleteNetwork(w http.ResponseWriter, r *http.Request) error {
	return httputil.NoContent(w, s.backend.Remove(r.Context(), r.PathValue("id")))
}

func (s *Router) postNetworkConnect(w http.ResponseWriter, r *http.Request) error {
	var req network.ConnectRequest
	if err := httputil.ReadJSON(r, &req); err != nil {
		return err
	}
	if ep := req.EndpointConfig; ep != nil {
		if compat.Before(r.Context(), compat.ConnectMacAddress) {
			ep.MacAddress = nil
		}
		if compat.Before(r.Context(), compat.ConnectGwPriority) {
			ep.GwPriority = 0
		}
	}
	if err := s.containers.ConnectNetwork(r.Context(), req.Container, r.PathValue("id"), req.EndpointConfig); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Router) postNetworkDisconnect(w http.ResponseWriter, r *http.Request) error {
	var req network.DisconnectRequest
	if err := httputil.ReadJSON(r, &req); err != nil {
		return err
	}
	if err := s.containers.DisconnectNetwork(r.Context(), req.Container, r.PathValue("id"), req.Force); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Router) postNetworksPrune(w http.ResponseWriter, r *http.Request) error {
	f, err := httputil.FiltersValue(r)
	if err != nil {
		return err
	}
	// dockerd's terms; others (and "until" before) were ignored, pruning
	// more than asked.
	if err := f.Validate("label", "label!", "until"); err != nil {
		return errs.Invalid("%v", err)
	}
	until, err := f.Time("until")
	if err != nil {
		return err
	}
	rep, err := s.backend.Prune(r.Context(), func(labels map[string]string, created time.Time) bool {
		if !until.IsZero() && !created.Before(until) {
			return false
		}
		for _, t := range f.Get("label!") {
			k, v, hasVal := strings.Cut(t, "=")
			if got, ok := labels[k]; ok && (!hasVal || got == v) {
				return false
			}
		}
		return f.Labels("label", labels)
	})
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, rep)
}

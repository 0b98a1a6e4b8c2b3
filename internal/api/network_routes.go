package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/wharf/wharf/internal/filters"
)

// NetworkBackend is what the network routes need.
type NetworkBackend interface {
	Create(ctx context.Context, req network.CreateRequest) (network.CreateResponse, error)
	List(ctx context.Context) []network.Inspect
	Inspect(ctx context.Context, ref string) (network.Inspect, error)
	Remove(ctx context.Context, ref string) error
	Prune(ctx context.Context, match func(labels map[string]string) bool) (network.PruneReport, error)
}

func (s *Server) networkRoutes() {
	if s.b.Networks == nil {
		return
	}
	s.handle("GET /networks", s.getNetworks)
	s.handle("POST /networks/create", s.postNetworksCreate)
	s.handle("POST /networks/prune", s.postNetworksPrune)
	s.handle("GET /networks/{id}", s.getNetwork)
	s.handle("DELETE /networks/{id}", s.deleteNetwork)
	s.handle("POST /networks/{id}/connect", s.postNetworkConnect)
	s.handle("POST /networks/{id}/disconnect", s.postNetworkDisconnect)
}

func (s *Server) getNetworks(w http.ResponseWriter, r *http.Request) error {
	f, err := filtersValue(r)
	if err != nil {
		return err
	}
	out := []network.Inspect{}
	for _, n := range s.b.Networks.List(r.Context()) {
		if networkMatches(f, n) {
			out = append(out, n)
		}
	}
	return writeJSON(w, http.StatusOK, out)
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
	if !f.Exact("driver", n.Driver) || !f.Labels("label", n.Labels) {
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

func (s *Server) postNetworksCreate(w http.ResponseWriter, r *http.Request) error {
	var req network.CreateRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	resp, err := s.b.Networks.Create(r.Context(), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, resp)
}

func (s *Server) getNetwork(w http.ResponseWriter, r *http.Request) error {
	n, err := s.b.Networks.Inspect(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, n)
}

func (s *Server) deleteNetwork(w http.ResponseWriter, r *http.Request) error {
	if err := s.b.Networks.Remove(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) postNetworkConnect(w http.ResponseWriter, r *http.Request) error {
	var req network.ConnectRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	if err := s.b.Containers.ConnectNetwork(r.Context(), req.Container, r.PathValue("id"), req.EndpointConfig); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) postNetworkDisconnect(w http.ResponseWriter, r *http.Request) error {
	var req network.DisconnectRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	if err := s.b.Containers.DisconnectNetwork(r.Context(), req.Container, r.PathValue("id"), req.Force); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) postNetworksPrune(w http.ResponseWriter, r *http.Request) error {
	f, err := filtersValue(r)
	if err != nil {
		return err
	}
	rep, err := s.b.Networks.Prune(r.Context(), func(labels map[string]string) bool { return f.Labels("label", labels) })
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}

// withLegacyNetwork adds the top-level NetworkSettings fields (IPAddress,
// Gateway, MacAddress…, from the default bridge) that dockerd sends to
// clients of API < 1.52, such as the docker CLI 28 and its templates
// ({{.NetworkSettings.IPAddress}}). Newer clients ignore them.
func withLegacyNetwork(r *http.Request, resp container.InspectResponse) any {
	if resp.NetworkSettings == nil {
		return resp
	}
	data, err := json.Marshal(resp)
	if err != nil {
		return resp
	}
	var m map[string]any
	if json.Unmarshal(data, &m) != nil {
		return resp
	}
	ns, _ := m["NetworkSettings"].(map[string]any)
	if ns == nil {
		return resp
	}
	legacy := map[string]any{
		"Bridge": "", "HairpinMode": false, "LinkLocalIPv6Address": "", "LinkLocalIPv6PrefixLen": 0,
		"SecondaryIPAddresses": nil, "SecondaryIPv6Addresses": nil, "EndpointID": "", "Gateway": "",
		"GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "IPAddress": "", "IPPrefixLen": 0,
		"IPv6Gateway": "", "MacAddress": "",
	}
	if ep := resp.NetworkSettings.Networks[network.NetworkBridge]; ep != nil && ep.IPAddress.IsValid() {
		legacy["EndpointID"] = ep.EndpointID
		legacy["Gateway"] = ep.Gateway.String()
		legacy["IPAddress"] = ep.IPAddress.String()
		legacy["IPPrefixLen"] = ep.IPPrefixLen
		legacy["MacAddress"] = ep.MacAddress.String()
	}
	for k, v := range legacy {
		ns[k] = v
	}
	return m
}

package swarm

import (
	"net/http"
	"strconv"

	"github.com/moby/moby/api/types/registry"
	types "github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client/pkg/versions"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/api/httputil"
	"github.com/wharf/wharf/internal/errs"
)

// maxBody bounds a request body: the largest legitimate one is a secret
// or config (500 KB in swarmkit), base64-encoded in JSON.
const maxBody = 4 << 20

func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	}
	return httputil.ReadJSON(r, v)
}

// version reads the "version" query parameter every update carries.
func version(r *http.Request, what string) (uint64, error) {
	raw := r.URL.Query().Get("version")
	v, err := strconv.ParseUint(raw, 10, 64)
	if err != nil {
		return 0, errs.Invalid("invalid %s version '%s': %v", what, raw, err)
	}
	return v, nil
}

func boolParam(r *http.Request, name string) (bool, error) {
	raw := r.URL.Query().Get(name)
	if raw == "" {
		return false, nil
	}
	v, err := strconv.ParseBool(raw)
	if err != nil {
		return false, errs.Invalid("invalid value for %s: %s", name, raw)
	}
	return v, nil
}

func (s *Router) initSwarm(w http.ResponseWriter, r *http.Request) error {
	var req types.InitRequest
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	v := httputil.VersionFromContext(r.Context())
	if versions.LessThan(v, "1.39") {
		req.DefaultAddrPool, req.SubnetSize = nil, 0
	}
	if versions.LessThan(v, "1.40") {
		req.DataPathPort = 0
	}
	id, err := s.backend.Init(r.Context(), req)
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, id)
}

func (s *Router) joinSwarm(w http.ResponseWriter, r *http.Request) error {
	var req types.JoinRequest
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	if err := s.backend.Join(r.Context(), req); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Router) leaveSwarm(w http.ResponseWriter, r *http.Request) error {
	if err := s.backend.Leave(r.Context(), httputil.BoolValue(r, "force")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Router) inspectSwarm(w http.ResponseWriter, r *http.Request) error {
	sw, err := s.backend.Inspect(r.Context())
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, sw)
}

func (s *Router) updateSwarm(w http.ResponseWriter, r *http.Request) error {
	var spec types.Spec
	if err := readJSON(w, r, &spec); err != nil {
		return err
	}
	v, err := version(r, "swarm")
	if err != nil {
		return err
	}
	var flags backend.SwarmUpdateFlags
	for name, dst := range map[string]*bool{
		"rotateWorkerToken": &flags.RotateWorkerToken, "rotateManagerToken": &flags.RotateManagerToken,
		"rotateManagerUnlockKey": &flags.RotateManagerUnlockKey,
	} {
		if *dst, err = boolParam(r, name); err != nil {
			return err
		}
	}
	if err := s.backend.Update(r.Context(), v, spec, flags); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Router) unlockSwarm(w http.ResponseWriter, r *http.Request) error {
	var req types.UnlockRequest
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	if err := s.backend.Unlock(r.Context(), req); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Router) getUnlockKey(w http.ResponseWriter, r *http.Request) error {
	key, err := s.backend.UnlockKey(r.Context())
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, types.UnlockKeyResponse{UnlockKey: key})
}

func (s *Router) getServices(w http.ResponseWriter, r *http.Request) error {
	f, err := httputil.FiltersValue(r)
	if err != nil {
		return err
	}
	// Status (running and desired task counts) came with API 1.41.
	status := httputil.BoolValue(r, "status") && !versions.LessThan(httputil.VersionFromContext(r.Context()), "1.41")
	list, err := s.backend.Services(r.Context(), f, status)
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, list)
}

func (s *Router) getService(w http.ResponseWriter, r *http.Request) error {
	insert, err := boolParam(r, "insertDefaults")
	if err != nil {
		return err
	}
	svc, err := s.backend.Service(r.Context(), r.PathValue("id"), insert)
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, svc)
}

func (s *Router) createService(w http.ResponseWriter, r *http.Request) error {
	var spec types.ServiceSpec
	if err := readJSON(w, r, &spec); err != nil {
		return err
	}
	resp, err := s.backend.CreateService(r.Context(), spec, r.Header.Get(registry.AuthHeader))
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusCreated, resp)
}

func (s *Router) updateService(w http.ResponseWriter, r *http.Request) error {
	var spec types.ServiceSpec
	if err := readJSON(w, r, &spec); err != nil {
		return err
	}
	v, err := version(r, "service")
	if err != nil {
		return err
	}
	o := backend.ServiceUpdateOptions{EncodedRegistryAuth: r.Header.Get(registry.AuthHeader), Rollback: r.URL.Query().Get("rollback")}
	if from := r.URL.Query().Get("registryAuthFrom"); from != "" {
		switch types.RegistryAuthSource(from) {
		case types.RegistryAuthFromSpec, types.RegistryAuthFromPreviousSpec:
			o.RegistryAuthFrom = from
		default:
			return errs.Invalid("invalid registryAuthFrom '%s'", from)
		}
	}
	resp, err := s.backend.UpdateService(r.Context(), r.PathValue("id"), v, spec, o)
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, resp)
}

func (s *Router) removeService(w http.ResponseWriter, r *http.Request) error {
	if err := s.backend.RemoveService(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Router) getTasks(w http.ResponseWriter, r *http.Request) error {
	return httputil.FiltersHandler(s.backend.Tasks)(w, r)
}

func (s *Router) getTask(w http.ResponseWriter, r *http.Request) error {
	t, err := s.backend.Task(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, t)
}

func (s *Router) getNodes(w http.ResponseWriter, r *http.Request) error {
	return httputil.FiltersHandler(s.backend.Nodes)(w, r)
}

func (s *Router) getNode(w http.ResponseWriter, r *http.Request) error {
	n, err := s.backend.Node(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, n)
}

func (s *Router) updateNode(w http.ResponseWriter, r *http.Request) error {
	var spec types.NodeSpec
	if err := readJSON(w, r, &spec); err != nil {
		return err
	}
	v, err := version(r, "node")
	if err != nil {
		return err
	}
	if err := s.backend.UpdateNode(r.Context(), r.PathValue("id"), v, spec); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Router) removeNode(w http.ResponseWriter, r *http.Request) error {
	if err := s.backend.RemoveNode(r.Context(), r.PathValue("id"), httputil.BoolValue(r, "force")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Router) getSecrets(w http.ResponseWriter, r *http.Request) error {
	return httputil.FiltersHandler(s.backend.Secrets)(w, r)
}

func (s *Router) getSecret(w http.ResponseWriter, r *http.Request) error {
	sec, err := s.backend.Secret(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, sec)
}

func (s *Router) createSecret(w http.ResponseWriter, r *http.Request) error {
	var spec types.SecretSpec
	if err := readJSON(w, r, &spec); err != nil {
		return err
	}
	if v := httputil.VersionFromContext(r.Context()); spec.Templating != nil && versions.LessThan(v, "1.37") {
		return errs.Invalid("secret templating is not supported on the specified API version: %s", v)
	}
	id, err := s.backend.CreateSecret(r.Context(), spec)
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusCreated, types.SecretCreateResponse{ID: id})
}

func (s *Router) updateSecret(w http.ResponseWriter, r *http.Request) error {
	var spec types.SecretSpec
	if err := readJSON(w, r, &spec); err != nil {
		return err
	}
	v, err := version(r, "secret")
	if err != nil {
		return err
	}
	if err := s.backend.UpdateSecret(r.Context(), r.PathValue("id"), v, spec); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Router) removeSecret(w http.ResponseWriter, r *http.Request) error {
	return httputil.NoContent(w, s.backend.RemoveSecret(r.Context(), r.PathValue("id")))
}

func (s *Router) getConfigs(w http.ResponseWriter, r *http.Request) error {
	return httputil.FiltersHandler(s.backend.Configs)(w, r)
}

func (s *Router) getConfig(w http.ResponseWriter, r *http.Request) error {
	c, err := s.backend.Config(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, c)
}

func (s *Router) createConfig(w http.ResponseWriter, r *http.Request) error {
	var spec types.ConfigSpec
	if err := readJSON(w, r, &spec); err != nil {
		return err
	}
	if v := httputil.VersionFromContext(r.Context()); spec.Templating != nil && versions.LessThan(v, "1.37") {
		return errs.Invalid("config templating is not supported on the specified API version: %s", v)
	}
	id, err := s.backend.CreateConfig(r.Context(), spec)
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusCreated, types.ConfigCreateResponse{ID: id})
}

func (s *Router) updateConfig(w http.ResponseWriter, r *http.Request) error {
	var spec types.ConfigSpec
	if err := readJSON(w, r, &spec); err != nil {
		return err
	}
	v, err := version(r, "config")
	if err != nil {
		return err
	}
	if err := s.backend.UpdateConfig(r.Context(), r.PathValue("id"), v, spec); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Router) removeConfig(w http.ResponseWriter, r *http.Request) error {
	return httputil.NoContent(w, s.backend.RemoveConfig(r.Context(), r.PathValue("id")))
}

package build

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client/pkg/versions"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/api/httputil"
	"github.com/wharf/wharf/internal/errs"
)

// postBuild is POST /build: the context tarball in, docker's classic
// builder message stream out; a failed build ends the stream with an
// error message, so the CLI exits 1 with it.
func (s *Router) postBuild(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if q.Get("remote") != "" {
		return errs.Invalid("building from a remote context is not supported")
	}
	o := backend.BuildOptions{
		Dockerfile:  q.Get("dockerfile"),
		Tags:        q["t"],
		Target:      q.Get("target"),
		NoCache:     httputil.BoolValue(r, "nocache"),
		NetworkMode: q.Get("networkmode"),
		Pull:        httputil.BoolValue(r, "pull"),
		// rm is true unless the client says otherwise (moby's router).
		Remove:      q.Get("rm") == "" || httputil.BoolValue(r, "rm"),
		ForceRemove: httputil.BoolValue(r, "forcerm"),
	}
	// X-Registry-Config: the credentials the client has, by registry.
	if err := httputil.DecodeHeader(r, "X-Registry-Config", &o.AuthConfigs); err != nil {
		return err
	}
	if v := q.Get("buildargs"); v != "" {
		if err := json.Unmarshal([]byte(v), &o.BuildArgs); err != nil {
			return errs.Invalid("invalid buildargs: %v", err)
		}
	}
	if v := q.Get("cachefrom"); v != "" {
		if err := json.Unmarshal([]byte(v), &o.CacheFrom); err != nil {
			return errs.Invalid("invalid cachefrom: %v", err)
		}
	}
	o.ExtraHosts = extraHosts(q.Get("extrahosts"))
	if v := q.Get("labels"); v != "" {
		if err := json.Unmarshal([]byte(v), &o.Labels); err != nil {
			return errs.Invalid("invalid labels: %v", err)
		}
	}
	st := httputil.NewJSONStream(w)
	sw := &streamWriter{st: st, aux: versions.GreaterThanOrEqualTo(httputil.VersionFromContext(r.Context()), "1.30")}
	var out io.Writer = sw
	// Quiet: dockerd holds the output back and sends it only with an
	// error; a build that succeeds answers its image ID alone.
	var held bytes.Buffer
	quiet := httputil.BoolValue(r, "q")
	if quiet {
		out = &held
	}
	id, err := s.backend.Build(r.Context(), r.Body, o, out)
	if err != nil {
		if held.Len() > 0 {
			sw.Write(held.Bytes())
		}
		st.Fail(err)
		return nil
	}
	if quiet {
		st.Send(jsonstream.Message{Stream: id + "\n"})
	}
	return nil
}

// extraHosts reads the extrahosts parameter: "host:ip" entries separated
// by commas or spaces, as the docker CLI sends --add-host.
func extraHosts(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' })
}

// streamWriter sends what is written to it as "stream" messages.
type streamWriter struct {
	mu  sync.Mutex
	st  *httputil.JSONStream
	aux bool // the client's API version has aux messages (1.30 and later)
}

// Aux sends the built image's ID as an aux message.
func (sw *streamWriter) Aux(id string) {
	if !sw.aux {
		return
	}
	sw.mu.Lock()
	defer sw.mu.Unlock()
	aux := json.RawMessage(`{"ID":"` + id + `"}`)
	sw.st.Send(jsonstream.Message{Aux: &aux})
}

func (sw *streamWriter) Write(p []byte) (int, error) {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	sw.st.Send(jsonstream.Message{Stream: string(p)})
	return len(p), nil
}

// postBuildPrune is POST /build/prune. The classic builder's cache is its
// intermediate images, which image prune removes: there is no separate
// build cache to report.
func (s *Router) postBuildPrune(w http.ResponseWriter, r *http.Request) error {
	return httputil.WriteJSON(w, http.StatusOK, build.CachePruneReport{CachesDeleted: []string{}})
}

package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/api/types/registry"

	"github.com/wharf/wharf/internal/build"
	"github.com/wharf/wharf/internal/errs"
)

// BuildBackend runs classic Dockerfile builds.
type BuildBackend interface {
	Build(ctx context.Context, src io.Reader, o build.Options, out io.Writer) (string, error)
}

func (s *Server) buildRoutes() {
	s.handle("POST /build", s.postBuild)
}

// postBuild is POST /build: the context tarball in, docker's classic
// builder message stream out; a failed build ends the stream with an
// error message, so the CLI exits 1 with it.
func (s *Server) postBuild(w http.ResponseWriter, r *http.Request) error {
	if s.b.Build == nil {
		return errs.Invalid("build is not supported by this daemon")
	}
	q := r.URL.Query()
	if q.Get("remote") != "" {
		return errs.Invalid("building from a remote context is not supported")
	}
	o := build.Options{
		Dockerfile:  q.Get("dockerfile"),
		Tags:        q["t"],
		Target:      q.Get("target"),
		NoCache:     boolValue(r, "nocache"),
		NetworkMode: q.Get("networkmode"),
		Pull:        boolValue(r, "pull"),
	}
	ac, err := decodeRegistryConfig(r.Header.Get("X-Registry-Config"))
	if err != nil {
		return err
	}
	o.AuthConfigs = ac
	if v := q.Get("buildargs"); v != "" {
		if err := json.Unmarshal([]byte(v), &o.BuildArgs); err != nil {
			return errs.Invalid("invalid buildargs: %v", err)
		}
	}
	if v := q.Get("labels"); v != "" {
		if err := json.Unmarshal([]byte(v), &o.Labels); err != nil {
			return errs.Invalid("invalid labels: %v", err)
		}
	}
	st := newStream(w)
	quiet := boolValue(r, "q")
	var out io.Writer = &streamWriter{st: st}
	if quiet {
		out = io.Discard
	}
	id, err := s.b.Build.Build(r.Context(), r.Body, o, out)
	if err != nil {
		st.fail(err)
		return nil
	}
	aux := json.RawMessage(`{"ID":"` + id + `"}`)
	st.send(jsonstream.Message{Aux: &aux})
	if quiet {
		st.send(jsonstream.Message{Stream: id + "\n"})
	}
	return nil
}

// decodeRegistryConfig reads X-Registry-Config: the credentials the
// client has, by registry, base64url-encoded JSON.
func decodeRegistryConfig(header string) (map[string]registry.AuthConfig, error) {
	if header == "" {
		return nil, nil
	}
	b, err := base64.URLEncoding.DecodeString(header)
	if err != nil {
		b, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(header, "="))
	}
	var ac map[string]registry.AuthConfig
	if err == nil {
		err = json.Unmarshal(b, &ac)
	}
	if err != nil {
		return nil, errs.Invalid("invalid X-Registry-Config header: %v", err)
	}
	return ac, nil
}

// streamWriter sends what is written to it as "stream" messages.
type streamWriter struct {
	mu sync.Mutex
	st *stream
}

func (sw *streamWriter) Write(p []byte) (int, error) {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	sw.st.send(jsonstream.Message{Stream: string(p)})
	return len(p), nil
}

package image

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	registrytypes "github.com/moby/moby/api/types/registry"

	"github.com/wharf/wharf/internal/errs"
)

// registryHost reduces a login server address ("https://host:5000/v1/",
// "host", "" for Docker Hub) to host[:port].
func registryHost(addr string) string {
	addr = strings.TrimPrefix(strings.TrimPrefix(addr, "https://"), "http://")
	addr, _, _ = strings.Cut(addr, "/")
	switch addr {
	case "", "docker.io", "index.docker.io", "registry-1.docker.io":
		return name.DefaultRegistry
	}
	return addr
}

// Login answers POST /auth: it checks the credentials against the
// registry's /v2/ endpoint, with basic auth or a token, as dockerd does.
// The client keeps the credentials; the daemon stores nothing.
func (s *Service) Login(ctx context.Context, ac registrytypes.AuthConfig) (registrytypes.AuthResponse, error) {
	host := registryHost(ac.ServerAddress)
	s.mu.RLock()
	insecure := s.insecure
	s.mu.RUnlock()
	var opts []name.Option
	if allowHTTP(host, insecure) {
		opts = append(opts, name.Insecure)
	}
	reg, err := name.NewRegistry(host, opts...)
	if err != nil {
		return registrytypes.AuthResponse{}, errs.Invalid("invalid registry %q: %v", host, err)
	}
	endpoint := fmt.Sprintf("%s://%s/v2/", reg.Scheme(), reg.RegistryStr())
	rt, err := transport.NewWithContext(ctx, reg, authenticator(ac), s.baseTransport(host), nil)
	if err != nil {
		return registrytypes.AuthResponse{}, loginError(err, endpoint)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return registrytypes.AuthResponse{}, err
	}
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		return registrytypes.AuthResponse{}, loginError(err, endpoint)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return registrytypes.AuthResponse{}, errs.Wrap(errdefs.ErrUnauthenticated,
			fmt.Errorf("login attempt to %s failed with status: %d %s", endpoint, resp.StatusCode, http.StatusText(resp.StatusCode)))
	}
	return registrytypes.AuthResponse{Status: "Login Succeeded"}, nil
}

func loginError(err error, endpoint string) error {
	var te *transport.Error
	if errors.As(err, &te) && (te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden) {
		msg := "incorrect username or password"
		if len(te.Errors) > 0 && te.Errors[0].Message != "" {
			msg = te.Errors[0].Message
		}
		return errs.Wrap(errdefs.ErrUnauthenticated, fmt.Errorf("Get %q: unauthorized: %s", endpoint, msg))
	}
	return errs.Wrap(errdefs.ErrUnavailable, err)
}

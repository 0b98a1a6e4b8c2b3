package image

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	registrytypes "github.com/moby/moby/api/types/registry"
	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errs"
)

// SetInsecureRegistries lists registries (host[:port] or CIDR) that may
// be reached over plain HTTP, besides 127.0.0.0/8 and localhost.
func (s *Service) SetInsecureRegistries(list []string) {
	s.mu.Lock()
	s.insecure = append([]string(nil), list...)
	s.mu.Unlock()
}

// allowHTTP reports whether host (host[:port]) may be spoken to over HTTP.
func allowHTTP(host string, insecure []string) bool {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	if ip != nil && ip.IsLoopback() {
		return true
	}
	for _, entry := range insecure {
		if entry == host || entry == h {
			return true
		}
		if _, cidr, err := net.ParseCIDR(entry); err == nil && ip != nil && cidr.Contains(ip) {
			return true
		}
	}
	return false
}

// authenticator turns docker's credentials into go-containerregistry's.
func authenticator(ac registrytypes.AuthConfig) authn.Authenticator {
	if ac.Username == "" && ac.Password == "" && ac.Auth == "" && ac.IdentityToken == "" && ac.RegistryToken == "" {
		return authn.Anonymous
	}
	return authn.FromConfig(authn.AuthConfig{
		Username:      ac.Username,
		Password:      ac.Password,
		Auth:          ac.Auth,
		IdentityToken: ac.IdentityToken,
		RegistryToken: ac.RegistryToken,
	})
}

// registryOf names the registry holding named, for go-containerregistry.
func (s *Service) registryOf(named reference.Named) (name.Registry, error) {
	s.mu.RLock()
	insecure := s.insecure
	s.mu.RUnlock()
	host := reference.Domain(named)
	var opts []name.Option
	if allowHTTP(host, insecure) {
		opts = append(opts, name.Insecure)
	}
	reg, err := name.NewRegistry(host, opts...)
	if err != nil {
		return reg, errs.Invalid("invalid registry %q: %v", host, err)
	}
	return reg, nil
}

// repoOf is named's repository for go-containerregistry.
func (s *Service) repoOf(named reference.Named) (name.Repository, error) {
	reg, err := s.registryOf(named)
	if err != nil {
		return name.Repository{}, err
	}
	return reg.Repo(reference.Path(named)), nil
}

// CertsDirs are where registry certificates are looked for, as dockerd
// does: <dir>/<host:port>/*.crt are extra CAs, *.cert with *.key client
// certificates.
var CertsDirs = []string{"/etc/wharf/certs.d", "/etc/docker/certs.d"}

// baseTransport is the HTTP transport under registry auth for host. It
// trusts host's certificates from the certs directories and refuses plain
// HTTP to registries not allowed it (go-containerregistry would also fall
// back to HTTP for private addresses).
func (s *Service) baseTransport(host string) http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 8
	s.mu.RLock()
	insecure, dirs := s.insecure, s.certsDirs
	s.mu.RUnlock()
	if dirs == nil {
		dirs = CertsDirs
	}
	if cfg, err := registryTLS(dirs, host); err != nil {
		s.log.Warn("registry certificates", "host", host, "err", err)
	} else if cfg != nil {
		t.TLSClientConfig = cfg
	}
	return httpsOnly{rt: t, insecure: insecure}
}

// registryTLS builds the TLS settings for host from the certificate
// directories; nil if there are none.
func registryTLS(dirs []string, host string) (*tls.Config, error) {
	var cfg *tls.Config
	for _, dir := range dirs {
		des, err := os.ReadDir(filepath.Join(dir, host))
		if err != nil {
			continue
		}
		for _, de := range des {
			p := filepath.Join(dir, host, de.Name())
			switch filepath.Ext(de.Name()) {
			case ".crt":
				if cfg == nil {
					cfg = &tls.Config{MinVersion: tls.VersionTLS12}
				}
				if cfg.RootCAs == nil {
					if cfg.RootCAs, err = x509.SystemCertPool(); err != nil {
						cfg.RootCAs = x509.NewCertPool()
					}
				}
				b, err := os.ReadFile(p)
				if err != nil {
					return nil, err
				}
				if !cfg.RootCAs.AppendCertsFromPEM(b) {
					return nil, fmt.Errorf("%s: no certificates found", p)
				}
			case ".cert":
				if cfg == nil {
					cfg = &tls.Config{MinVersion: tls.VersionTLS12}
				}
				cert, err := tls.LoadX509KeyPair(p, strings.TrimSuffix(p, ".cert")+".key")
				if err != nil {
					return nil, err
				}
				cfg.Certificates = append(cfg.Certificates, cert)
			}
		}
	}
	return cfg, nil
}

type httpsOnly struct {
	rt       http.RoundTripper
	insecure []string
}

func (h httpsOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !allowHTTP(req.URL.Host, h.insecure) {
		return nil, fmt.Errorf("%s %s: plain HTTP is not allowed for %s; add it to insecure-registries", req.Method, req.URL.Redacted(), req.URL.Host)
	}
	return h.rt.RoundTrip(req)
}

// registryError turns a registry client error into docker's wording and
// error kind; ref is the image asked for, pull whether we were pulling.
func registryError(err error, ref reference.Named, pull bool) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var te *transport.Error
	if !errors.As(err, &te) {
		return err
	}
	code, msg := "", ""
	if len(te.Errors) > 0 {
		code, msg = string(te.Errors[0].Code), te.Errors[0].Message
	}
	cause := fmt.Sprintf("%s: %s", strings.ToLower(strings.ReplaceAll(code, "_", " ")), msg)
	switch {
	case code == "MANIFEST_UNKNOWN" && pull:
		return errs.NotFound("manifest for %s not found: %s", reference.FamiliarString(ref), cause)
	case code == "NAME_UNKNOWN" && pull:
		return errs.NotFound("repository %s not found: %s", reference.FamiliarName(ref), cause)
	case (code == "DENIED" || code == "UNAUTHORIZED" || te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden) && pull:
		return errs.NotFound("pull access denied for %s, repository does not exist or may require 'docker login': denied: requested access to the resource is denied", reference.FamiliarName(ref))
	case code == "UNAUTHORIZED" || te.StatusCode == http.StatusUnauthorized:
		if msg == "" {
			msg = "authentication required"
		}
		return errs.Wrap(errdefs.ErrUnauthenticated, fmt.Errorf("unauthorized: %s", msg))
	case code == "DENIED" || te.StatusCode == http.StatusForbidden:
		return errs.Wrap(errdefs.ErrPermissionDenied, errors.New("denied: requested access to the resource is denied"))
	case te.StatusCode == http.StatusNotFound && pull:
		return errs.NotFound("manifest for %s not found: manifest unknown: manifest unknown", reference.FamiliarString(ref))
	}
	if code != "" {
		return fmt.Errorf("%s", cause)
	}
	return err
}

// layerInfo remembers, per layer (diff ID), the compressed blob a
// registry holds for it, so a push can skip or mount it without
// compressing the layer again.
type layerInfo struct {
	Digest    digest.Digest `json:"digest"`
	Size      int64         `json:"size"`
	MediaType string        `json:"mediaType"`
	// Repos are "registry/path" repositories known to hold the blob.
	Repos []string `json:"repos"`
}

func (s *Service) layerInfoPath(diffID digest.Digest) string {
	return filepath.Join(s.root, "distribution", diffID.Encoded()+".json")
}

func (s *Service) readLayerInfo(diffID digest.Digest) (layerInfo, bool) {
	var li layerInfo
	b, err := os.ReadFile(s.layerInfoPath(diffID))
	if err != nil || json.Unmarshal(b, &li) != nil || li.Digest.Validate() != nil {
		return layerInfo{}, false
	}
	return li, true
}

// noteLayer records that repo holds blob (d, size, mediaType) for diffID.
// The record is a hint, so errors are only logged.
func (s *Service) noteLayer(diffID, d digest.Digest, size int64, mediaType, repo string) {
	unlock := s.infoLocks.Lock(diffID.String())
	defer unlock()
	li, ok := s.readLayerInfo(diffID)
	if !ok || li.Digest != d {
		li = layerInfo{Digest: d, Size: size, MediaType: mediaType}
	}
	for _, r := range li.Repos {
		if r == repo {
			return
		}
	}
	li.Repos = append(li.Repos, repo)
	if len(li.Repos) > 16 {
		li.Repos = li.Repos[len(li.Repos)-16:]
	}
	b, _ := json.Marshal(li)
	err := os.MkdirAll(filepath.Dir(s.layerInfoPath(diffID)), 0o700)
	if err == nil {
		err = atomicWrite(s.layerInfoPath(diffID), b)
	}
	if err != nil {
		s.log.Debug("saving layer info", "err", err)
	}
}

package image

import (
	"net/url"
	"strings"

	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Mirrors are per-registry pull mirrors, containerd's hosts.toml model:
// registry host ("docker.io", "registry.k8s.io", "gcr.io") to mirror URLs
// ("https://mirror.example", "http://127.0.0.1:5000"), tried in order
// before the registry itself. An image pulled through a mirror keeps its
// own name. A mirror given as http:// may be spoken to over plain HTTP.
type Mirrors map[string][]string

// SetMirrors replaces the mirrors. Their URLs were checked where the
// configuration is loaded (config.validateMirror, dockerd's rules and
// words); they are kept here as scheme://host.
func (s *Service) SetMirrors(m Mirrors) {
	clean := Mirrors{}
	for host, urls := range m {
		for _, u := range urls {
			if p, err := url.Parse(u); err == nil && p.Host != "" {
				clean[host] = append(clean[host], p.Scheme+"://"+p.Host)
			}
		}
	}
	s.mu.Lock()
	s.mirrors = clean
	s.mu.Unlock()
}

// getFromMirrors fetches ref's manifest from the first of its registry's
// mirrors that has it: the repository it came from and its descriptor,
// or ok false when no mirror has it (the caller asks the registry).
func (s *Service) getFromMirrors(ref reference.Named, opts []remote.Option) (repo name.Repository, desc *remote.Descriptor, ok bool) {
	s.mu.RLock()
	mirrors := s.mirrors[reference.Domain(ref)]
	s.mu.RUnlock()
	for _, m := range mirrors {
		scheme, host, _ := strings.Cut(m, "://")
		var nopts []name.Option
		if scheme == "http" {
			nopts = append(nopts, name.Insecure)
		}
		reg, err := name.NewRegistry(host, nopts...)
		if err != nil {
			continue
		}
		repo := reg.Repo(reference.Path(ref))
		var rref name.Reference = repo.Tag(tagOf(ref))
		if c, isDigest := ref.(reference.Canonical); isDigest {
			rref = repo.Digest(c.Digest().String())
		}
		t := s.baseTransport(host)
		if scheme == "http" {
			t = httpsOnly{rt: t.(httpsOnly).rt, insecure: []string{host}}
		}
		mopts := append(append([]remote.Option{}, opts...), remote.WithTransport(t))
		d, err := remote.Get(rref, mopts...)
		if err != nil {
			s.log.Debug("registry mirror miss", "mirror", m, "ref", ref.String(), "err", err)
			continue
		}
		return repo, d, true
	}
	return name.Repository{}, nil, false
}

func tagOf(ref reference.Named) string {
	if t, ok := ref.(reference.Tagged); ok {
		return t.Tag()
	}
	return "latest"
}

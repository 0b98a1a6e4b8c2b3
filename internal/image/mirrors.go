package image

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// SetRegistryMirrors sets Docker Hub's mirrors (http(s)://host[:port]/),
// tried in order before Docker Hub itself, as dockerd's registry-mirrors.
func (s *Service) SetRegistryMirrors(mirrors []string) {
	list := append([]string(nil), mirrors...)
	s.mirrors.Store(&list)
}

// getFromMirror fetches ref's manifest from the first mirror that has it,
// for a Docker Hub image; nil if none does (or ref is not Hub's). The
// descriptor it returns fetches layers from the same mirror. Mirrors are
// asked anonymously: Hub credentials are not theirs.
func (s *Service) getFromMirror(ctx context.Context, ref reference.Named, tagOrDigest string) *remote.Descriptor {
	list := s.mirrors.Load()
	if list == nil || reference.Domain(ref) != "docker.io" {
		return nil
	}
	for _, m := range *list {
		u, err := url.Parse(m)
		if err != nil {
			continue
		}
		var opts []name.Option
		if u.Scheme == "http" {
			opts = append(opts, name.Insecure)
		}
		reg, err := name.NewRegistry(u.Host, opts...)
		if err != nil {
			continue
		}
		repo := reg.Repo(reference.Path(ref))
		var rref name.Reference = repo.Tag(tagOrDigest)
		if strings.Contains(tagOrDigest, ":") {
			rref = repo.Digest(tagOrDigest)
		}
		desc, err := remote.Get(rref, remote.WithContext(ctx), remote.WithAuth(authn.Anonymous),
			remote.WithTransport(s.mirrorTransport(u)))
		if err != nil {
			s.log.Debug("registry mirror has no image", "mirror", m, "ref", ref.String(), "err", err)
			continue
		}
		s.log.Debug("pulling from registry mirror", "mirror", m, "ref", ref.String())
		return desc
	}
	return nil
}

// mirrorTransport is the transport to a mirror: a registry's (its
// certificates from the certs directories) for https, plain HTTP for a
// mirror configured as http://, which says so itself.
func (s *Service) mirrorTransport(u *url.URL) http.RoundTripper {
	if u.Scheme == "https" {
		return s.baseTransport(u.Host)
	}
	return http.DefaultTransport.(*http.Transport).Clone()
}

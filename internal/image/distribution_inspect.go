package image

import (
	"context"
	"encoding/json"

	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	registrytypes "github.com/moby/moby/api/types/registry"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/wharf/wharf/internal/errs"
)

// DistributionInspect answers GET /distribution/{name}/json: the
// descriptor of ref's manifest in its registry and the platforms it is
// for (each of an index's manifests, or the one image's config), as
// dockerd reads them. The docker CLI asks it before creating a service
// and for `docker manifest`-like tooling.
func (s *Service) DistributionInspect(ctx context.Context, ref reference.Named, auth registrytypes.AuthConfig) (registrytypes.DistributionInspect, error) {
	var out registrytypes.DistributionInspect
	repo, err := s.repoOf(ref)
	if err != nil {
		return out, err
	}
	var rref name.Reference
	if c, ok := ref.(reference.Canonical); ok {
		rref = repo.Digest(c.Digest().String())
	} else {
		rref = repo.Tag(reference.TagNameOnly(ref).(reference.Tagged).Tag())
	}
	opts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuth(authenticator(auth)),
		remote.WithTransport(s.baseTransport(repo.RegistryStr())),
		// One attempt, as dockerd: the docker CLI waits for this
		// answer before every `service create` and goes on without a
		// digest when it fails, so retrying an unreachable registry
		// (go-containerregistry's default: 1 s, then 3 s) only delays
		// the service by 4 s.
		remote.WithRetryBackoff(remote.Backoff{Steps: 1}),
	}
	desc, err := remote.Get(rref, opts...)
	if err != nil {
		return out, registryError(err, ref, true)
	}
	out.Descriptor = ocispec.Descriptor{
		MediaType: string(desc.MediaType),
		Digest:    digest.Digest(desc.Digest.String()),
		Size:      desc.Size,
	}
	switch {
	case desc.MediaType.IsIndex():
		idx, err := desc.ImageIndex()
		if err != nil {
			return out, registryError(err, ref, true)
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return out, registryError(err, ref, true)
		}
		for _, m := range im.Manifests {
			if m.Platform == nil {
				continue
			}
			out.Platforms = append(out.Platforms, ocispec.Platform{
				Architecture: m.Platform.Architecture, OS: m.Platform.OS, OSVersion: m.Platform.OSVersion,
				OSFeatures: m.Platform.OSFeatures, Variant: m.Platform.Variant,
			})
		}
	case desc.MediaType.IsImage():
		img, err := desc.Image()
		if err != nil {
			return out, registryError(err, ref, true)
		}
		// As dockerd: the config's platform if it reads, else none.
		if raw, err := img.RawConfigFile(); err == nil {
			var p ocispec.Platform
			if json.Unmarshal(raw, &p) == nil && (p.OS != "" || p.Architecture != "") {
				out.Platforms = append(out.Platforms, p)
			}
		}
	case desc.MediaType == "application/vnd.docker.distribution.manifest.v1+json",
		desc.MediaType == "application/vnd.docker.distribution.manifest.v1+prettyjws":
		return out, errs.Invalid("[DEPRECATION NOTICE] Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been removed. Suggest the author of %s to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2. More information at https://docs.docker.com/go/deprecated-image-specs/", reference.FamiliarString(ref))
	}
	return out, nil
}

package container

import (
	"github.com/containerd/platforms"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/image"
)

// checkPlatform refuses, as dockerd does, to create a container from an
// image that is not for the platform the client asked for (nil: any; the
// docker CLI then pulls the right one).
func checkPlatform(want *ocispec.Platform, ref string, img *image.Image) error {
	if want == nil {
		return nil
	}
	have := ocispec.Platform{OS: img.Config.OS, Architecture: img.Config.Architecture, Variant: img.Config.Variant}
	if have.OS == "" {
		have.OS = "linux"
	}
	if have.Architecture == "" {
		have.Architecture = "amd64" // as image inspect reports it
	}
	w, h := platforms.Normalize(*want), platforms.Normalize(have)
	if w.OS == h.OS && w.Architecture == h.Architecture && (w.Variant == "" || w.Variant == h.Variant) {
		return nil
	}
	return errs.NotFound("image with reference %s was found but does not match the specified platform: wanted %s, actual: %s",
		ref, platforms.Format(*want), platforms.Format(have))
}

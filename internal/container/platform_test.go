package container

import (
	"testing"

	"github.com/containerd/errdefs"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/wharf/wharf/internal/image"
)

func TestCheckPlatform(t *testing.T) {
	img := &image.Image{Config: dockerspec.DockerOCIImage{Image: ocispec.Image{Platform: ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}}}
	for _, c := range []struct {
		want *ocispec.Platform
		ok   bool
	}{
		{nil, true},
		{&ocispec.Platform{OS: "linux", Architecture: "arm64"}, true},
		{&ocispec.Platform{OS: "linux", Architecture: "aarch64"}, true},
		{&ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, true},
		{&ocispec.Platform{OS: "linux", Architecture: "amd64"}, false},
		{&ocispec.Platform{OS: "windows", Architecture: "arm64"}, false},
	} {
		err := checkPlatform(c.want, "busybox", img)
		if (err == nil) != c.ok {
			t.Errorf("%+v: %v", c.want, err)
		}
		if err != nil && (!errdefs.IsNotFound(err) || err.Error() != "image with reference busybox was found but does not match the specified platform: wanted "+c.want.OS+"/"+c.want.Architecture+", actual: linux/arm64/v8") {
			t.Errorf("%+v: %v", c.want, err)
		}
	}
}

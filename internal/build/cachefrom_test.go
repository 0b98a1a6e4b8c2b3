package build

import (
	"testing"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/wharf/wharf/internal/image"
)

func testImage(steps ...string) *image.Image {
	img := &image.Image{ID: "sha256:" + digest.FromString(steps[len(steps)-1]).Encoded()}
	img.Config = dockerspec.DockerOCIImage{}
	for _, s := range steps {
		empty := s[0] == '#'
		img.Config.History = append(img.Config.History, ocispec.History{CreatedBy: s, EmptyLayer: empty})
		if !empty {
			img.Config.RootFS.DiffIDs = append(img.Config.RootFS.DiffIDs, digest.FromString(s))
		}
	}
	return img
}

func TestCacheFromExtends(t *testing.T) {
	base := testImage("ADD rootfs", "#CMD sh")
	child := testImage("ADD rootfs", "#CMD sh", "RUN a", "#ENV b", "RUN c")
	other := testImage("ADD other", "#CMD sh", "RUN a")
	if !extends(child, base) || extends(base, child) || extends(other, base) || extends(base, base) {
		t.Fatal("extends")
	}
	if d, ok := layerOfStep(child, 2); !ok || d != digest.FromString("RUN a") {
		t.Fatalf("layer of RUN a: %s %v", d, ok)
	}
	if d, ok := layerOfStep(child, 3); !ok || d != "" {
		t.Fatalf("layer of ENV: %s %v", d, ok)
	}
	if d, ok := layerOfStep(child, 4); !ok || d != digest.FromString("RUN c") {
		t.Fatalf("layer of RUN c: %s %v", d, ok)
	}
}

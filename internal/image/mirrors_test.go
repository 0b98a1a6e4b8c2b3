package image

import (
	"context"
	"testing"

	"github.com/google/go-containerregistry/pkg/compression"
)

// TestPullThroughMirror: a registry's mirror serves the image, which
// keeps its own name; a mirror without it falls through to the next.
func TestPullThroughMirror(t *testing.T) {
	ctx := context.Background()
	empty := startRegistry(t, "", nil)
	mirror := startRegistry(t, "", nil)
	pushGGCR(t, mirror+"/e2e-test-images/busybox:1.29-2", ggcrImage(t, "amd64", compression.GZip, tarEntry{name: "f", body: "x\n"}))
	s, _ := newTestService(t)
	s.SetMirrors(Mirrors{"registry.k8s.io": {"http://" + empty, "http://" + mirror}})
	if err := s.Pull(ctx, mustRef(t, "registry.k8s.io/e2e-test-images/busybox:1.29-2"), PullOptions{}, &recorder{}); err != nil {
		t.Fatal(err)
	}
	img := mustGet(t, s, "registry.k8s.io/e2e-test-images/busybox:1.29-2")
	if len(img.RepoTags) != 1 || img.RepoTags[0] != "registry.k8s.io/e2e-test-images/busybox:1.29-2" {
		t.Errorf("tags %v", img.RepoTags)
	}
}

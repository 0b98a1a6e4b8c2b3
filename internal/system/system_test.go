package system

import (
	"context"
	"testing"

	"github.com/moby/moby/api/types/container"
	imagetypes "github.com/moby/moby/api/types/image"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/filters"
	"github.com/wharf/wharf/internal/version"
)

type containers []container.ContainerState

func (c containers) List(ctx context.Context, o backend.ContainerListOptions) ([]container.Summary, error) {
	var out []container.Summary
	for _, st := range c {
		out = append(out, container.Summary{State: st})
	}
	return out, nil
}

// images is an image store of n images, of which intermediate are
// intermediate (a classic build's steps), hidden from its list.
type images struct{ n, intermediate int }

func (i images) List(ctx context.Context, f filters.Args) ([]imagetypes.Summary, error) {
	return make([]imagetypes.Summary, i.n-i.intermediate), nil
}

func (i images) Count(ctx context.Context) int { return i.n }

func TestInfo(t *testing.T) {
	s := New(Config{
		Root: "/var/lib/wharf", DefaultRuntime: "runc", Runtimes: map[string]string{"runc": "/usr/sbin/runc"},
		Containers: containers{container.StateRunning, container.StatePaused, container.StateExited, container.StateCreated},
		Images:     images{n: 5, intermediate: 2},
	})
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.Containers != 4 || info.ContainersRunning != 1 || info.ContainersPaused != 1 || info.ContainersStopped != 2 {
		t.Errorf("counts %+v", info)
	}
	// dockerd counts every image in its store, intermediate ones too
	// (daemon/info.go: imageService.CountImages, the store's Len).
	if info.Images != 5 {
		t.Errorf("Images = %d, want 5 (intermediate images counted, as dockerd)", info.Images)
	}
	if info.DockerRootDir != "/var/lib/wharf" || info.DefaultRuntime != "runc" || info.Runtimes["runc"].Path != "/usr/sbin/runc" || info.OSType != "linux" {
		t.Errorf("info %+v", info)
	}
	v, err := s.Version(context.Background())
	if err != nil || v.APIVersion != version.APIVersion || v.MinAPIVersion != version.MinAPIVersion || len(v.Components) != 1 {
		t.Errorf("version %+v %v", v, err)
	}
}

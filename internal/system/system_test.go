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

type images int

func (n images) List(ctx context.Context, f filters.Args) ([]imagetypes.Summary, error) {
	return make([]imagetypes.Summary, n), nil
}

func TestInfo(t *testing.T) {
	s := New(Config{
		Root: "/var/lib/wharf", DefaultRuntime: "runc", Runtimes: map[string]string{"runc": "/usr/sbin/runc"},
		Containers: containers{container.StateRunning, container.StatePaused, container.StateExited, container.StateCreated},
		Images:     images(3),
	})
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.Containers != 4 || info.ContainersRunning != 1 || info.ContainersPaused != 1 || info.ContainersStopped != 2 || info.Images != 3 {
		t.Errorf("counts %+v", info)
	}
	if info.DockerRootDir != "/var/lib/wharf" || info.DefaultRuntime != "runc" || info.Runtimes["runc"].Path != "/usr/sbin/runc" || info.OSType != "linux" {
		t.Errorf("info %+v", info)
	}
	v, err := s.Version(context.Background())
	if err != nil || v.APIVersion != version.APIVersion || v.MinAPIVersion != version.MinAPIVersion || len(v.Components) != 1 {
		t.Errorf("version %+v %v", v, err)
	}
}

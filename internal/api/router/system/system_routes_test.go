package system

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/moby/moby/api/types/container"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/api/types/volume"

	"github.com/wharf/wharf/internal/api/apitest"
	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/filters"
	"github.com/wharf/wharf/internal/version"
)

type fakeSystem struct{}

func (fakeSystem) Info(ctx context.Context) (system.Info, error) { return system.Info{ID: "x"}, nil }
func (fakeSystem) Version(ctx context.Context) (system.VersionResponse, error) {
	return system.VersionResponse{APIVersion: version.APIVersion}, nil
}

// fakeContainers is one running container of image "i" with volume "v".
type fakeContainers struct{}

func (fakeContainers) List(ctx context.Context, o backend.ContainerListOptions) ([]container.Summary, error) {
	return []container.Summary{{ID: "c", ImageID: "i", State: container.StateRunning, SizeRw: 5,
		Mounts: []container.MountPoint{{Name: "v"}}}}, nil
}

type fakeImages struct{}

func (fakeImages) List(ctx context.Context, f filters.Args) ([]imagetypes.Summary, error) {
	return []imagetypes.Summary{{ID: "i", Size: 100}, {ID: "j", Size: 50}}, nil
}

func (fakeImages) LayersSize(ctx context.Context) (int64, error) { return 150, nil }

type fakeVolumes struct{}

func (fakeVolumes) List(ctx context.Context, f filters.Args) (volume.ListResponse, error) {
	return volume.ListResponse{Volumes: []volume.Volume{{Name: "v"}}}, nil
}
func (fakeVolumes) Size(ctx context.Context, name string) int64 { return 7 }

func newTestRouter() *Router {
	return NewRouter(fakeSystem{}, DiskUsage{Containers: fakeContainers{}, Images: fakeImages{}, Volumes: fakeVolumes{}})
}

func TestPing(t *testing.T) {
	ts := apitest.NewServer(t, newTestRouter())
	for _, method := range []string{"GET", "HEAD"} {
		resp, body := apitest.Do(t, method, ts.URL+"/_ping", nil)
		if resp.StatusCode != 200 || resp.Header.Get("Api-Version") != version.APIVersion || resp.Header.Get("Ostype") != "linux" {
			t.Fatalf("%s /_ping: %d %v", method, resp.StatusCode, resp.Header)
		}
		if method == "GET" && string(body) != "OK" {
			t.Fatalf("GET /_ping body %q", body)
		}
	}
}

// TestDiskUsageByVersion: clients before API 1.52 get the lists, later
// ones the totals per type.
func TestDiskUsageByVersion(t *testing.T) {
	ts := apitest.NewServer(t, newTestRouter())
	resp, body := apitest.Do(t, "GET", ts.URL+"/v1.51/system/df", nil)
	var legacy legacyDiskUsage
	if resp.StatusCode != 200 || json.Unmarshal(body, &legacy) != nil {
		t.Fatalf("1.51: %d %s", resp.StatusCode, body)
	}
	if legacy.LayersSize != 150 || len(legacy.Images) != 2 || legacy.Images[0].Containers != 1 ||
		len(legacy.Volumes) != 1 || legacy.Volumes[0].UsageData.Size != 7 || legacy.Volumes[0].UsageData.RefCount != 1 {
		t.Fatalf("1.51: %s", body)
	}
	for _, p := range []string{"/system/df", "/v1.52/system/df"} {
		resp, body = apitest.Do(t, "GET", ts.URL+p, nil)
		var du system.DiskUsage
		if resp.StatusCode != 200 || json.Unmarshal(body, &du) != nil || du.ImageUsage == nil {
			t.Fatalf("%s: %d %s", p, resp.StatusCode, body)
		}
		if du.ImageUsage.ActiveCount != 1 || du.ImageUsage.Reclaimable != 50 || du.ContainerUsage.TotalSize != 5 || du.VolumeUsage.TotalSize != 7 {
			t.Fatalf("%s: %s", p, body)
		}
	}
}

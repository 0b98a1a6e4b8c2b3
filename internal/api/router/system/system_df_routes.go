package system

import (
	"net/http"

	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/container"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/api/types/volume"
	"github.com/moby/moby/client/pkg/versions"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/api/httputil"
	"github.com/wharf/wharf/internal/filters"
)

// legacyDiskUsage is GET /system/df's answer before API 1.52.
type legacyDiskUsage struct {
	LayersSize int64
	Images     []imagetypes.Summary
	Containers []container.Summary
	Volumes    []volume.Volume
	BuildCache []build.CacheRecord
}

func (s *Router) getSystemDF(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ctrs, err := s.du.Containers.List(ctx, backend.ContainerListOptions{All: true, Size: true, Filters: filters.Args{}})
	if err != nil {
		return err
	}
	imgs, err := s.du.Images.List(ctx, filters.Args{})
	if err != nil {
		return err
	}
	vols, err := s.du.Volumes.List(ctx, filters.Args{})
	if err != nil {
		return err
	}

	layersSize, err := s.du.Images.LayersSize(ctx)
	if err != nil {
		return err
	}
	du := legacyDiskUsage{LayersSize: layersSize, Containers: ctrs, Images: imgs, Volumes: []volume.Volume{}, BuildCache: []build.CacheRecord{}}
	uses := map[string]int64{}    // image ID → containers
	volUses := map[string]int64{} // volume name → containers
	for _, c := range ctrs {
		uses[c.ImageID]++
		for _, m := range c.Mounts {
			if m.Name != "" {
				volUses[m.Name]++
			}
		}
	}
	for i := range du.Images {
		du.Images[i].Containers = uses[du.Images[i].ID]
		du.Images[i].SharedSize = 0
	}
	for _, v := range vols.Volumes {
		v.UsageData = &volume.UsageData{Size: s.du.Volumes.Size(ctx, v.Name), RefCount: volUses[v.Name]}
		du.Volumes = append(du.Volumes, v)
	}

	if versions.LessThan(httputil.VersionFromContext(ctx), "1.52") {
		return httputil.WriteJSON(w, http.StatusOK, du)
	}
	return httputil.WriteJSON(w, http.StatusOK, newDiskUsage(du, r.URL.Query()["type"], httputil.BoolValue(r, "verbose")))
}

// newDiskUsage is the API 1.52+ form of du: totals per object type (those
// asked for, or all), with the items when verbose.
func newDiskUsage(du legacyDiskUsage, types []string, verbose bool) system.DiskUsage {
	want := func(t system.DiskUsageObject) bool {
		if len(types) == 0 {
			return true
		}
		for _, x := range types {
			if x == string(t) {
				return true
			}
		}
		return false
	}
	var out system.DiskUsage
	if want(system.ImageObject) {
		u := &imagetypes.DiskUsage{TotalCount: int64(len(du.Images)), TotalSize: du.LayersSize}
		for _, img := range du.Images {
			if img.Containers > 0 {
				u.ActiveCount++
			} else {
				u.Reclaimable += img.Size
			}
		}
		if verbose {
			u.Items = du.Images
		}
		out.ImageUsage = u
	}
	if want(system.ContainerObject) {
		u := &container.DiskUsage{TotalCount: int64(len(du.Containers))}
		for _, c := range du.Containers {
			u.TotalSize += c.SizeRw
			switch c.State {
			case container.StateRunning, container.StatePaused, container.StateRestarting:
				u.ActiveCount++
			default:
				u.Reclaimable += c.SizeRw
			}
		}
		if verbose {
			u.Items = du.Containers
		}
		out.ContainerUsage = u
	}
	if want(system.VolumeObject) {
		u := &volume.DiskUsage{TotalCount: int64(len(du.Volumes))}
		for _, v := range du.Volumes {
			if v.UsageData.Size > 0 {
				u.TotalSize += v.UsageData.Size
			}
			if v.UsageData.RefCount > 0 {
				u.ActiveCount++
			} else if v.UsageData.Size > 0 {
				u.Reclaimable += v.UsageData.Size
			}
		}
		if verbose {
			u.Items = du.Volumes
		}
		out.VolumeUsage = u
	}
	if want(system.BuildCacheObject) {
		out.BuildCacheUsage = &build.DiskUsage{}
	}
	return out
}

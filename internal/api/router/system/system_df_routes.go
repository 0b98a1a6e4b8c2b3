package system

import (
	"net/http"

	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/container"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/api/types/volume"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/api/compat"
	"github.com/wharf/wharf/internal/api/httputil"
	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/filters"
)

// legacyDiskUsage is GET /system/df's answer before API 1.52.
// A list is left out (nil) when the request's "type" parameters (API
// 1.42+) did not ask for it.
type legacyDiskUsage struct {
	LayersSize int64                `json:",omitempty"`
	Images     []imagetypes.Summary `json:",omitzero"`
	Containers []container.Summary  `json:",omitzero"`
	Volumes    []volume.Volume      `json:",omitzero"`
	BuildCache []build.CacheRecord  `json:",omitzero"`
}

// onlyTypes drops from du the object types the request's "type"
// parameters do not name; none named means all.
func (du *legacyDiskUsage) onlyTypes(types []string) {
	if len(types) == 0 {
		return
	}
	want := map[string]bool{}
	for _, t := range types {
		want[t] = true
	}
	if !want[string(system.ImageObject)] {
		du.Images, du.LayersSize = nil, 0
	}
	if !want[string(system.ContainerObject)] {
		du.Containers = nil
	}
	if !want[string(system.VolumeObject)] {
		du.Volumes = nil
	}
	if !want[string(system.BuildCacheObject)] {
		du.BuildCache = nil
	}
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

	types := r.URL.Query()["type"]
	for _, t := range types {
		switch system.DiskUsageObject(t) {
		case system.ContainerObject, system.ImageObject, system.VolumeObject, system.BuildCacheObject:
		default:
			if !compat.Before(ctx, compat.DFTypeParam) {
				return errs.Invalid("unknown object type: %s", t)
			}
		}
	}
	if compat.Before(ctx, compat.DFUsageByType) {
		if !compat.Before(ctx, compat.DFTypeParam) {
			du.onlyTypes(types)
		}
		return compat.WriteJSON(w, r, http.StatusOK, compat.SystemDF, du)
	}
	verbose := httputil.BoolValue(r, "verbose")
	cur := newDiskUsage(du, types, verbose)
	if compat.Before(ctx, compat.DFLegacyFieldsDropped) && !verbose {
		// API 1.52 sends both shapes to clients not asking for verbose.
		return httputil.WriteJSON(w, http.StatusOK, struct {
			legacyDiskUsage
			system.DiskUsage
		}{du, cur})
	}
	return httputil.WriteJSON(w, http.StatusOK, cur)
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

package container

import (
	"context"
	"fmt"

	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wharf/wharf/internal/errs"
)

// Update changes a container's resource limits and restart policy, as
// POST /containers/{id}/update does: fields left zero keep their value.
// A running container gets the new limits at once (runc update).
func (s *Service) Update(ctx context.Context, ref string, u container.UpdateConfig) (container.UpdateResponse, error) {
	resp := container.UpdateResponse{Warnings: []string{}}
	c, err := s.get(ref)
	if err != nil {
		return resp, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.removed {
		return resp, errs.NotFound("No such container: %s", ref)
	}
	hc := *c.HostConfig
	if u.Memory > 0 && u.MemorySwap == 0 && hc.MemorySwap > 0 && u.Memory > hc.MemorySwap {
		return resp, errs.Invalid("Cannot update container %s: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time", c.ID)
	}
	mergeResources(&hc.Resources, &u.Resources)
	if u.RestartPolicy.Name != "" {
		if hc.AutoRemove && u.RestartPolicy.Name != container.RestartPolicyDisabled {
			return resp, errs.Invalid("Cannot update container %s: Restart policy cannot be updated because AutoRemove is enabled for the container", c.ID)
		}
		hc.RestartPolicy = u.RestartPolicy
	}
	// A bad value is refused in validation's own words, as dockerd
	// checks the request before it looks at the container.
	if err := validateResources(&hc.Resources); err != nil {
		return resp, err
	}
	if err := validateRestartPolicy(&hc); err != nil {
		return resp, err
	}
	if c.State.Running {
		if err := s.applyResources(ctx, c, &hc, u.PidsLimit != nil); err != nil {
			//lint:ignore ST1005 dockerd's wording
			return resp, fmt.Errorf("Cannot update container %s: %w", c.ID, err)
		}
	}
	c.HostConfig = &hc
	if err := s.save(c); err != nil {
		return resp, err
	}
	return resp, nil
}

// mergeResources copies the fields set in u over r.
func mergeResources(r, u *container.Resources) {
	if u.BlkioWeight != 0 {
		r.BlkioWeight = u.BlkioWeight
	}
	if u.CPUShares != 0 {
		r.CPUShares = u.CPUShares
	}
	if u.NanoCPUs != 0 {
		r.NanoCPUs, r.CPUPeriod, r.CPUQuota = u.NanoCPUs, 0, 0
	}
	if u.CPUPeriod != 0 {
		r.CPUPeriod, r.NanoCPUs = u.CPUPeriod, 0
	}
	if u.CPUQuota != 0 {
		r.CPUQuota, r.NanoCPUs = u.CPUQuota, 0
	}
	if u.CpusetCpus != "" {
		r.CpusetCpus = u.CpusetCpus
	}
	if u.CpusetMems != "" {
		r.CpusetMems = u.CpusetMems
	}
	if u.Memory != 0 {
		r.Memory = u.Memory
	}
	if u.MemorySwap != 0 {
		r.MemorySwap = u.MemorySwap
	}
	if u.MemoryReservation != 0 {
		r.MemoryReservation = u.MemoryReservation
	}
	if u.PidsLimit != nil {
		r.PidsLimit = u.PidsLimit
	}
}

// applyResources hands the new limits to the runtime; pidsChanged says
// whether the update set the pids limit, which may take it back to
// unlimited. Only then is -1 sent, so that an update of the memory
// alone leaves pids.max alone (for crun, which would write -1 as is, the
// runtime package writes "max" itself: crunupdate.go).
func (s *Service) applyResources(ctx context.Context, c *Container, hc *container.HostConfig, pidsChanged bool) error {
	rt, err := s.runtimeFor(c.Runtime)
	if err != nil {
		return err
	}
	r := resources(hc)
	r.Devices = nil
	if r.Pids == nil && hc.PidsLimit != nil && pidsChanged {
		// 0 or -1: back to unlimited.
		unlimited := int64(-1)
		r.Pids = &specs.LinuxPids{Limit: &unlimited}
	}
	return rt.Update(ctx, c.ID, r)
}

package container

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/storage"
)

// Inspect returns the container as GET /containers/{id}/json shows it.
func (s *Service) Inspect(ctx context.Context, ref string, size bool) (container.InspectResponse, error) {
	// The view, not the record: an inspect never waits for a start or
	// stop, and sees the container before or after it.
	_, v, err := s.viewOf(ref)
	if err != nil {
		return container.InspectResponse{}, err
	}
	c := v.c
	state := c.State
	if state.StartedAt == "" {
		state.StartedAt = formatTime(time.Time{})
	}
	if state.FinishedAt == "" {
		state.FinishedAt = formatTime(time.Time{})
	}
	cfg := *c.Config
	hc := *c.HostConfig
	// As dockerd shows them: with the daemon's default-ulimits.
	hc.Ulimits = mergeUlimits(hc.Ulimits, s.cfg.DefaultUlimits)
	hc.Links = inspectLinks(c.Name, hc.Links)
	dir := s.dir(c.ID)
	resp := container.InspectResponse{
		ID:             c.ID,
		Created:        formatTime(c.Created),
		Path:           c.Path,
		Args:           c.Args,
		State:          &state,
		Image:          c.ImageID,
		ResolvConfPath: filepath.Join(dir, "resolv.conf"),
		HostnamePath:   filepath.Join(dir, "hostname"),
		HostsPath:      filepath.Join(dir, "hosts"),
		LogPath:        s.logPath(c),
		Name:           c.Name,
		RestartCount:   c.RestartCount,
		Driver:         "overlay2",
		Platform:       "linux",
		ExecIDs:        s.execIDs(c.ID),
		HostConfig:     &hc,
		GraphDriver: &storage.DriverData{Name: "overlay2", Data: map[string]string{
			"MergedDir": s.rootfsPath(c.ID),
		}},
		Mounts:          s.inspectMounts(c),
		Config:          &cfg,
		NetworkSettings: s.networkSettings(v.c),
	}
	if rw, err := s.cfg.Layers.Stat(ctx, c.ID); err == nil {
		// The writable layer's directories, once it has been made.
		resp.GraphDriver.Data["UpperDir"], resp.GraphDriver.Data["WorkDir"] = rw.Upper, rw.Work
	}
	if size {
		rw, rootfs := s.sizes(ctx, c)
		resp.SizeRw, resp.SizeRootFs = &rw, &rootfs
	}
	return resp, nil
}

// networkSettings reports the container's network: for now only the
// modes without addresses (host, none, and an isolated "bridge").
func networkSettings(c *Container) *container.NetworkSettings {
	mode := string(c.HostConfig.NetworkMode)
	ns := &container.NetworkSettings{
		SandboxKey: "",
		Ports:      network.PortMap{},
		Networks:   map[string]*network.EndpointSettings{},
	}
	if c.State.Running && !c.HostConfig.NetworkMode.IsHost() {
		ns.SandboxKey = "/proc/" + strconv.Itoa(c.State.Pid) + "/ns/net"
	}
	ns.Networks[mode] = &network.EndpointSettings{NetworkID: mode, EndpointID: ""}
	return ns
}

// command renders Path and Args the way `docker ps` shows COMMAND.
func command(c *Container) string {
	// Like dockerd, arguments holding a space are single-quoted.
	parts := []string{c.Path}
	for _, a := range c.Args {
		if strings.Contains(a, " ") {
			a = "'" + a + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

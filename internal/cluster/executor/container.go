package executor

import (
	"fmt"
	"maps"
	"math"
	"net/netip"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/swarmkit/v2/api"
	"github.com/moby/swarmkit/v2/api/genericresource"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/cluster/convert"
)

// The label prefix docker marks task containers with; `docker ps
// --filter label=com.docker.swarm.service.name=web` relies on it.
const labelPrefix = "com.docker.swarm"

// Label keys the executor and the cluster service read back.
const (
	LabelTaskID = labelPrefix + ".task.id"
	LabelNodeID = labelPrefix + ".node.id"
)

// containerName is docker's name for a task's container:
// <service>.<slot>.<task ID>, with the node ID for the slot of a global
// service's task.
func containerName(t *api.Task) string {
	if t.Annotations.Name != "" {
		return t.Annotations.Name
	}
	slot := strconv.FormatUint(t.Slot, 10)
	if t.Slot == 0 {
		slot = t.NodeID
	}
	return fmt.Sprintf("%s.%s.%s", t.ServiceAnnotations.Name, slot, t.ID)
}

// createOptions is the container create request for task t whose
// (template-expanded) container spec is cs; files are the secret and
// config bind mounts.
func createOptions(t *api.Task, cs *api.ContainerSpec, files []mount.Mount) backend.ContainerCreateOptions {
	cfg := &container.Config{
		Labels:       labels(t, cs),
		StopSignal:   cs.StopSignal,
		Tty:          cs.TTY,
		OpenStdin:    cs.OpenStdin,
		User:         cs.User,
		Env:          append(append([]string{}, cs.Env...), genericresource.EnvFormat(t.AssignedGenericResources, "DOCKER_RESOURCE")...),
		Hostname:     cs.Hostname,
		WorkingDir:   cs.Dir,
		Image:        cs.Image,
		ExposedPorts: network.PortSet{},
	}
	if h := cs.Healthcheck; h != nil {
		cfg.Healthcheck = convert.HealthConfigFromGRPC(h)
	}
	// Command replaces the image's entrypoint (Args are its arguments);
	// Args alone are arguments to the image's entrypoint.
	if len(cs.Command) > 0 {
		cfg.Entrypoint = append([]string{}, cs.Command...)
		cfg.Cmd = append([]string{}, cs.Args...)
	} else if len(cs.Args) > 0 {
		cfg.Cmd = append([]string{}, cs.Args...)
	}
	hc := &container.HostConfig{
		Resources:      resources(t, cs),
		GroupAdd:       cs.Groups,
		PortBindings:   network.PortMap{},
		ReadonlyRootfs: cs.ReadOnly,
		Sysctls:        cs.Sysctls,
		CapAdd:         cs.CapabilityAdd,
		CapDrop:        cs.CapabilityDrop,
		OomScoreAdj:    int(cs.OomScoreAdj),
	}
	if cs.Init != nil {
		v := cs.Init.Value
		hc.Init = &v
	}
	for _, p := range hostPorts(t) {
		if p.TargetPort > math.MaxUint16 {
			continue
		}
		port, ok := network.PortFrom(uint16(p.TargetPort), network.IPProtocol(strings.ToLower(p.Protocol.String())))
		if !ok {
			continue
		}
		cfg.ExposedPorts[port] = struct{}{}
		b := network.PortBinding{}
		if p.PublishedPort != 0 {
			b.HostPort = strconv.Itoa(int(p.PublishedPort))
		}
		hc.PortBindings[port] = append(hc.PortBindings[port], b)
	}
	for _, m := range cs.Mounts {
		hc.Mounts = append(hc.Mounts, convert.MountFromGRPC(m))
	}
	hc.Mounts = append(hc.Mounts, files...)
	if d := cs.DNSConfig; d != nil {
		for _, ns := range d.Nameservers {
			if a, err := netip.ParseAddr(ns); err == nil {
				hc.DNS = append(hc.DNS, a)
			}
		}
		hc.DNSSearch = d.Search
		hc.DNSOptions = d.Options
	}
	if gw := overlayResolver(t); gw.IsValid() && len(hc.DNS) == 0 {
		hc.DNS = []netip.Addr{gw} // service discovery (overlay.go)
	}
	// swarmkit's hosts are /etc/hosts lines ("IP name [aliases]"); the
	// Engine API's extra hosts are "name:IP".
	for _, h := range cs.Hosts {
		if f := strings.Fields(h); len(f) > 1 {
			hc.ExtraHosts = append(hc.ExtraHosts, f[1]+":"+f[0])
		}
	}
	if p := cs.Privileges; p != nil {
		if p.NoNewPrivileges {
			hc.SecurityOpt = append(hc.SecurityOpt, "no-new-privileges=true")
		}
		if s := p.Seccomp; s != nil && s.Mode == api.Privileges_SeccompOpts_UNCONFINED {
			hc.SecurityOpt = append(hc.SecurityOpt, "seccomp=unconfined")
		}
	}
	if t.Spec.LogDriver != nil && t.Spec.LogDriver.Name != "" {
		hc.LogConfig = container.LogConfig{Type: t.Spec.LogDriver.Name, Config: t.Spec.LogDriver.Options}
	}
	return backend.ContainerCreateOptions{Name: containerName(t), Config: cfg, HostConfig: hc}
}

// hostPorts are the task's mode=host published ports: the allocated
// ones, else (the node-local allocator allocates none) the spec's.
// Ingress ports go through the routing mesh (overlay's ingress.go).
func hostPorts(t *api.Task) []*api.PortConfig {
	if t.Endpoint == nil {
		return nil
	}
	var out []*api.PortConfig
	for _, p := range t.Endpoint.Ports {
		if p.PublishMode == api.PublishModeHost {
			out = append(out, p)
		}
	}
	if len(out) == 0 && t.Endpoint.Spec != nil {
		for _, p := range t.Endpoint.Spec.Ports {
			if p.PublishMode == api.PublishModeHost {
				out = append(out, p)
			}
		}
	}
	return out
}

// labels are the spec's container labels, the orchestrator's task
// labels over them, and docker's com.docker.swarm.* labels over all.
func labels(t *api.Task, cs *api.ContainerSpec) map[string]string {
	l := map[string]string{}
	maps.Copy(l, cs.Labels)
	maps.Copy(l, t.Annotations.Labels)
	for k, v := range map[string]string{
		"task":         "",
		"task.id":      t.ID,
		"task.name":    containerName(t),
		"node.id":      t.NodeID,
		"service.id":   t.ServiceID,
		"service.name": t.ServiceAnnotations.Name,
	} {
		l[labelPrefix+"."+k] = v
	}
	return l
}

func resources(t *api.Task, cs *api.ContainerSpec) container.Resources {
	var r container.Resources
	if cs.PidsLimit > 0 {
		v := cs.PidsLimit
		r.PidsLimit = &v
	}
	for _, u := range cs.Ulimits {
		r.Ulimits = append(r.Ulimits, &container.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	}
	res := t.Spec.Resources
	if res == nil {
		return r
	}
	if res.Reservations != nil && res.Reservations.MemoryBytes > 0 {
		r.MemoryReservation = res.Reservations.MemoryBytes
	}
	if res.MemorySwappiness != nil {
		v := res.MemorySwappiness.Value
		r.MemorySwappiness = &v
	}
	if res.Limits == nil {
		return r
	}
	if res.Limits.MemoryBytes > 0 {
		r.Memory = res.Limits.MemoryBytes
		if res.SwapBytes != nil {
			switch swap := res.SwapBytes.Value; {
			case swap == -1:
				r.MemorySwap = -1
			case swap >= 0:
				r.MemorySwap = r.Memory + swap // the Engine API's swap is memory plus swap
			}
		}
	}
	if res.Limits.NanoCPUs > 0 {
		r.NanoCPUs = res.Limits.NanoCPUs
	}
	return r
}

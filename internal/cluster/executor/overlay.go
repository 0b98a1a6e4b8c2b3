package executor

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/swarmkit/v2/api"
)

// Overlay is the node's overlay data plane (internal/network/overlay):
// a task on overlay networks gets an interface on each once its
// container runs, and gives them back when it stops.
type Overlay interface {
	Start(nodeID string, addr netip.Addr) error
	// Join gives the task's container ctrID, whose process is pid, its
	// endpoints; dnsNames are what its inspect shows as DNSNames.
	Join(ctx context.Context, t *api.Task, ctrID string, dnsNames []string, pid int) error
	Leave(taskID string)
	Reset()
	// The routing mesh's sandbox (ingress.go).
	SetupIngress(ctx context.Context, nw *api.Network, addr string) error
	ReleaseIngress()
}

// joinOverlay connects the task's running container to its overlay
// networks.
func (c *controller) joinOverlay(ctx context.Context) error {
	if c.e.cfg.Overlay == nil || !hasOverlay(c.task) {
		return nil
	}
	ctr, err := c.e.cfg.Containers.Inspect(ctx, c.name, false)
	if err != nil {
		return err
	}
	if ctr.State == nil || !ctr.State.Running || ctr.State.Pid == 0 {
		return nil
	}
	if err := c.e.cfg.Overlay.Join(ctx, c.task, ctr.ID, dnsNames(ctr), ctr.State.Pid); err != nil {
		return fmt.Errorf("connecting to overlay networks: %w", err)
	}
	return nil
}

// dnsNames are a task container's DNS names on its networks, as
// dockerd's buildEndpointDNSNames makes them: its name, its short ID and
// its hostname. (The service's name and aliases resolve through the
// service's VIP, not through the endpoint.)
func dnsNames(ctr container.InspectResponse) []string {
	var out []string
	if name := strings.TrimPrefix(ctr.Name, "/"); name != "" {
		out = append(out, name)
	}
	if len(ctr.ID) >= 12 {
		out = append(out, ctr.ID[:12])
	}
	if ctr.Config != nil && ctr.Config.Hostname != "" {
		out = append(out, ctr.Config.Hostname)
	}
	return dedup(out)
}

// dedup drops repeated names, keeping the first of each.
func dedup(names []string) []string {
	out := names[:0]
	for _, n := range names {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

func (c *controller) leaveOverlay() {
	if c.e.cfg.Overlay != nil {
		c.e.cfg.Overlay.Leave(c.task.ID)
	}
}

func hasOverlay(t *api.Task) bool {
	for _, a := range t.Networks {
		if a.Network != nil && a.Network.DriverState != nil && a.Network.DriverState.Name == "overlay" && len(a.Addresses) > 0 {
			return true
		}
	}
	return false
}

// configureOverlay starts the node's gossip on its address as the
// managers see it (its data path address).
func (e *Executor) configureOverlay(node *api.Node) {
	if e.cfg.Overlay == nil || node == nil {
		return
	}
	addr, err := netip.ParseAddr(node.Status.Addr)
	if err != nil || addr.IsUnspecified() {
		return
	}
	if err := e.cfg.Overlay.Start(node.ID, addr); err != nil {
		e.cfg.Log.Warn("overlay: peer gossip unavailable; overlay networks reach no other node", "err", err)
	}
}

// overlayResolver is the resolver a task on overlay networks asks: the
// one on its first overlay network's gateway, which knows the services
// and forwards other names to the node's resolvers.
func overlayResolver(t *api.Task) netip.Addr {
	for _, a := range t.Networks {
		if a.Network == nil || a.Network.Spec.Ingress || a.Network.DriverState == nil || a.Network.DriverState.Name != "overlay" || a.Network.IPAM == nil || len(a.Network.IPAM.Configs) == 0 {
			continue
		}
		if gw, err := netip.ParseAddr(a.Network.IPAM.Configs[0].Gateway); err == nil {
			return gw
		}
	}
	return netip.Addr{}
}

package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	apinet "github.com/moby/moby/api/types/network"
	swarmapi "github.com/moby/swarmkit/v2/api"

	"github.com/wharf/wharf/internal/cluster"
	"github.com/wharf/wharf/internal/cluster/executor"
	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/fsutil"
	netsvc "github.com/wharf/wharf/internal/network"
	"github.com/wharf/wharf/internal/network/overlay"
)

// attachTimeout bounds the wait for the managers' attachment task, as
// dockerd's request timeout does.
const attachTimeout = 30 * time.Second

// overlayNetworks is the container service's view of networks: the
// network service's own, plus the swarm's attachable overlay networks,
// which a container joins through a network-attachment task the managers
// allocate (cluster.AttachNetwork, executor.WaitAttachment) and the
// node's overlay data plane (overlay.Node.JoinContainer). A container
// whose network is an overlay gets the default bridge as its gateway
// network (dockerd's docker_gwbridge: outbound traffic and published
// ports), hidden from inspect as dockerd hides docker_gwbridge.
//
// Lock order: mu guards the attachments map only and is held for no
// call; the container service calls in holding the container's lock,
// and each call goes down to one service at a time.
type overlayNetworks struct {
	*netsvc.Service
	ov   *overlay.Node
	dir  string // one record per container with attachments: <exec root>/overlay-attach
	log  *slog.Logger
	node atomic.Pointer[swarmNode]

	mu       sync.Mutex
	attached map[string]attachRecord // by container ID
}

// swarmNode is what is asked of swarm mode, set once the cluster is
// built (it is built over the container service, which is built over
// this): before that, and outside a swarm, no network is an overlay.
type swarmNode struct {
	cluster *cluster.Cluster
	exec    *executor.Executor
}

// attachRecord is a container's overlay attachments, kept in a file so
// that a restarted daemon gives them back.
type attachRecord struct {
	Gateway bool // the default bridge was added as the gateway network
	Atts    []attachment
}

type attachment struct {
	TaskID  string
	Name    string // the network's name
	Network string // ID
	Addr    netip.Prefix
	MAC     string
	Aliases []string
	DNS     []string
	Raw     []byte // the swarmkit attachment, to join again after a restart
}

func newOverlayNetworks(s *netsvc.Service, ov *overlay.Node, dir string, log *slog.Logger) *overlayNetworks {
	o := &overlayNetworks{Service: s, ov: ov, dir: dir, log: log, attached: map[string]attachRecord{}}
	des, _ := os.ReadDir(dir)
	for _, d := range des {
		var r attachRecord
		id := strings.TrimSuffix(d.Name(), ".json")
		b, err := os.ReadFile(filepath.Join(dir, d.Name()))
		if err != nil || json.Unmarshal(b, &r) != nil {
			continue
		}
		o.attached[id] = r
		// The container still runs (its namespace is there): announce its
		// endpoints again.
		if ns := s.NetNS(id); ns != "" {
			for _, a := range r.Atts {
				var att swarmapi.NetworkAttachment
				if att.Unmarshal(a.Raw) == nil {
					if _, err := ov.JoinContainer(a.TaskID, ns, &att, a.DNS[0], a.DNS[1:]); err != nil {
						log.Warn("overlay: rejoining an attached container", "container", id, "err", err)
					}
				}
			}
		}
	}
	return o
}

// setSwarm makes the swarm's networks reachable; called once at start-up.
func (o *overlayNetworks) setSwarm(c *cluster.Cluster, e *executor.Executor) {
	o.node.Store(&swarmNode{cluster: c, exec: e})
}

// overlaysOf are the networks of req that this node does not have and
// the swarm may: attachable overlays.
func (o *overlayNetworks) overlaysOf(mode string, endpoints map[string]*apinet.EndpointSettings) []string {
	sn := o.node.Load()
	if sn == nil || !sn.cluster.InSwarm() {
		return nil
	}
	var out []string
	isLocal := func(ref string) bool {
		switch ref {
		case "", "default", apinet.NetworkBridge, apinet.NetworkHost, apinet.NetworkNone:
			return true
		}
		_, err := o.Service.Exists(ref)
		return err == nil || !errdefs.IsNotFound(err)
	}
	if !isLocal(mode) {
		out = append(out, mode)
	}
	for ref := range endpoints {
		if ref != mode && !isLocal(ref) {
			out = append(out, ref)
		}
	}
	return out
}

// Attach makes the container's sandbox as the network service does and
// joins it to the overlays it asks for.
func (o *overlayNetworks) Attach(ctx context.Context, req netsvc.AttachRequest) (*netsvc.AttachResult, error) {
	ovs := o.overlaysOf(req.Mode, req.Endpoints)
	if len(ovs) == 0 {
		return o.Service.Attach(ctx, req)
	}
	sn := o.node.Load()
	rec := attachRecord{}
	local := req
	local.Endpoints = maps.Clone(req.Endpoints)
	for _, ref := range ovs {
		delete(local.Endpoints, ref)
	}
	if slices.Contains(ovs, req.Mode) {
		local.Mode = apinet.NetworkBridge
		rec.Gateway = true
	}
	ok := false
	defer func() {
		if !ok {
			o.Service.Detach(ctx, req.ContainerID)
			o.release(context.WithoutCancel(ctx), req.ContainerID, rec)
		}
	}()
	var atts []*swarmapi.NetworkAttachment
	for _, ref := range ovs {
		a, att, err := o.ask(ctx, sn, req.ContainerID, req.Name, ref, req.Endpoints[ref])
		if a.TaskID != "" {
			rec.Atts = append(rec.Atts, a)
		}
		if err != nil {
			return nil, err
		}
		atts = append(atts, att)
	}
	if err := o.save(req.ContainerID, rec); err != nil {
		return nil, err
	}
	res, err := o.Service.Attach(ctx, local)
	if err != nil {
		return nil, err
	}
	var resolver netip.Addr
	for i, att := range atts {
		a := &rec.Atts[i]
		got, err := o.ov.JoinContainer(a.TaskID, res.NetNS, att, a.DNS[0], a.DNS[1:])
		if err != nil {
			return nil, err
		}
		a.Addr = got.Addr
		a.MAC = overlay.MACFor(got.Addr.Addr()).String()
		if !resolver.IsValid() {
			resolver = got.Gateway
		}
	}
	if err := o.save(req.ContainerID, rec); err != nil {
		return nil, err
	}
	res.ResolvConf = withResolver(res.ResolvConf, resolver)
	ok = true
	return res, nil
}

// ask has the managers attach the container to the network ref and
// waits for the attachment; a's TaskID is set once the managers made it,
// also on error, for it to be given back.
func (o *overlayNetworks) ask(ctx context.Context, sn *swarmNode, containerID, name, ref string, es *apinet.EndpointSettings) (attachment, *swarmapi.NetworkAttachment, error) {
	var want []string
	if es != nil && es.IPAMConfig != nil && es.IPAMConfig.IPv4Address.IsValid() {
		want = append(want, es.IPAMConfig.IPv4Address.String())
	}
	taskID, err := sn.cluster.AttachNetwork(ctx, ref, containerID, want)
	if err != nil {
		return attachment{}, nil, err
	}
	a := attachment{TaskID: taskID}
	wctx, cancel := context.WithTimeout(ctx, attachTimeout)
	att, err := sn.exec.WaitAttachment(wctx, taskID)
	cancel()
	if err != nil {
		return a, nil, err
	}
	a.Name, a.Network = att.Network.Spec.Annotations.Name, att.Network.ID
	if es != nil {
		a.Aliases = es.Aliases
	}
	// dockerd's DNS names on a swarm network: the container's name, its
	// aliases, its short ID.
	a.DNS = append(append([]string{name}, a.Aliases...), containerID[:12])
	if a.Raw, err = att.Marshal(); err != nil {
		return a, nil, err
	}
	return a, att, nil
}

// AttachEndpoint is `network connect`: an attachable overlay joins a
// running container at once; for a stopped one it is recorded, and
// joined at its next start.
func (o *overlayNetworks) AttachEndpoint(ctx context.Context, req netsvc.EndpointRequest) (netsvc.NetworkRef, error) {
	if len(o.overlaysOf("", map[string]*apinet.EndpointSettings{req.Network: nil})) == 0 {
		return o.Service.AttachEndpoint(ctx, req)
	}
	ref := netsvc.NetworkRef{Name: req.Network, Driver: overlay.Driver}
	nsPath := o.Service.NetNS(req.ContainerID)
	if nsPath == "" {
		return ref, nil
	}
	o.mu.Lock()
	rec := o.attached[req.ContainerID]
	o.mu.Unlock()
	for _, a := range rec.Atts {
		if a.Name == req.Network || a.Network == req.Network {
			return netsvc.NetworkRef{}, errs.Wrap(errdefs.ErrPermissionDenied, fmt.Errorf("endpoint with name %s already exists in network %s", req.Name, a.Name))
		}
	}
	a, att, err := o.ask(ctx, o.node.Load(), req.ContainerID, req.Name, req.Network, req.Settings)
	if err == nil {
		var got overlay.Attachment
		if got, err = o.ov.JoinContainer(a.TaskID, nsPath, att, a.DNS[0], a.DNS[1:]); err == nil {
			a.Addr, a.MAC = got.Addr, overlay.MACFor(got.Addr.Addr()).String()
			ref.Resolver = got.Gateway
			rec.Atts = append(slices.Clone(rec.Atts), a)
			err = o.save(req.ContainerID, rec)
		}
	}
	if err != nil {
		if a.TaskID != "" {
			o.release(context.WithoutCancel(ctx), "", attachRecord{Atts: []attachment{a}})
		}
		return netsvc.NetworkRef{}, err
	}
	ref.ID, ref.Name = a.Network, a.Name
	return ref, nil
}

// DetachEndpoint is `network disconnect` of an overlay the container
// joined.
func (o *overlayNetworks) DetachEndpoint(ctx context.Context, containerID, ref string) (netsvc.NetworkRef, bool, error) {
	o.mu.Lock()
	rec, ok := o.attached[containerID]
	o.mu.Unlock()
	for i, a := range rec.Atts {
		if ok && (a.Name == ref || a.Network == ref) {
			if ns := o.Service.NetNS(containerID); ns != "" {
				o.ov.LeaveContainer(a.TaskID, ns)
			}
			o.release(ctx, "", attachRecord{Atts: []attachment{a}})
			rec.Atts = slices.Delete(slices.Clone(rec.Atts), i, i+1)
			if err := o.save(containerID, rec); err != nil {
				return netsvc.NetworkRef{}, true, err
			}
			return netsvc.NetworkRef{ID: a.Network, Name: a.Name, Driver: overlay.Driver}, true, nil
		}
	}
	return o.Service.DetachEndpoint(ctx, containerID, ref)
}

// withResolver points resolv.conf at the overlay network's resolver,
// which answers the swarm's names and forwards the rest to the node's.
func withResolver(conf []byte, resolver netip.Addr) []byte {
	var b bytes.Buffer
	b.WriteString("nameserver " + resolver.String() + "\n")
	for _, l := range strings.SplitAfter(string(conf), "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == "nameserver" {
			continue
		}
		b.WriteString(l)
	}
	return b.Bytes()
}

// Detach releases the container's sandbox and gives its attachments back.
func (o *overlayNetworks) Detach(ctx context.Context, containerID string) {
	o.Service.Detach(ctx, containerID)
	o.mu.Lock()
	rec, ok := o.attached[containerID]
	o.mu.Unlock()
	if ok {
		o.release(ctx, containerID, rec)
	}
}

// release leaves the overlays, gives the attachment tasks back and
// forgets the record.
func (o *overlayNetworks) release(ctx context.Context, containerID string, rec attachRecord) {
	sn := o.node.Load()
	var errs []error
	for _, a := range rec.Atts {
		o.ov.Leave(a.TaskID)
		if sn != nil {
			sn.exec.ForgetAttachment(a.TaskID)
			if err := sn.cluster.DetachNetwork(ctx, a.TaskID); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		// The managers remove the attachment with the node if it leaves.
		o.log.Warn("overlay: giving network attachments back", "container", containerID, "err", err)
	}
	if containerID == "" {
		return // one attachment of a container that keeps others
	}
	o.mu.Lock()
	delete(o.attached, containerID)
	o.mu.Unlock()
	if err := os.Remove(filepath.Join(o.dir, containerID+".json")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		o.log.Warn("overlay: removing an attachment record", "container", containerID, "err", err)
	}
}

func (o *overlayNetworks) save(containerID string, rec attachRecord) error {
	if err := os.MkdirAll(o.dir, 0o700); err != nil {
		return err
	}
	if err := fsutil.WriteJSONAtomic(filepath.Join(o.dir, containerID+".json"), rec, false); err != nil {
		return err
	}
	o.mu.Lock()
	o.attached[containerID] = rec
	o.mu.Unlock()
	return nil
}

// Settings adds the container's overlay endpoints to what the network
// service shows, and hides the gateway bridge: a swarm task's (the
// endpoints the node's overlay data plane gave it) or an attached
// container's.
func (o *overlayNetworks) Settings(containerID, mode string, configured map[string]*apinet.EndpointSettings) *container.NetworkSettings {
	ns := o.Service.Settings(containerID, mode, configured)
	if eps := o.ov.ContainerEndpoints(containerID); len(eps) > 0 {
		addTaskEndpoints(ns, eps)
		return ns
	}
	o.mu.Lock()
	rec, ok := o.attached[containerID]
	o.mu.Unlock()
	if !ok {
		return ns
	}
	if _, asked := configured[apinet.NetworkBridge]; rec.Gateway && !asked {
		delete(ns.Networks, apinet.NetworkBridge)
	}
	for _, a := range rec.Atts {
		if !a.Addr.IsValid() {
			continue
		}
		es := &apinet.EndpointSettings{
			NetworkID: a.Network, EndpointID: a.TaskID, IPAddress: a.Addr.Addr(), IPPrefixLen: a.Addr.Bits(),
			Aliases: a.Aliases, DNSNames: a.DNS,
		}
		if mac, err := net.ParseMAC(a.MAC); err == nil {
			es.MacAddress = apinet.HardwareAddr(mac)
		}
		if c := configured[a.Name]; c != nil {
			es.IPAMConfig = c.IPAMConfig
		}
		ns.Networks[a.Name] = es
	}
	return ns
}

// addTaskEndpoints shows a swarm task's overlay endpoints as dockerd
// does: one entry per network, and no bridge, its gateway network (as
// docker_gwbridge is hidden).
func addTaskEndpoints(ns *container.NetworkSettings, eps []overlay.ContainerEndpoint) {
	delete(ns.Networks, apinet.NetworkBridge)
	for _, ep := range eps {
		ns.Networks[ep.NetworkName] = &apinet.EndpointSettings{
			IPAMConfig: &apinet.EndpointIPAMConfig{IPv4Address: ep.Addr.Addr()},
			NetworkID:  ep.NetworkID, EndpointID: ep.EndpointID,
			IPAddress: ep.Addr.Addr(), IPPrefixLen: ep.Addr.Bits(), MacAddress: apinet.HardwareAddr(ep.MAC),
			DNSNames: ep.DNSNames,
		}
	}
}

// attachmentTasks maps each attachment task here to its container.
func (o *overlayNetworks) attachmentTasks() map[string]string {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := map[string]string{}
	for ctr, rec := range o.attached {
		for _, a := range rec.Atts {
			out[a.TaskID] = ctr
		}
	}
	return out
}

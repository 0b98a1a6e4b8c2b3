package daemon

import (
	"context"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/volume"

	wevents "github.com/wharf/wharf/internal/events"
	wnetwork "github.com/wharf/wharf/internal/network"
	wvolume "github.com/wharf/wharf/internal/volume"
)

// networkEvents is the network service as the API sees it, publishing
// network create, connect, disconnect and destroy.
type networkEvents struct {
	*wnetwork.Service
	bus *wevents.Bus
}

func (n networkEvents) log(action events.Action, id, name, driver string, extra map[string]string) {
	attrs := map[string]string{"name": name, "type": driver}
	for k, v := range extra {
		attrs[k] = v
	}
	n.bus.Log(events.NetworkEventType, action, id, attrs)
}

func (n networkEvents) Create(ctx context.Context, req network.CreateRequest) (network.CreateResponse, error) {
	resp, err := n.Service.Create(ctx, req)
	if err == nil {
		driver := req.Driver
		if driver == "" {
			driver = "bridge"
		}
		n.log(events.ActionCreate, resp.ID, req.Name, driver, nil)
	}
	return resp, err
}

func (n networkEvents) Remove(ctx context.Context, ref string) error {
	nw, inspectErr := n.Service.Inspect(ctx, ref)
	err := n.Service.Remove(ctx, ref)
	if err == nil && inspectErr == nil {
		n.log(events.ActionDestroy, nw.ID, nw.Name, nw.Driver, nil)
	}
	return err
}

// volumeEvents is the volume service as the API and the container service
// see it, publishing volume create, mount and destroy.
type volumeEvents struct {
	*wvolume.Service
	bus *wevents.Bus
}

func (v volumeEvents) log(action events.Action, name string, extra map[string]string) {
	attrs := map[string]string{"driver": "local"}
	for k, val := range extra {
		attrs[k] = val
	}
	v.bus.Log(events.VolumeEventType, action, name, attrs)
}

func (v volumeEvents) Create(ctx context.Context, req volume.CreateRequest) (volume.Volume, error) {
	vol, err := v.Service.Create(ctx, req)
	if err == nil {
		v.log(events.ActionCreate, vol.Name, nil)
	}
	return vol, err
}

// CreateFor is the container service's create: an event only for a new volume.
func (v volumeEvents) CreateFor(ctx context.Context, id, name string, labels, opts map[string]string) (string, error) {
	_, existed := v.Service.Inspect(ctx, name)
	got, err := v.Service.CreateFor(ctx, id, name, labels, opts)
	if err == nil && (name == "" || existed != nil) {
		v.log(events.ActionCreate, got, nil)
	}
	return got, err
}

func (v volumeEvents) Mount(ctx context.Context, name string) (string, error) {
	dir, err := v.Service.Mount(ctx, name)
	if err == nil {
		v.log(events.ActionMount, name, nil)
	}
	return dir, err
}

func (v volumeEvents) Remove(ctx context.Context, name string, force bool) error {
	err := v.Service.Remove(ctx, name, force)
	if err == nil {
		v.log(events.ActionDestroy, name, nil)
	}
	return err
}

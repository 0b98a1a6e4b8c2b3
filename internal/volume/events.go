package volume

import (
	"context"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/volume"
)

// The verbs below are their workers in volume.go, then docker's volume
// event, published once mu is released.

// Create makes a volume; creating one that exists returns it unchanged,
// as docker does (and publishes "create" again, as docker does). An empty
// name gets a random one.
func (s *Service) Create(ctx context.Context, req volume.CreateRequest) (volume.Volume, error) {
	vol, err := s.create(ctx, req)
	if err == nil {
		s.event(events.ActionCreate, vol.Name)
	}
	return vol, err
}

// CreateFor returns the volume container id names, creating it if
// missing (with labels and driver options); an empty name makes an
// anonymous volume. It returns the name. Only a volume it makes gets a
// create event.
func (s *Service) CreateFor(ctx context.Context, id, name string, labels, opts map[string]string) (string, error) {
	got, created, err := s.createFor(id, name, labels, opts)
	if created {
		s.event(events.ActionCreate, got)
	}
	return got, err
}

// Mount readies a volume for a starting container and returns the host
// directory to bind.
func (s *Service) Mount(ctx context.Context, name string) (string, error) {
	dir, err := s.mount(ctx, name)
	if err == nil {
		s.event(events.ActionMount, name)
	}
	return dir, err
}

// Remove deletes a volume and its data, unless a container uses it.
// force only ignores a missing volume, as with dockerd.
func (s *Service) Remove(ctx context.Context, name string, force bool) error {
	err := s.remove(ctx, name, force)
	if err == nil {
		s.event(events.ActionDestroy, name)
	}
	return err
}

// event publishes a volume event with docker's attributes.
func (s *Service) event(action events.Action, name string) {
	if s.events != nil {
		s.events.Log(events.VolumeEventType, action, name, map[string]string{"driver": DriverName})
	}
}

package network

import (
	"context"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/network"
)

// Create and Remove are create and remove, then docker's network event,
// published once mu is released. Connect and disconnect events come from
// the container service, which connects containers.

// Create makes a user-defined bridge network.
func (s *Service) Create(ctx context.Context, req network.CreateRequest) (network.CreateResponse, error) {
	resp, err := s.create(ctx, req)
	if err == nil {
		driver := req.Driver
		if driver == "" {
			driver = "bridge"
		}
		s.event(events.ActionCreate, resp.ID, req.Name, driver)
	}
	return resp, err
}

// Remove deletes a user-defined network without active endpoints.
func (s *Service) Remove(ctx context.Context, ref string) error {
	nw, inspectErr := s.Inspect(ctx, ref)
	err := s.remove(ctx, ref)
	if err == nil && inspectErr == nil {
		s.event(events.ActionDestroy, nw.ID, nw.Name, nw.Driver)
	}
	return err
}

// event publishes a network event with docker's attributes.
func (s *Service) event(action events.Action, id, name, driver string) {
	if s.cfg.Events != nil {
		s.cfg.Events.Log(events.NetworkEventType, action, id, map[string]string{"name": name, "type": driver})
	}
}

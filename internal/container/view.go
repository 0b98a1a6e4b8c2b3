package container

import (
	"encoding/json"
	"maps"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/wharf/wharf/internal/errs"
)

// A view is an immutable copy of one container's record, published
// whenever the record changes, for the readers that must never wait on
// c.mu: list (and so /info), inspect, stats and top. A start, stop,
// connect or remove holds c.mu across slow work (runc, iptables, volume
// and layer work); dockerd's ViewDB (daemon/container/view.go) exists for
// the same reason. A reader sees the record as it was before or after a
// change, never half of it.
type view struct {
	c       *Container // a deep copy; never changed once published, its mu unused
	network *container.NetworkSettings
	ports   []container.PortSummary
}

// publish makes c's current record the one readers see. It is called by
// save, so a view always matches a record written to disk (as dockerd's
// CheckpointTo does), and by the few in-memory-only changes. Callers hold
// c.mu; data is c marshalled (nil: marshal it here).
func (s *Service) publish(c *Container, data []byte) {
	if data == nil {
		var err error
		if data, err = json.Marshal(c); err != nil {
			s.log.Error("publishing container view", "id", c.ID, "err", err)
			return
		}
	}
	cp := &Container{}
	if err := json.Unmarshal(data, cp); err != nil {
		s.log.Error("publishing container view", "id", c.ID, "err", err)
		return
	}
	cp.removed = c.removed
	// Addresses and ports are the network service's (a leaf, callable
	// under c.mu); taken with the record so that they agree with its state.
	c.view.Store(&view{c: cp, network: s.networkSettings(cp), ports: s.portSummaries(cp)})
}

// viewOf finds a container by reference and returns it with its
// published view. A container still being created has none yet: not
// found, as in docker, whose containers appear once their create is
// complete. A view, once published, is never taken back.
func (s *Service) viewOf(ref string) (*Container, *view, error) {
	c, err := s.get(ref)
	if err != nil {
		return nil, nil, err
	}
	v := c.view.Load()
	if v == nil {
		return nil, nil, errs.NotFound("No such container: %s", ref)
	}
	return c, v, nil
}

// current is the latest published record of the container with this id,
// nil once it is gone.
func (s *Service) current(id string) *Container {
	_, v, err := s.viewOf(id)
	if err != nil {
		return nil
	}
	return v.c
}

// views returns the published views of every created container.
func (s *Service) views() []*view {
	cs := s.all()
	out := make([]*view, 0, len(cs))
	for _, c := range cs {
		if v := c.view.Load(); v != nil {
			out = append(out, v)
		}
	}
	return out
}

// networkSettings returns a copy of v's network settings a caller may
// change: the view itself is shared by every reader.
func (v *view) networkSettings() *container.NetworkSettings {
	ns := *v.network
	ns.Ports = maps.Clone(v.network.Ports)
	ns.Networks = make(map[string]*network.EndpointSettings, len(v.network.Networks))
	for name, es := range v.network.Networks {
		cp := *es
		ns.Networks[name] = &cp
	}
	return &ns
}

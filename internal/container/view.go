package container

import (
	"encoding/json"

	"github.com/wharf/wharf/internal/errs"
)

// A view is an immutable copy of one container's record, published
// whenever the record changes, for the readers that must never wait on
// c.mu: list (and so /info), inspect, stats and top. A start, stop,
// connect or remove holds c.mu across slow work (runc, iptables, volume
// and layer work); dockerd's ViewDB (daemon/container/view.go) exists for
// the same reason. A reader sees the record as it was before or after a
// change, never half of it.
//
// A view's addresses and ports are read from the network service when
// asked (a leaf, which never waits on c.mu): a swarm task joins its
// overlays after its start, without a save, and its inspect must show
// them.
type view struct {
	c *Container // a deep copy; never changed once published, its mu unused
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
	c.view.Store(&view{c: cp})
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

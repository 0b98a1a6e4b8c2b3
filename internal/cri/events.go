package cri

import (
	"context"
	"sync"
	"time"

	"github.com/moby/moby/api/types/events"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// GetContainerEvents is the kubelet's evented PLEG stream: a pod's
// containers (from the container service's events) and the pod sandbox
// itself (its id as the container id, as containerd sends them) created,
// started, stopped and deleted, each with the pod's status and its
// containers' statuses as they are when the event is sent.

// Events is where the container service's events come from: the daemon's
// event bus.
type Events interface {
	Subscribe(since time.Time) ([]events.Message, <-chan events.Message, func())
}

// eventHub hands the CRI's events to every GetContainerEvents stream.
// A stream that does not keep up loses events rather than holding the
// daemon back (the kubelet relists then, as after a lost stream). It is a
// leaf of the lock order: publish calls nothing.
type eventHub struct {
	mu   sync.Mutex
	subs map[chan *runtimeapi.ContainerEventResponse]struct{}
}

// eventBuffer is how many events a stream may be behind.
const eventBuffer = 256

func (h *eventHub) subscribe() (<-chan *runtimeapi.ContainerEventResponse, func()) {
	ch := make(chan *runtimeapi.ContainerEventResponse, eventBuffer)
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[chan *runtimeapi.ContainerEventResponse]struct{}{}
	}
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs, ch)
		h.mu.Unlock()
	}
}

// listening says whether any stream is open: events are only built for
// listeners (building one reads the pod's statuses).
func (h *eventHub) listening() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs) > 0
}

func (h *eventHub) publish(ev *runtimeapi.ContainerEventResponse) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}

// GetContainerEvents streams the CRI's events until the kubelet goes.
func (s *Server) GetContainerEvents(req *runtimeapi.GetEventsRequest, stream runtimeapi.RuntimeService_GetContainerEventsServer) error {
	ch, cancel := s.events.subscribe()
	defer cancel()
	ctx := stream.Context()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-ch:
			if err := stream.Send(ev); err != nil {
				return err
			}
		}
	}
}

// containerEventTypes maps the container service's actions onto the CRI's.
var containerEventTypes = map[events.Action]runtimeapi.ContainerEventType{
	events.ActionCreate:  runtimeapi.ContainerEventType_CONTAINER_CREATED_EVENT,
	events.ActionStart:   runtimeapi.ContainerEventType_CONTAINER_STARTED_EVENT,
	events.ActionDie:     runtimeapi.ContainerEventType_CONTAINER_STOPPED_EVENT,
	events.ActionDestroy: runtimeapi.ContainerEventType_CONTAINER_DELETED_EVENT,
}

// forwardEvents turns the container service's events about the pods'
// containers into CRI events, until ctx ends.
func (s *Server) forwardEvents(ctx context.Context) {
	if s.cfg.Events == nil {
		return
	}
	_, ch, cancel := s.cfg.Events.Subscribe(time.Time{})
	defer cancel()
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-ch:
			typ, ok := containerEventTypes[m.Action]
			sandboxID := m.Actor.Attributes[labelSandboxID]
			if m.Type != events.ContainerEventType || !ok || sandboxID == "" || !s.events.listening() {
				continue
			}
			s.events.publish(s.podEvent(ctx, m.Actor.ID, sandboxID, typ, m.TimeNano))
		}
	}
}

// sandboxEvent publishes an event of the pod sandbox sb itself.
func (s *Server) sandboxEvent(ctx context.Context, sandboxID string, types ...runtimeapi.ContainerEventType) {
	if !s.events.listening() {
		return
	}
	for _, typ := range types {
		s.events.publish(s.podEvent(ctx, sandboxID, sandboxID, typ, nowNano()))
	}
}

// podEvent is an event of container id in the pod sandboxID, with the
// pod's status (none once the pod is removed) and its containers'.
func (s *Server) podEvent(ctx context.Context, id, sandboxID string, typ runtimeapi.ContainerEventType, at int64) *runtimeapi.ContainerEventResponse {
	ev := &runtimeapi.ContainerEventResponse{ContainerId: id, ContainerEventType: typ, CreatedAt: at}
	if sb, err := s.getSandbox(sandboxID); err == nil {
		ev.PodSandboxStatus = sandboxStatus(sb)
	}
	ev.ContainersStatuses = s.podContainerStatuses(ctx, sandboxID)
	return ev
}

// podContainerStatuses is the status of every container of a pod.
func (s *Server) podContainerStatuses(ctx context.Context, sandboxID string) []*runtimeapi.ContainerStatus {
	list, err := s.ListContainers(ctx, &runtimeapi.ListContainersRequest{Filter: &runtimeapi.ContainerFilter{PodSandboxId: sandboxID}})
	if err != nil {
		return nil
	}
	var out []*runtimeapi.ContainerStatus
	for _, c := range list.Containers {
		if st, err := s.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: c.Id}); err == nil {
			out = append(out, st.Status)
		}
	}
	return out
}

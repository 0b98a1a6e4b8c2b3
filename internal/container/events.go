package container

import (
	"strconv"
	"strings"
	"syscall"

	"github.com/moby/moby/api/types/events"
)

// event publishes a container event for c with docker's attributes: the
// container's labels, name and image, plus extra (exitCode, signal, ...).
// Callers hold c.mu (c.Name changes with a rename).
func (s *Service) event(c *Container, action events.Action, extra map[string]string) {
	if s.cfg.Events == nil {
		return
	}
	attrs := map[string]string{}
	if c.Config != nil {
		for k, v := range c.Config.Labels {
			attrs[k] = v
		}
		attrs["image"] = c.Config.Image
	}
	attrs["name"] = strings.TrimPrefix(c.Name, "/")
	for k, v := range extra {
		attrs[k] = v
	}
	s.cfg.Events.Log(events.ContainerEventType, action, c.ID, attrs)
}

// exitEvents publishes oom (when the kernel killed the process for memory)
// and die with the exit code. Callers hold c.mu, after recording the exit.
func (s *Service) exitEvents(c *Container) {
	if c.State.OOMKilled {
		s.event(c, events.ActionOOM, nil)
	}
	s.event(c, events.ActionDie, map[string]string{"exitCode": strconv.Itoa(c.State.ExitCode)})
}

// killEvent publishes kill with the signal's number.
func (s *Service) killEvent(c *Container, sig syscall.Signal) {
	s.event(c, events.ActionKill, map[string]string{"signal": strconv.Itoa(int(sig))})
}

// pauseEvent publishes pause or unpause.
func (s *Service) pauseEvent(c *Container, pause bool) {
	if pause {
		s.event(c, events.ActionPause, nil)
	} else {
		s.event(c, events.ActionUnPause, nil)
	}
}

// afterEvent publishes action when err is nil, and returns err: a hook for
// "stop" and "restart", which happen only when they succeed. Callers do
// not hold c.mu.
func (s *Service) afterEvent(c *Container, action events.Action, err error) error {
	if err == nil {
		c.mu.Lock()
		s.event(c, action, nil)
		c.mu.Unlock()
	}
	return err
}

// execEvent publishes an exec's event: "exec_create: <cmd>",
// "exec_start: <cmd>" or exec_die, with the exec's id. Callers do not
// hold c.mu.
func (s *Service) execEvent(c *Container, e *Exec, action events.Action, extra map[string]string) {
	if action != events.ActionExecDie {
		action = events.Action(string(action) + ": " + strings.Join(e.Config.Cmd, " "))
	}
	attrs := map[string]string{"execID": e.ID}
	for k, v := range extra {
		attrs[k] = v
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s.event(c, action, attrs)
}

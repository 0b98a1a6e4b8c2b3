package container

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/wharf/wharf/internal/logger"
)

// logCheckInterval is how often running containers' log sizes are
// checked. conmon writes the log, not wharfd, so a file may pass its
// max-size by what a container writes in this time before it rotates
// (docker rotates at the byte); while wharfd is stopped the live file
// grows until the next wharfd rotates it.
const logCheckInterval = time.Second

// rotateLogs rotates running containers' logs past their max-size until
// ctx ends.
func (s *Service) rotateLogs(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.mu.RLock()
		list := make([]*Container, 0, len(s.byID))
		for _, c := range s.byID {
			list = append(list, c)
		}
		s.mu.RUnlock()
		for _, c := range list {
			if err := s.rotateLog(c); err != nil {
				s.log.Warn("rotating a container's log", "id", c.ID, "err", err)
			}
		}
	}
}

// rotateLog rotates c's log if it is running and its log is past
// max-size, then compresses the file rotated out. c's lock keeps a stop
// or removal from racing the reopen; compressing needs no lock.
func (s *Service) rotateLog(c *Container) error {
	c.mu.Lock()
	r := logRotation(c)
	if !c.State.Running || c.removed || r.MaxSize <= 0 {
		c.mu.Unlock()
		return nil
	}
	path := s.logPath(c)
	st, err := os.Stat(path)
	if err != nil || st.Size() < r.MaxSize {
		c.mu.Unlock()
		return nil
	}
	err = logger.Rotate(path, r, func() error { return s.reopenLog(c) })
	c.mu.Unlock()
	if err != nil {
		return err
	}
	return logger.CompressFirst(path, r)
}

// reopenLog has conmon close the log file and start a new one at its
// path (conmon's control message 2).
func (s *Service) reopenLog(c *Container) error {
	f, err := os.OpenFile(filepath.Join(s.bundle(c.ID), "ctl"), os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = fmt.Fprintf(f, "2 0 0\n")
	return err
}

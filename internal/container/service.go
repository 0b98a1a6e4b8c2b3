package container

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errs"
	wevents "github.com/wharf/wharf/internal/events"
	"github.com/wharf/wharf/internal/fsutil"
	"github.com/wharf/wharf/internal/image"
	"github.com/wharf/wharf/internal/inuse"
	"github.com/wharf/wharf/internal/store/layer"
)

// Images is what the container service needs from the image store.
type Images interface {
	Get(ctx context.Context, ref string) (*image.Image, error)
	// Layers is img's layers' chain IDs, lowest first, each extracted.
	Layers(ctx context.Context, img *image.Image) ([]digest.Digest, error)
}

// Config is the service's configuration.
type Config struct {
	Root           string // persistent records: <data root>/containers
	RunRoot        string // bundles, sockets, exit files: <exec root>/containers
	Runtimes       map[string]Runtime
	DefaultRuntime string
	CgroupParent   string                       // parent of every container's cgroup, e.g. "/wharf"
	DefaultUlimits map[string]*container.Ulimit // daemon.json's default-ulimits
	Defaults       Defaults                     // daemon.json's container defaults (defaults.go)
	ExecInit       string                       // wharf-exec-init (package execinit); "": exec without it
	ExecInitSkip   map[string]bool              // runtimes that set an exec's soft nofile right (runc ≥ 1.1.13): no ExecInit
	Images         Images
	Layers         layer.Store // image layers and the containers' read-write layers (rootfs.go)
	Networks       Networks    // bridge networks and ports (network.go); nil: isolated only
	Volumes        Volumes     // named and anonymous volumes (mounts.go)
	// Uses records each container's image, volumes and running state for
	// the image and volume services (nil: a private index).
	Uses   *inuse.Index
	Log    *slog.Logger
	Events wevents.Logger // container events (events.go); nil: none
}

// Service manages containers.
//
// Lock order: a container's mu, then s.mu (the indexes below, held only
// to read or change them), then the leaves: the network service's lock,
// the image and volume stores' locks, the uses index, the event bus. The
// services called while a container's mu is held never call back into
// this one, so no cycle can form. Two containers' locks are never held
// at once. A container's lock is held across slow work (runc, mounts,
// iptables), so list, inspect, stats and top take none: they read the
// container's published view (view.go).
type Service struct {
	cfg     Config
	exitDir string
	log     *slog.Logger

	mu     sync.RWMutex
	byID   map[string]*Container
	byName map[string]*Container
	execs  map[string]*Exec
}

// New loads the containers recorded under cfg.Root and starts watching
// for exits. Containers that ended while the daemon was down get their
// exit codes recorded.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.Uses == nil {
		cfg.Uses = inuse.New()
	}
	s := &Service{
		cfg:     cfg,
		exitDir: filepath.Join(cfg.RunRoot, "exits"),
		log:     cfg.Log,
		byID:    map[string]*Container{},
		byName:  map[string]*Container{},
		execs:   map[string]*Exec{},
	}
	for _, d := range []string{cfg.Root, cfg.RunRoot, s.exitDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	if err := s.load(); err != nil {
		return nil, err
	}
	if err := s.watchExits(ctx); err != nil {
		return nil, err
	}
	s.resumeHealth()
	s.restore(ctx)
	go s.rotateLogs(ctx, logCheckInterval)
	return s, nil
}

func (s *Service) dir(id string) string    { return filepath.Join(s.cfg.Root, id) }
func (s *Service) bundle(id string) string { return filepath.Join(s.cfg.RunRoot, id) }

// save persists c's record and publishes it to readers (view.go).
// Callers hold c.mu. No fsync: the rename is atomic against a daemon
// crash, and an fsync per state change would cost milliseconds on every
// run.
func (s *Service) save(c *Container) error {
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	s.publish(c, data)
	return s.write(c, data)
}

// write persists c's record (data, c marshalled) without publishing it.
func (s *Service) write(c *Container, data []byte) error {
	return fsutil.WriteFileAtomic(filepath.Join(s.dir(c.ID), "container.json"), data, 0o600, false)
}

// load reads every container record at start-up.
func (s *Service) load() error {
	entries, err := os.ReadDir(s.cfg.Root)
	if err != nil {
		return err
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(s.cfg.Root, e.Name(), "container.json"))
		if errors.Is(err, fs.ErrNotExist) {
			// A create that died before its record was written: nothing to keep.
			s.log.Warn("removing incomplete container directory", "id", e.Name())
			os.RemoveAll(filepath.Join(s.cfg.Root, e.Name()))
			continue
		}
		if err != nil {
			return err
		}
		c := &Container{changed: make(chan struct{})}
		if err := json.Unmarshal(data, c); err != nil {
			s.log.Error("skipping unreadable container record", "id", e.Name(), "err", err)
			continue
		}
		if c.HostConfig != nil && c.HostConfig.LogConfig.Type == "" {
			c.HostConfig.LogConfig.Type = defaultLogDriver // a record of an older version
		}
		s.byID[c.ID] = c
		s.byName[c.Name] = c
		s.recordUses(c)
		s.publish(c, nil)
	}
	return nil
}

// recordUses puts c's image, volumes and running state in the uses index.
func (s *Service) recordUses(c *Container) {
	s.cfg.Uses.SetImage(c.ID, c.ImageID)
	s.cfg.Uses.SetRunning(c.ID, c.State.Running)
	for _, mp := range c.MountPoints {
		if mp.Type == mount.TypeVolume {
			s.cfg.Uses.AddVolume(c.ID, mp.Name)
		}
	}
}

// get finds a container by full id, name, or unique id prefix.
func (s *Service) get(ref string) (*Container, error) {
	if ref == "" {
		return nil, errs.Invalid("invalid name or ID supplied: %q", ref)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if c, ok := s.byID[ref]; ok {
		return c, nil
	}
	if c, ok := s.byName["/"+strings.TrimPrefix(ref, "/")]; ok {
		return c, nil
	}
	if ref != "" {
		var found *Container
		for id, c := range s.byID {
			if strings.HasPrefix(id, ref) {
				if found != nil {
					return nil, errs.Invalid("multiple IDs found with provided prefix: %s", ref)
				}
				found = c
			}
		}
		if found != nil {
			return found, nil
		}
	}
	return nil, errs.NotFound("No such container: %s", ref)
}

// reserveName claims name for c, or says who has it.
func (s *Service) reserveName(name string, c *Container) error {
	if err := validateName(name); err != nil {
		return err
	}
	name = "/" + strings.TrimPrefix(name, "/")
	s.mu.Lock()
	defer s.mu.Unlock()
	if other, ok := s.byName[name]; ok && other != c {
		return errs.Conflict("Conflict. The container name %q is already in use by container %q. You have to remove (or rename) that container to be able to reuse that name.", name, other.ID)
	}
	s.byName[name] = c
	return nil
}

// generateName picks a free docker-style random name.
func (s *Service) generateName() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for i := 0; ; i++ {
		n := "/" + randomName(i)
		if _, taken := s.byName[n]; !taken {
			return n
		}
	}
}

// all returns every container, unordered.
func (s *Service) all() []*Container {
	s.mu.RLock()
	defer s.mu.RUnlock()
	cs := make([]*Container, 0, len(s.byID))
	for _, c := range s.byID {
		cs = append(cs, c)
	}
	return cs
}

func (s *Service) runtimeFor(name string) (Runtime, error) {
	if name == "" {
		name = s.cfg.DefaultRuntime
	}
	rt, ok := s.cfg.Runtimes[name]
	if !ok {
		return nil, errs.Invalid("unknown or invalid runtime name: %s", name)
	}
	return rt, nil
}

// Package volume is the volume service with docker's "local" driver: each
// volume is a directory <root>/<name>/_data, described by
// <root>/<name>/volume.json (written atomically). A volume may instead be
// backed by a mount (driver options type/device/o, as docker's local
// driver allows), mounted on _data when a container first uses it.
package volume

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/volume"
	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"

	"github.com/wharf/wharf/internal/errs"
	wevents "github.com/wharf/wharf/internal/events"
	"github.com/wharf/wharf/internal/filters"
	"github.com/wharf/wharf/internal/fsutil"
	"github.com/wharf/wharf/internal/inuse"
)

// AnonymousLabel marks volumes made for one container (docker's label);
// prune removes only these unless asked for all.
const AnonymousLabel = "com.docker.volume.anonymous"

// DriverName is the only driver there is.
const DriverName = "local"

var validName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`)

// record is what volume.json holds.
type record struct {
	Name      string
	CreatedAt time.Time
	Labels    map[string]string
	Options   map[string]string
}

// Service manages volumes under one root directory.
type Service struct {
	root   string
	log    *slog.Logger
	events wevents.Logger

	// mu guards vols. Lock order: mu, then the users index (a leaf); the
	// service calls no other service, and publishes events only with mu
	// released (events.go).
	mu    sync.Mutex
	vols  map[string]*record
	users Users
}

// Users records which containers use a volume (the daemon's inuse.Index).
// The service reads and adds to it while holding its lock; it must never
// call back into the service.
type Users interface {
	VolumeUsers(name string) []string
	AddVolume(containerID, name string)
}

// Config is what a volume service is made of.
type Config struct {
	Root   string         // one directory per volume
	Users  Users          // the containers using each volume (nil: a private index)
	Events wevents.Logger // nil: no events are published
	Log    *slog.Logger   // nil: discard
}

// New loads the volumes under cfg.Root, finishing removals a crash cut
// short.
func New(cfg Config) (*Service, error) {
	if cfg.Users == nil {
		cfg.Users = inuse.New()
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	root := cfg.Root
	s := &Service{root: root, log: cfg.Log, events: cfg.Events, vols: map[string]*record{}, users: cfg.Users}
	if err := os.MkdirAll(root, 0o701); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		dir := filepath.Join(root, e.Name())
		if strings.HasPrefix(e.Name(), ".") {
			// A removal (".trash-*") or a create (".new-*") that did not finish.
			s.removeDir(dir)
			continue
		}
		if !e.IsDir() {
			continue
		}
		r, err := readRecord(dir)
		if err != nil {
			s.log.Error("skipping unreadable volume", "name", e.Name(), "err", err)
			continue
		}
		s.vols[r.Name] = r
	}
	return s, nil
}

// readRecord reads a volume's metadata. A directory holding _data but no
// volume.json is still a volume (as with docker's local driver): data is
// never dropped for want of metadata.
func readRecord(dir string) (*record, error) {
	data, err := os.ReadFile(filepath.Join(dir, "volume.json"))
	if errors.Is(err, fs.ErrNotExist) {
		st, serr := os.Stat(filepath.Join(dir, "_data"))
		if serr != nil {
			return nil, serr
		}
		return &record{Name: filepath.Base(dir), CreatedAt: st.ModTime()}, nil
	}
	if err != nil {
		return nil, err
	}
	r := &record{}
	if err := json.Unmarshal(data, r); err != nil {
		return nil, err
	}
	return r, nil
}

func (s *Service) dataDir(name string) string { return filepath.Join(s.root, name, "_data") }

// create makes a volume; creating one that exists returns it unchanged,
// as docker does. An empty name gets a random one.
func (s *Service) create(ctx context.Context, req volume.CreateRequest) (volume.Volume, error) {
	if req.Driver != "" && req.Driver != DriverName {
		// dockerd's OpErr: "create <name>: ...".
		op := strings.TrimSpace("create " + req.Name)
		return volume.Volume{}, errs.NotFound("%s: error looking up volume plugin %s: plugin %q not found", op, req.Driver, req.Driver)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.createLocked(req.Name, req.Labels, req.DriverOpts)
	if err != nil {
		return volume.Volume{}, err
	}
	return s.view(r, false), nil
}

func (s *Service) createLocked(name string, labels, opts map[string]string) (*record, error) {
	if name == "" {
		name = randomName()
	}
	if r, ok := s.vols[name]; ok {
		return r, nil
	}
	if !validName.MatchString(name) {
		return nil, errs.Invalid("create %s: %q includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path", name, name)
	}
	if err := validateOpts(opts); err != nil {
		return nil, errs.Invalid("create %s: %v", name, err)
	}
	r := &record{Name: name, CreatedAt: time.Now().Truncate(time.Second), Labels: labels, Options: opts}
	// Build the volume under a temporary name and rename it into place, so
	// a crash never leaves a half-made volume.
	tmp := filepath.Join(s.root, ".new-"+name)
	if err := os.MkdirAll(filepath.Join(tmp, "_data"), 0o755); err != nil {
		return nil, err
	}
	if err := fsutil.WriteJSONAtomic(filepath.Join(tmp, "volume.json"), r, true); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	if err := os.Rename(tmp, filepath.Join(s.root, name)); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	s.vols[name] = r
	s.log.Debug("volume created", "name", name)
	return r, nil
}

// validateOpts checks the local driver's options: type, device, o.
func validateOpts(opts map[string]string) error {
	for k := range opts {
		switch k {
		case "type", "device", "o", "size":
		default:
			return fmt.Errorf("invalid option: %q", k)
		}
	}
	if len(opts) > 0 && opts["device"] == "" && opts["type"] != "tmpfs" {
		return errors.New("missing device in volume options")
	}
	return nil
}

// Inspect returns one volume.
func (s *Service) Inspect(ctx context.Context, name string) (volume.Volume, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.vols[name]
	if !ok {
		return volume.Volume{}, errs.NotFound("get %s: no such volume", name)
	}
	return s.view(r, false), nil
}

// view renders r as the API shows it. Callers hold s.mu.
func (s *Service) view(r *record, usage bool) volume.Volume {
	v := volume.Volume{
		Name:       r.Name,
		Driver:     DriverName,
		Mountpoint: s.dataDir(r.Name),
		CreatedAt:  r.CreatedAt.Format(time.RFC3339),
		Labels:     r.Labels,
		Options:    r.Options,
		Scope:      "local",
	}
	if usage {
		v.UsageData = &volume.UsageData{RefCount: int64(len(s.users.VolumeUsers(r.Name))), Size: -1}
	}
	return v
}

var listFilters = []string{"dangling", "name", "label", "driver"}

// List returns the volumes the filters select, sorted by name.
func (s *Service) List(ctx context.Context, f filters.Args) (volume.ListResponse, error) {
	if err := f.Validate(listFilters...); err != nil {
		return volume.ListResponse{}, errs.Invalid("%v", err)
	}
	dangling, err := danglingFilter(f)
	if err != nil {
		return volume.ListResponse{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := volume.ListResponse{Volumes: []volume.Volume{}, Warnings: []string{}}
	for _, r := range s.sorted() {
		if !matchName(f, r.Name) || !f.Labels("label", r.Labels) || !f.Exact("driver", DriverName) {
			continue
		}
		if dangling != nil && (len(s.users.VolumeUsers(r.Name)) == 0) != *dangling {
			continue
		}
		out.Volumes = append(out.Volumes, s.view(r, false))
	}
	return out, nil
}

func danglingFilter(f filters.Args) (*bool, error) {
	if !f.Has("dangling") {
		return nil, nil
	}
	var d bool
	for _, v := range f.Get("dangling") {
		switch strings.ToLower(v) {
		case "true", "1":
			d = true
		case "false", "0":
			d = false
		default:
			return nil, errs.Invalid("invalid filter 'dangling=%s'", v)
		}
	}
	return &d, nil
}

// matchName: docker's volume name filter matches substrings.
func matchName(f filters.Args, name string) bool {
	if !f.Has("name") {
		return true
	}
	for _, v := range f.Get("name") {
		if strings.Contains(name, v) {
			return true
		}
	}
	return false
}

// sorted returns the records by name. Callers hold s.mu.
func (s *Service) sorted() []*record {
	rs := make([]*record, 0, len(s.vols))
	for _, r := range s.vols {
		rs = append(rs, r)
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].Name < rs[j].Name })
	return rs
}

// remove deletes a volume and its data, unless a container uses it.
// force only ignores a missing volume, as with dockerd.
func (s *Service) remove(ctx context.Context, name string, force bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.vols[name]; !ok {
		if force {
			return nil
		}
		return errs.NotFound("get %s: no such volume", name)
	}
	if users := s.users.VolumeUsers(name); len(users) > 0 {
		return errs.Conflict("remove %s: volume is in use - [%s]", name, strings.Join(users, ", "))
	}
	return s.removeLocked(name)
}

func (s *Service) removeLocked(name string) error {
	if err := s.unmount(name); err != nil {
		return err
	}
	// Rename first: the removal is then atomic for a crashed daemon, which
	// finishes it at the next start.
	trash := filepath.Join(s.root, ".trash-"+name)
	if err := os.Rename(filepath.Join(s.root, name), trash); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	delete(s.vols, name)
	s.removeDir(trash)
	s.log.Debug("volume removed", "name", name)
	return nil
}

// removeDir deletes a volume directory, but never through a mount: a
// volume backed by a host directory must not lose that directory's files.
func (s *Service) removeDir(dir string) {
	data := filepath.Join(dir, "_data")
	if isMounted(data) {
		if err := unix.Unmount(data, unix.MNT_DETACH); err != nil || isMounted(data) {
			s.log.Error("volume data still mounted, not removing", "dir", dir, "err", err)
			return
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		s.log.Warn("removing volume directory", "dir", dir, "err", err)
	}
}

// Prune removes unused volumes: only anonymous ones unless the filter
// all=true is given (docker since API 1.42), further narrowed by labels.
func (s *Service) Prune(ctx context.Context, f filters.Args) (volume.PruneReport, error) {
	if err := f.Validate("label", "label!", "all"); err != nil {
		return volume.PruneReport{}, errs.Invalid("%v", err)
	}
	all := false
	for _, v := range f.Get("all") {
		all = v == "true" || v == "1"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rep := volume.PruneReport{VolumesDeleted: []string{}}
	for _, r := range s.sorted() {
		if _, anon := r.Labels[AnonymousLabel]; !anon && !all {
			continue
		}
		if !f.Labels("label", r.Labels) || !notLabels(f, r.Labels) || len(s.users.VolumeUsers(r.Name)) > 0 {
			continue
		}
		size := fsutil.DirSize(s.dataDir(r.Name))
		if err := s.removeLocked(r.Name); err != nil {
			s.log.Warn("prune", "volume", r.Name, "err", err)
			continue
		}
		rep.VolumesDeleted = append(rep.VolumesDeleted, r.Name)
		rep.SpaceReclaimed += uint64(size)
	}
	return rep, nil
}

// notLabels applies "label!" filters: a volume with any of them is kept.
func notLabels(f filters.Args, labels map[string]string) bool {
	for _, v := range f.Get("label!") {
		k, val, hasVal := strings.Cut(v, "=")
		if got, ok := labels[k]; ok && (!hasVal || got == val) {
			return false
		}
	}
	return true
}

// createFor returns the volume container id names, creating it if
// missing (with labels and driver options, as --mount's volume-label and
// volume-opt give them, and then reporting created); an empty name makes
// an anonymous volume. It returns the name. The container is recorded as
// a user before the lock is let go, so no removal or prune sees the volume
// unused in between.
func (s *Service) createFor(id, name string, labels, opts map[string]string) (_ string, created bool, _ error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if name == "" {
		labels = maps.Clone(labels)
		if labels == nil {
			labels = map[string]string{}
		}
		labels[AnonymousLabel] = ""
	}
	created = s.vols[name] == nil
	r, err := s.createLocked(name, labels, opts)
	if err != nil {
		return "", false, err
	}
	s.users.AddVolume(id, r.Name)
	return r.Name, created, nil
}

// mount readies a volume for a starting container and returns the host
// directory to bind. A volume with driver options is mounted on first use
// and stays mounted until it is removed.
func (s *Service) mount(ctx context.Context, name string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.vols[name]
	if !ok {
		return "", errs.NotFound("get %s: no such volume", name)
	}
	dir := s.dataDir(name)
	if len(r.Options) == 0 || isMounted(dir) {
		return dir, nil
	}
	typ, device, data := r.Options["type"], r.Options["device"], r.Options["o"]
	var flags uintptr
	var opts []string
	for _, o := range strings.Split(data, ",") {
		switch o {
		case "":
		case "bind":
			flags |= unix.MS_BIND
		case "rbind":
			flags |= unix.MS_BIND | unix.MS_REC
		case "ro":
			flags |= unix.MS_RDONLY
		default:
			opts = append(opts, o)
		}
	}
	if typ == "tmpfs" && device == "" {
		device = "tmpfs"
	}
	if flags&unix.MS_BIND != 0 {
		// A bind of a host directory: resolve symlinks on the host side.
		real, err := filepath.EvalSymlinks(device)
		if err != nil {
			return "", errs.Invalid("error while mounting volume '%s': %v", dir, err)
		}
		device, typ = real, ""
	}
	if err := unix.Mount(device, dir, typ, flags, strings.Join(opts, ",")); err != nil {
		return "", fmt.Errorf("error while mounting volume '%s': failed to mount local volume: mount %s:%s, flags: %#x, data: %s: %w", dir, device, dir, flags, strings.Join(opts, ","), err)
	}
	return dir, nil
}

// unmount undoes Mount. Callers hold s.mu.
func (s *Service) unmount(name string) error {
	dir := s.dataDir(name)
	if !isMounted(dir) {
		return nil
	}
	if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
		return fmt.Errorf("remove %s: unmounting: %w", name, err)
	}
	return nil
}

// Close unmounts every volume mounted with driver options (daemon shutdown).
func (s *Service) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name := range s.vols {
		if err := s.unmount(name); err != nil {
			s.log.Warn("unmounting volume", "name", name, "err", err)
		}
	}
}

func randomName() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// isMounted reports whether path is a mount point, bind mounts of the
// same file system included.
func isMounted(path string) bool {
	ok, err := mountinfo.Mounted(path)
	return err == nil && ok
}

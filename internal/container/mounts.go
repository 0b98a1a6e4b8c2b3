package container

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/sys/symlink"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/wharf/wharf/internal/errs"
)

// Volumes is what the container service needs from the volume service.
type Volumes interface {
	// CreateFor returns the named volume, creating it with labels and
	// driver options if missing; an empty name makes an anonymous volume.
	// It returns the volume's name and records container id as its user
	// (in Config.Uses).
	CreateFor(ctx context.Context, id, name string, labels, opts map[string]string) (string, error)
	// Mount readies a volume and returns the host directory to bind.
	Mount(ctx context.Context, name string) (string, error)
	Remove(ctx context.Context, name string, force bool) error
}

// MountPoint is one volume, bind or tmpfs of a container, worked out at
// create time and kept in the container's record.
type MountPoint struct {
	Type        mount.Type
	Name        string `json:",omitempty"` // volume name
	Source      string `json:",omitempty"` // host path of a bind
	Destination string
	Mode        string            `json:",omitempty"` // as given with -v, or "z" for local volumes
	RW          bool              `json:",omitempty"`
	Propagation mount.Propagation `json:",omitempty"`
	CopyData    bool              `json:",omitempty"` // fill an empty volume from the image
	Anonymous   bool              `json:",omitempty"` // made for this container; goes with rm -v
	NoCreate    bool              `json:",omitempty"` // a --mount bind: the source must exist
	// RecursiveRO: read-only all the way down (runc's "rro", mount_setattr),
	// the bind's ReadOnlyForceRecursive (API 1.44) and the CRI's.
	RecursiveRO bool   `json:",omitempty"`
	TmpfsData   string `json:",omitempty"` // tmpfs options, "size=64m,mode=1777"
	// VolumeOptions are --mount's volume-label and volume-opt, for a
	// volume made at create; not kept.
	VolumeOptions *mount.VolumeOptions `json:"-"`
}

// mountConfigError is docker's wording for an invalid mount.
func mountConfigError(t mount.Type, err error) error {
	return errs.Invalid("invalid mount config for type %q: %v", string(t), err)
}

var (
	propagations = map[string]bool{"private": true, "rprivate": true, "shared": true, "rshared": true, "slave": true, "rslave": true}
	labelModes   = map[string]bool{"z": true, "Z": true}
	consistency  = map[string]bool{"consistent": true, "cached": true, "delegated": true}
)

// validMode checks a -v mode list: at most one of each kind of option.
func validMode(mode string) bool {
	if mode == "" {
		return true
	}
	counts := map[string]int{}
	for _, o := range strings.Split(mode, ",") {
		kind := ""
		switch {
		case o == "rw" || o == "ro":
			kind = "rw"
		case labelModes[o]:
			kind = "label"
		case propagations[o]:
			kind = "propagation"
		case o == "nocopy":
			kind = "copy"
		case consistency[o]:
			kind = "consistency"
		default:
			return false
		}
		counts[kind]++
		if counts[kind] > 1 {
			return false
		}
	}
	return true
}

func hasModeOption(mode, opt string) bool {
	for _, o := range strings.Split(mode, ",") {
		if o == opt {
			return true
		}
	}
	return false
}

// parseBind parses one -v entry (HostConfig.Binds): "/host:/ctr[:mode]"
// is a bind, "name:/ctr[:mode]" a named volume.
func parseBind(raw string) (*MountPoint, error) {
	invalid := func() error { return errs.Invalid("invalid volume specification: '%s'", raw) }
	arr := strings.SplitN(raw, ":", 4)
	if arr[0] == "" {
		return nil, invalid()
	}
	var src, dst, mode string
	switch len(arr) {
	case 2:
		if validMode(arr[1]) {
			return nil, invalid()
		}
		src, dst = arr[0], arr[1]
	case 3:
		src, dst, mode = arr[0], arr[1], arr[2]
	default:
		return nil, invalid()
	}
	if !validMode(mode) {
		return nil, errs.Invalid("invalid mode: %s", mode)
	}
	mp := &MountPoint{Type: mount.TypeVolume, Name: src, Destination: dst, Mode: mode, RW: !hasModeOption(mode, "ro")}
	if path.IsAbs(src) {
		mp.Type, mp.Name, mp.Source = mount.TypeBind, "", path.Clean(src)
		mp.Propagation = mount.PropagationRPrivate
		for _, o := range strings.Split(mode, ",") {
			if propagations[o] {
				mp.Propagation = mount.Propagation(o)
			}
		}
	} else {
		mp.CopyData = !hasModeOption(mode, "nocopy")
		if mode == "" {
			mp.Mode = "z" // dockerd's default for local volumes
		}
	}
	if err := validateDestination(mp.Type, dst); err != nil {
		return nil, errs.Invalid("invalid volume specification: '%s': %v", raw, err)
	}
	mp.Destination = path.Clean(dst)
	return mp, nil
}

// validateDestination: absolute, and not "/".
func validateDestination(t mount.Type, dst string) error {
	if dst == "" {
		return mountConfigError(t, errors.New("field Target must not be empty"))
	}
	if path.Clean(dst) == "/" {
		return mountConfigError(t, errors.New("invalid specification: destination can't be '/'"))
	}
	if !path.IsAbs(dst) {
		return mountConfigError(t, fmt.Errorf("invalid mount path: '%s' mount path must be absolute", dst))
	}
	return nil
}

// parseMount checks one --mount entry (HostConfig.Mounts) as dockerd does.
func parseMount(m mount.Mount) (*MountPoint, error) {
	if err := validateDestination(m.Type, m.Target); err != nil {
		return nil, err
	}
	mp := &MountPoint{Type: m.Type, Destination: path.Clean(m.Target), RW: !m.ReadOnly}
	switch m.Type {
	case mount.TypeBind:
		if m.Source == "" {
			return nil, mountConfigError(m.Type, errors.New("field Source must not be empty"))
		}
		if m.VolumeOptions != nil {
			return nil, mountConfigError(m.Type, errors.New("field VolumeOptions must not be specified"))
		}
		if !path.IsAbs(m.Source) {
			return nil, mountConfigError(m.Type, fmt.Errorf("invalid mount path: '%s' mount path must be absolute", m.Source))
		}
		mp.Source, mp.Propagation, mp.NoCreate = path.Clean(m.Source), mount.PropagationRPrivate, true
		if o := m.BindOptions; o != nil {
			if o.Propagation != "" {
				if !propagations[string(o.Propagation)] {
					return nil, mountConfigError(m.Type, fmt.Errorf("invalid propagation mode: %s", o.Propagation))
				}
				mp.Propagation = o.Propagation
			}
			mp.NoCreate = !o.CreateMountpoint
			if o.ReadOnlyForceRecursive {
				// dockerd's checks (daemon/volume/mounts): only a
				// read-only, private bind can be read-only below too.
				if !m.ReadOnly {
					return nil, mountConfigError(m.Type, errors.New("must set ReadOnly when ReadOnlyForceRecursive is set"))
				}
				if mp.Propagation != mount.PropagationRPrivate && mp.Propagation != mount.PropagationPrivate {
					return nil, mountConfigError(m.Type, fmt.Errorf("propagation %q is not compatible with ReadOnlyForceRecursive", mp.Propagation))
				}
				mp.RecursiveRO = true
			}
		}
		if _, err := os.Stat(mp.Source); err != nil && mp.NoCreate {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, mountConfigError(m.Type, fmt.Errorf("bind source path does not exist: %s", m.Source))
			}
			return nil, mountConfigError(m.Type, err)
		}
	case mount.TypeVolume:
		if m.BindOptions != nil {
			return nil, mountConfigError(m.Type, errors.New("field BindOptions must not be specified"))
		}
		if m.Source == "" && m.ReadOnly {
			return nil, mountConfigError(m.Type, errors.New("must not set ReadOnly mode when using anonymous volumes"))
		}
		if o := m.VolumeOptions; o != nil && o.Subpath != "" {
			return nil, mountConfigError(m.Type, errors.New("volume subpaths are not supported"))
		}
		if o := m.VolumeOptions; o != nil && o.DriverConfig != nil && o.DriverConfig.Name != "" && o.DriverConfig.Name != "local" {
			return nil, errs.NotFound("error looking up volume plugin %s: plugin %q not found", o.DriverConfig.Name, o.DriverConfig.Name)
		}
		mp.Name, mp.Mode = m.Source, "z"
		mp.CopyData = m.VolumeOptions == nil || !m.VolumeOptions.NoCopy
		mp.VolumeOptions = m.VolumeOptions
	case mount.TypeTmpfs:
		if m.BindOptions != nil {
			return nil, mountConfigError(m.Type, errors.New("field BindOptions must not be specified"))
		}
		if m.Source != "" {
			return nil, mountConfigError(m.Type, errors.New("field Source must not be specified"))
		}
		data, err := tmpfsData(m.TmpfsOptions, m.ReadOnly)
		if err != nil {
			return nil, mountConfigError(m.Type, err)
		}
		mp.TmpfsData = data
	default:
		return nil, mountConfigError(m.Type, errors.New("mount type unknown"))
	}
	return mp, nil
}

// tmpfsData renders --mount tmpfs options as mount data, as dockerd does.
func tmpfsData(o *mount.TmpfsOptions, readOnly bool) (string, error) {
	var opts []string
	if readOnly {
		opts = append(opts, "ro")
	}
	if o == nil {
		return strings.Join(opts, ","), nil
	}
	if o.Mode != 0 {
		opts = append(opts, fmt.Sprintf("mode=%o", o.Mode))
	}
	if size := o.SizeBytes; size != 0 {
		suffix := ""
		for _, u := range []struct {
			s string
			n int64
		}{{"g", 1 << 30}, {"m", 1 << 20}, {"k", 1 << 10}} {
			if size%u.n == 0 {
				size, suffix = size/u.n, u.s
				break
			}
		}
		opts = append(opts, fmt.Sprintf("size=%d%s", size, suffix))
	}
	for _, kv := range o.Options {
		if len(kv) < 1 || len(kv) > 2 {
			return "", errors.New("invalid option array length")
		}
		if kv[0] != "exec" && kv[0] != "noexec" {
			return "", errors.New("invalid option: " + kv[0])
		}
		opts = append(opts, strings.Join(kv, "="))
	}
	return strings.Join(opts, ","), nil
}

// parseVolumesFrom splits "container[:ro|rw]".
func parseVolumesFrom(spec string) (string, string, error) {
	if spec == "" {
		return "", "", errs.Invalid("volumes-from specification cannot be an empty string")
	}
	id, mode, _ := strings.Cut(spec, ":")
	if mode == "" {
		return id, "rw", nil
	}
	if !validMode(mode) || hasModeOption(mode, "nocopy") {
		return "", "", errs.Invalid("invalid mode: %s", mode)
	}
	for _, o := range strings.Split(mode, ",") {
		if propagations[o] {
			return "", "", errs.Invalid("invalid mode: %s", mode)
		}
	}
	return id, mode, nil
}

// setupMounts works out c's mount points at create time: --volumes-from,
// then -v, then --mount, then the image's VOLUMEs (and -v /path) not
// already covered; named volumes that do not exist yet are created and
// anonymous ones made.
func (s *Service) setupMounts(ctx context.Context, c *Container) error {
	hc := c.HostConfig
	byDest := map[string]*MountPoint{}
	var order []string
	add := func(mp *MountPoint) {
		if _, ok := byDest[mp.Destination]; !ok {
			order = append(order, mp.Destination)
		}
		byDest[mp.Destination] = mp
	}
	for _, spec := range hc.VolumesFrom {
		ref, mode, err := parseVolumesFrom(spec)
		if err != nil {
			return err
		}
		from, err := s.get(ref)
		if err != nil {
			return err
		}
		for _, m := range from.MountPoints {
			cp := *m
			cp.Anonymous, cp.CopyData = false, false
			cp.RW = cp.RW && !hasModeOption(mode, "ro")
			add(&cp)
		}
	}
	// -v and --mount entries, in that order; each destination once.
	var given []*MountPoint
	for _, raw := range hc.Binds {
		mp, err := parseBind(raw)
		if err != nil {
			return err
		}
		given = append(given, mp)
	}
	for _, m := range hc.Mounts {
		mp, err := parseMount(m)
		if err != nil {
			return err
		}
		given = append(given, mp)
	}
	explicit := map[string]bool{}
	for _, mp := range given {
		if explicit[mp.Destination] {
			return errs.Invalid("Duplicate mount point: %s", mp.Destination)
		}
		explicit[mp.Destination] = true
		add(mp)
	}
	for dst := range hc.Tmpfs {
		if path.Clean(dst) == "/" {
			return errs.Invalid("invalid specification: destination can't be '/'") // dockerd's words
		}
		if !path.IsAbs(dst) {
			return errs.Invalid("invalid mount path: '%s' mount path must be absolute", dst) // dockerd's words
		}
		if err := validateDestination(mount.TypeTmpfs, dst); err != nil {
			return errs.Invalid("invalid tmpfs mount: %v", err)
		}
		if explicit[path.Clean(dst)] {
			return errs.Invalid("Duplicate mount point: %s", path.Clean(dst))
		}
	}
	var anon []string
	for dst := range c.Config.Volumes {
		anon = append(anon, dst)
	}
	sort.Strings(anon)
	for _, dst := range anon {
		if err := validateDestination(mount.TypeVolume, dst); err != nil {
			return errs.Invalid("invalid volume specification: '%s': %v", dst, err)
		}
		dst = path.Clean(dst)
		if _, ok := byDest[dst]; ok {
			continue
		}
		if _, ok := hc.Tmpfs[dst]; ok {
			continue
		}
		add(&MountPoint{Type: mount.TypeVolume, Destination: dst, RW: true, CopyData: true})
	}
	var mps []*MountPoint
	for _, dst := range order {
		mp := byDest[dst]
		if mp.Type == mount.TypeVolume && mp.Name == "" {
			mp.Name, mp.Anonymous = anonymousVolumeName(), true
		}
		mps = append(mps, mp)
	}
	c.MountPoints = mps
	if err := s.saveUnfinished(c); err != nil {
		return err
	}
	for _, mp := range mps {
		if mp.Type != mount.TypeVolume {
			continue
		}
		if s.cfg.Volumes == nil {
			return errs.Invalid("volumes are not supported")
		}
		var labels, opts map[string]string
		if o := mp.VolumeOptions; o != nil {
			labels = o.Labels
			if o.DriverConfig != nil {
				opts = o.DriverConfig.Options
			}
		}
		if mp.Anonymous {
			labels = maps.Clone(labels)
			if labels == nil {
				labels = map[string]string{}
			}
			labels[anonymousLabel] = ""
		}
		name, err := s.cfg.Volumes.CreateFor(ctx, c.ID, mp.Name, labels, opts)
		if err != nil {
			return err
		}
		mp.Name = name
	}
	return nil
}

// anonymousLabel marks the volumes made for one container (docker's label).
const anonymousLabel = "com.docker.volume.anonymous"

// anonymousVolumeName is a new anonymous volume's name, as docker's: 64
// random hex digits.
func anonymousVolumeName() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// saveUnfinished records a container whose anonymous volumes are about to
// be made as a removal with its volumes, so that if a crash cuts the
// create short the next start removes them (restore) instead of leaving
// volumes that nothing names. create saves the finished record after.
func (s *Service) saveUnfinished(c *Container) error {
	if !slices.ContainsFunc(c.MountPoints, func(mp *MountPoint) bool { return mp.Anonymous }) {
		return nil
	}
	if err := os.MkdirAll(s.dir(c.ID), 0o700); err != nil {
		return err
	}
	status := c.State.Status
	c.State.Status, c.RemoveVolumes = container.StateRemoving, true
	// Written, not published: readers never see this stand-in record.
	data, err := json.Marshal(c)
	if err == nil {
		err = s.write(c, data)
	}
	c.State.Status, c.RemoveVolumes = status, false
	return err
}

// prepareMounts readies c's mounts for a start and returns them as spec
// mounts: volumes are mounted (and filled from the image if new and
// empty), bind sources resolved on the host (and created for -v), tmpfs
// options merged with docker's defaults. rootfs is the mounted root.
func (s *Service) prepareMounts(ctx context.Context, c *Container, rootfs string) ([]specs.Mount, error) {
	var out []specs.Mount
	for _, mp := range c.MountPoints {
		switch mp.Type {
		case mount.TypeVolume:
			if s.cfg.Volumes == nil {
				return nil, errs.Invalid("volumes are not supported")
			}
			dir, err := s.cfg.Volumes.Mount(ctx, mp.Name)
			if err != nil {
				return nil, err
			}
			if mp.CopyData {
				if err := copyUp(rootfs, mp.Destination, dir); err != nil {
					return nil, fmt.Errorf("copying image content into volume %s: %w", mp.Name, err)
				}
			}
			out = append(out, bindMount(dir, mp))
		case mount.TypeBind:
			src, err := resolveBindSource(mp)
			if err != nil {
				return nil, err
			}
			out = append(out, bindMount(src, mp))
		case mount.TypeTmpfs:
			out = append(out, tmpfsMount(mp.Destination, mp.TmpfsData))
		}
	}
	var dsts []string
	for dst := range c.HostConfig.Tmpfs {
		dsts = append(dsts, dst)
	}
	sort.Strings(dsts)
	for _, dst := range dsts {
		out = append(out, tmpfsMount(path.Clean(dst), c.HostConfig.Tmpfs[dst]))
	}
	return out, nil
}

// resolveBindSource returns the host path to bind: symlinks are resolved
// on the host, and a missing -v source is created as a directory (docker's
// behaviour; --mount refuses instead).
func resolveBindSource(mp *MountPoint) (string, error) {
	if _, err := os.Lstat(mp.Source); errors.Is(err, fs.ErrNotExist) {
		if mp.NoCreate {
			return "", mountConfigError(mount.TypeBind, fmt.Errorf("bind source path does not exist: %s", mp.Source))
		}
		if err := os.MkdirAll(mp.Source, 0o755); err != nil {
			return "", fmt.Errorf("error while creating mount source path '%s': %w", mp.Source, err)
		}
	}
	src, err := filepath.EvalSymlinks(mp.Source)
	if err != nil {
		return "", mountConfigError(mount.TypeBind, err)
	}
	return src, nil
}

func bindMount(src string, mp *MountPoint) specs.Mount {
	opts := []string{"rbind"}
	if !mp.RW {
		opts = append(opts, "ro")
	}
	if mp.RecursiveRO {
		opts = append(opts, "rro")
	}
	prop := string(mp.Propagation)
	if prop == "" {
		prop = string(mount.PropagationRPrivate)
	}
	opts = append(opts, prop)
	return specs.Mount{Destination: mp.Destination, Type: "bind", Source: src, Options: opts}
}

// tmpfsMount merges data into docker's default tmpfs flags.
func tmpfsMount(dst, data string) specs.Mount {
	opts := []string{"noexec", "nosuid", "nodev"}
	undo := map[string]string{"exec": "noexec", "suid": "nosuid", "dev": "nodev"}
	for _, o := range strings.Split(data, ",") {
		if o == "" {
			continue
		}
		if neg, ok := undo[o]; ok {
			opts = removeString(opts, neg)
			continue
		}
		opts = append(opts, o)
	}
	return specs.Mount{Destination: dst, Type: "tmpfs", Source: "tmpfs", Options: opts}
}

func removeString(list []string, s string) []string {
	var out []string
	for _, v := range list {
		if v != s {
			out = append(out, v)
		}
	}
	return out
}

// copyUp fills an empty volume directory with what the image has at dst,
// as docker does the first time a volume is mounted over image content.
func copyUp(rootfs, dst, volDir string) error {
	src, err := symlink.FollowSymlinkInScope(filepath.Join(rootfs, dst), rootfs)
	if err != nil {
		return err
	}
	st, err := os.Stat(src)
	if err != nil || !st.IsDir() {
		return nil
	}
	entries, err := os.ReadDir(volDir)
	if err != nil || len(entries) > 0 {
		return err
	}
	if out, err := exec.Command("cp", "-a", "--", src+"/.", volDir+"/").CombinedOutput(); err != nil {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(out)))
	}
	// The volume's root takes the image directory's owner and mode.
	if sys, ok := st.Sys().(*unix.Stat_t); ok {
		os.Lchown(volDir, int(sys.Uid), int(sys.Gid))
	}
	return os.Chmod(volDir, st.Mode().Perm())
}

// withUserMounts replaces the default mounts a user mount covers and adds
// the user's, parents before children.
func withUserMounts(defaults, user []specs.Mount) []specs.Mount {
	if len(user) == 0 {
		return defaults
	}
	taken := map[string]bool{}
	for _, m := range user {
		taken[m.Destination] = true
	}
	var out []specs.Mount
	for _, m := range defaults {
		if !taken[m.Destination] {
			out = append(out, m)
		}
	}
	sorted := append([]specs.Mount(nil), user...)
	sort.SliceStable(sorted, func(i, j int) bool {
		return strings.Count(sorted[i].Destination, "/") < strings.Count(sorted[j].Destination, "/")
	})
	return append(out, sorted...)
}

// inspectMounts is the Mounts list of inspect and ps. Callers hold c.mu.
func (s *Service) inspectMounts(c *Container) []container.MountPoint {
	out := []container.MountPoint{}
	for _, mp := range c.MountPoints {
		m := container.MountPoint{
			Type: mp.Type, Name: mp.Name, Source: mp.Source, Destination: mp.Destination,
			Mode: mp.Mode, RW: mp.RW, Propagation: mp.Propagation,
		}
		if mp.Type == mount.TypeVolume {
			m.Driver = "local"
			m.Source = filepath.Join(s.volumesRoot(), mp.Name, "_data")
		}
		out = append(out, m)
	}
	return out
}

// volumesRoot is where the local driver keeps volumes: beside the
// containers directory in the data root.
func (s *Service) volumesRoot() string {
	return filepath.Join(filepath.Dir(s.cfg.Root), "volumes")
}

// usesVolume reports whether c mounts the volume name, or something at
// the destination name (ps --filter volume=). Callers hold c.mu.
func usesVolume(c *Container, name string) bool {
	for _, mp := range c.MountPoints {
		if mp.Name == name || mp.Destination == name || (mp.Source != "" && mp.Source == name) {
			return true
		}
	}
	return false
}

// removeVolumes removes c's anonymous volumes (rm -v). Callers hold c.mu;
// c is already out of the indexes, so it no longer counts as a user.
func (s *Service) removeVolumes(ctx context.Context, c *Container) {
	if s.cfg.Volumes == nil {
		return
	}
	for _, mp := range c.MountPoints {
		if mp.Type != mount.TypeVolume || !mp.Anonymous {
			continue
		}
		if err := s.cfg.Volumes.Remove(ctx, mp.Name, true); err != nil {
			s.log.Warn("removing anonymous volume", "volume", mp.Name, "container", c.ID, "err", err)
		}
	}
}

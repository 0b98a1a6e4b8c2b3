package container

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/wharf/wharf/internal/errs"
)

// deviceCgroupRule is --device-cgroup-rule's syntax, dockerd's.
var deviceCgroupRule = regexp.MustCompile(`^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$`)

// validateDeviceCgroupRules refuses at create what dockerd would refuse
// at start, in its words.
func validateDeviceCgroupRules(rules []string) error {
	for _, r := range rules {
		if !deviceCgroupRule.MatchString(r) {
			return errs.Invalid("invalid device cgroup rule format: '%s'", r)
		}
	}
	return nil
}

// addDevices gives the spec hc's --device nodes (a directory gives every
// device under it) and --device-cgroup-rule permissions, as dockerd's
// WithDevices does for an unprivileged container.
func addDevices(s *specs.Spec, hc *container.HostConfig) error {
	for _, m := range hc.Devices {
		devs, perms, err := devicesFromPath(m.PathOnHost, m.PathInContainer, m.CgroupPermissions)
		if err != nil {
			return err
		}
		s.Linux.Devices = append(s.Linux.Devices, devs...)
		s.Linux.Resources.Devices = append(s.Linux.Resources.Devices, perms...)
	}
	for _, r := range hc.DeviceCgroupRules {
		m := deviceCgroupRule.FindStringSubmatch(r)
		if m == nil {
			return errs.Invalid("invalid device cgroup rule format: '%s'", r)
		}
		rule := specs.LinuxDeviceCgroup{Allow: true, Type: m[1], Access: m[4]}
		rule.Major, rule.Minor = deviceNumber(m[2]), deviceNumber(m[3])
		s.Linux.Resources.Devices = append(s.Linux.Resources.Devices, rule)
	}
	return nil
}

// deviceNumber is a rule's major or minor number; "*" (any) is -1.
func deviceNumber(v string) *int64 {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		n = -1
	}
	return &n
}

// devicesFromPath is dockerd's oci.DevicesFromPath: the device at
// pathOnHost (a symbolic link is followed), or every device below it if
// it is a directory, placed at pathInContainer, each allowed perms.
func devicesFromPath(pathOnHost, pathInContainer, perms string) ([]specs.LinuxDevice, []specs.LinuxDeviceCgroup, error) {
	if perms == "" {
		perms = "rwm"
	}
	if pathInContainer == "" {
		pathInContainer = pathOnHost
	}
	resolved := pathOnHost
	if fi, err := os.Lstat(pathOnHost); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		if p, err := filepath.EvalSymlinks(pathOnHost); err == nil {
			resolved = p
		}
	}
	var devs []specs.LinuxDevice
	var rules []specs.LinuxDeviceCgroup
	add := func(hostPath, ctrPath string) error {
		d, err := deviceAt(hostPath)
		if err != nil {
			return err
		}
		d.Path = ctrPath
		devs = append(devs, d)
		rules = append(rules, specs.LinuxDeviceCgroup{Allow: true, Type: d.Type, Major: &d.Major, Minor: &d.Minor, Access: perms})
		return nil
	}
	err := add(resolved, pathInContainer)
	if err == errNotADevice {
		if fi, serr := os.Stat(resolved); serr == nil && fi.IsDir() {
			filepath.WalkDir(resolved, func(p string, _ fs.DirEntry, _ error) error {
				add(p, strings.Replace(p, resolved, pathInContainer, 1)) // not a device: skipped
				return nil
			})
		}
	}
	if len(devs) > 0 {
		return devs, rules, nil
	}
	return nil, nil, errs.Invalid("error gathering device information while adding custom device %q: %s", pathOnHost, err)
}

var errNotADevice = fmt.Errorf("not a device node")

// deviceAt describes the device node at path.
func deviceAt(path string) (specs.LinuxDevice, error) {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return specs.LinuxDevice{}, err
	}
	var typ string
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFCHR:
		typ = "c"
	case unix.S_IFBLK:
		typ = "b"
	default:
		return specs.LinuxDevice{}, errNotADevice
	}
	mode := os.FileMode(st.Mode &^ unix.S_IFMT)
	uid, gid := st.Uid, st.Gid
	return specs.LinuxDevice{
		Type: typ, Major: int64(unix.Major(st.Rdev)), Minor: int64(unix.Minor(st.Rdev)),
		FileMode: &mode, UID: &uid, GID: &gid,
	}, nil
}

package system

import (
	"fmt"
	"net"
	"net/netip"
	"slices"

	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/api/types/system"
	"golang.org/x/sys/unix"
)

// Settings are the daemon settings /info reports that a reload (SIGHUP)
// may change; the service holds them behind an atomic pointer.
type Settings struct {
	Debug              bool
	Labels             []string
	RegistryMirrors    []string
	InsecureRegistries []string
	LogDriver          string   // the default log driver
	LogDrivers         []string // the log drivers there are
	CgroupDriver       string
}

// SetSettings replaces the settings /info reports.
func (s *Service) SetSettings(st Settings) {
	s.settings.Store(&st)
}

// reportSettings fills info's fields that come from the settings.
func (s *Service) reportSettings(info *system.Info) {
	st := s.settings.Load()
	if st == nil {
		return
	}
	info.Debug = st.Debug
	if st.Labels != nil {
		info.Labels = slices.Clone(st.Labels)
	}
	if st.LogDriver != "" {
		info.LoggingDriver = st.LogDriver
	}
	info.Plugins.Log = slices.Clone(st.LogDrivers)
	if st.CgroupDriver != "" {
		info.CgroupDriver = st.CgroupDriver
	}
	info.RegistryConfig = registryConfig(st.RegistryMirrors, st.InsecureRegistries)
}

// registryConfig is /info's RegistryConfig in dockerd's shape: the
// insecure CIDRs (loopback always), and an index entry for Docker Hub
// with its mirrors and one for each insecure registry named by host.
func registryConfig(mirrors, insecure []string) *registry.ServiceConfig {
	rc := &registry.ServiceConfig{
		InsecureRegistryCIDRs: []netip.Prefix{netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("127.0.0.0/8")},
		IndexConfigs: map[string]*registry.IndexInfo{
			"docker.io": {Name: "docker.io", Mirrors: slices.Clone(mirrors), Secure: true, Official: true},
		},
		Mirrors: slices.Clone(mirrors),
	}
	if rc.Mirrors == nil {
		rc.Mirrors = []string{}
		rc.IndexConfigs["docker.io"].Mirrors = []string{}
	}
	for _, entry := range insecure {
		if _, cidr, err := net.ParseCIDR(entry); err == nil {
			if p, err := netip.ParsePrefix(cidr.String()); err == nil && !slices.Contains(rc.InsecureRegistryCIDRs, p) {
				rc.InsecureRegistryCIDRs = append(rc.InsecureRegistryCIDRs, p)
			}
			continue
		}
		rc.IndexConfigs[entry] = &registry.IndexInfo{Name: entry, Mirrors: []string{}, Secure: false, Official: false}
	}
	return rc
}

// driverStatus is overlay2's DriverStatus as dockerd reports it, with the
// data root's real backing file system.
func driverStatus(root string) [][2]string {
	return [][2]string{
		{"Backing Filesystem", backingFS(root)},
		{"Supports d_type", "true"},
		{"Using metacopy", "false"},
		{"Native Overlay Diff", "true"},
		{"userxattr", "false"},
	}
}

// backingFS names the file system under path as dockerd does.
func backingFS(path string) string {
	var st unix.Statfs_t
	if unix.Statfs(path, &st) != nil {
		return "<unknown>"
	}
	switch st.Type {
	case unix.EXT4_SUPER_MAGIC:
		return "extfs"
	case unix.XFS_SUPER_MAGIC:
		return "xfs"
	case unix.BTRFS_SUPER_MAGIC:
		return "btrfs"
	case unix.TMPFS_MAGIC:
		return "tmpfs"
	case unix.OVERLAYFS_SUPER_MAGIC:
		return "overlayfs"
	case 0x2fc12fc1:
		return "zfs"
	case unix.NFS_SUPER_MAGIC:
		return "nfs"
	}
	return fmt.Sprintf("<unknown (%#x)>", st.Type)
}

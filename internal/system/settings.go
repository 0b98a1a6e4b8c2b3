package system

import (
	"net"
	"net/netip"
	"slices"

	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/api/types/system"
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

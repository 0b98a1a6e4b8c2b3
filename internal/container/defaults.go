package container

import (
	"maps"

	"github.com/moby/moby/api/types/container"
)

// Defaults are what a container gets from daemon.json when it does not
// say (dockerd's log-driver, log-opts, dns, dns-search, dns-opts and
// default-shm-size, default-ipc-mode).
type Defaults struct {
	LogDriver  string // "" is json-file
	LogOpts    map[string]string
	DNS        []string
	DNSSearch  []string
	DNSOptions []string
	ShmSize    int64  // 0 is docker's 64MiB
	IpcMode    string // "" is private (default-ipc-mode)
}

// applyDefaults fills a new container's host config from the daemon's
// defaults, as dockerd does at create: inspect shows the log driver, its
// options and the /dev/shm size the container got.
func (s *Service) applyDefaults(hc *container.HostConfig) {
	d := s.cfg.Defaults
	if hc.ShmSize == 0 {
		hc.ShmSize = d.ShmSize
	}
	if hc.ShmSize == 0 {
		hc.ShmSize = defaultShmSize
	}
	if hc.IpcMode == "" {
		hc.IpcMode = container.IpcMode(d.IpcMode)
	}
	if hc.IpcMode == "" {
		hc.IpcMode = container.IPCModePrivate
	}
	if hc.LogConfig.Type == "" {
		hc.LogConfig.Type = d.LogDriver
	}
	if hc.LogConfig.Type == "" {
		hc.LogConfig.Type = defaultLogDriver
	}
	// The default options go with the default driver only.
	if hc.LogConfig.Type == d.LogDriver && len(d.LogOpts) > 0 {
		opts := maps.Clone(d.LogOpts)
		maps.Copy(opts, hc.LogConfig.Config)
		hc.LogConfig.Config = opts
	}
}

// dnsFor is the resolv.conf settings a container starts with: its own,
// else the daemon's, each setting on its own (dockerd's rule).
func (s *Service) dnsFor(hc *container.HostConfig) (dns, search, options []string) {
	dns, search, options = addrStrings(hc.DNS), hc.DNSSearch, hc.DNSOptions
	if len(dns) == 0 {
		dns = s.cfg.Defaults.DNS
	}
	if len(search) == 0 {
		search = s.cfg.Defaults.DNSSearch
	}
	if len(options) == 0 {
		options = s.cfg.Defaults.DNSOptions
	}
	return dns, search, options
}

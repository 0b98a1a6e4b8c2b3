// Package config holds the daemon's settings: defaults, the optional JSON
// file (/etc/wharf/daemon.json, dockerd's daemon.json keys where they
// apply) and command-line flags, in increasing precedence. As dockerd,
// it refuses a file with keys it does not know, values of the wrong type,
// or keys also given as flags (file.go).
package config

import (
	"github.com/moby/moby/api/types/container"
)

// Runtime names an OCI runtime binary, as dockerd's daemon.json does.
type Runtime struct {
	Path string `json:"path"`
	// RuntimeArgs go before each of the runtime's commands.
	RuntimeArgs []string `json:"runtimeArgs,omitempty"`
}

// Config is the daemon's configuration. Every json key here is one
// daemon.json may hold; any other is refused.
type Config struct {
	Root     string             `json:"data-root,omitempty"`
	ExecRoot string             `json:"exec-root,omitempty"`
	Runtimes map[string]Runtime `json:"runtimes,omitempty"`
	// DefaultRuntime names the runtime containers get unless they choose;
	// "" lets wharfd choose at start: crun where it works, else runc
	// (internal/daemon's defaultruntime.go).
	DefaultRuntime string `json:"default-runtime,omitempty"`
	Conmon         string `json:"conmon,omitempty"`
	CgroupParent   string `json:"cgroup-parent,omitempty"`
	Debug          bool   `json:"debug,omitempty"`
	// Access: hosts, group, tls* (access.go).
	Access
	// Network: bip, default-address-pools, iptables, ip-masq (network.go).
	Network
	// Registries: insecure-registries, registry-mirrors, max-concurrent-* (registry.go).
	Registries
	// ContainerDefaults: log-driver, log-opts, dns*, default-shm-size (defaults.go).
	ContainerDefaults
	// DefaultUlimits are the rlimits of every container that does not set
	// its own of the same name (--ulimit), in dockerd's shape:
	// {"nofile":{"Name":"nofile","Hard":64000,"Soft":64000}}.
	DefaultUlimits map[string]*container.Ulimit `json:"default-ulimits,omitempty"`
	// Labels are the daemon's labels (docker info), "key=value".
	Labels []string `json:"labels,omitempty"`
	// Features are dockerd's feature switches; kept and reported, none
	// changes what wharfd does yet.
	Features map[string]bool `json:"features,omitempty"`
	// LiveRestore is accepted for dockerd's files: containers always
	// outlive wharfd (conmon holds them), whatever it says.
	LiveRestore bool `json:"live-restore,omitempty"`
	// StorageDriver may only name overlay2, the one wharfd has.
	StorageDriver string `json:"storage-driver,omitempty"`
	// Dashboard is the web dashboard's address (dashboard.go); off when empty.
	Dashboard Dashboard `json:"dashboard"`
	// CRI is the kubelet's runtime service (cri.go).
	CRI CRI `json:"cri"`
}

// Default returns the built-in settings.
func Default() Config {
	return Config{
		Root:     "/var/lib/wharf",
		ExecRoot: "/run/wharf",
		Runtimes: map[string]Runtime{
			"runc": {Path: "runc"},
			"crun": {Path: "crun"},
		},
		Conmon:        "conmon",
		CgroupParent:  "/wharf",
		Network:       Network{IPTables: true, IPMasq: true},
		StorageDriver: "overlay2",
		ContainerDefaults: ContainerDefaults{
			LogDriver: "json-file",
		},
		Registries: Registries{MaxConcurrentDownloads: 3, MaxConcurrentUploads: 5},
		CRI:        defaultCRI(),
	}
}

// HostsOrDefault is where the API is served: the hosts configured, else
// the default socket.
func (c *Config) HostsOrDefault() []string {
	if len(c.Hosts) == 0 {
		return []string{DefaultHost}
	}
	return c.Hosts
}

// Package config holds the daemon's settings: defaults, the optional JSON
// file (/etc/wharf/daemon.json, dockerd's daemon.json keys where they
// apply) and command-line flags, in increasing precedence.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/moby/moby/api/types/container"
)

// Runtime names an OCI runtime binary.
type Runtime struct {
	Path string `json:"path"`
}

// Config is the daemon's configuration.
type Config struct {
	Root           string             `json:"data-root"`
	ExecRoot       string             `json:"exec-root"`
	Host           string             `json:"host"`
	Runtimes       map[string]Runtime `json:"runtimes"`
	DefaultRuntime string             `json:"default-runtime"`
	Conmon         string             `json:"conmon"`
	CgroupParent   string             `json:"cgroup-parent"`
	Debug          bool               `json:"debug"`
	// Network: bip, default-address-pools, iptables, ip-masq (network.go).
	Network
	// InsecureRegistries may be reached over plain HTTP: host[:port]
	// names or CIDRs, as in dockerd's daemon.json. 127.0.0.0/8 always may.
	InsecureRegistries []string `json:"insecure-registries"`
	// RegistryMirrors are docker.io's pull mirrors, as dockerd's;
	// RegistryHostMirrors any registry's (mirrors.go).
	RegistryMirrors     []string            `json:"registry-mirrors,omitempty"`
	RegistryHostMirrors map[string][]string `json:"registry-host-mirrors,omitempty"`
	// DefaultUlimits are the rlimits of every container that does not set
	// its own of the same name (--ulimit), in dockerd's shape:
	// {"nofile":{"Name":"nofile","Hard":64000,"Soft":64000}}.
	DefaultUlimits map[string]*container.Ulimit `json:"default-ulimits,omitempty"`
	// CRI is the kubelet's runtime service (cri.go).
	CRI CRI `json:"cri"`
}

// Default returns the built-in settings.
func Default() Config {
	return Config{
		Root:     "/var/lib/wharf",
		ExecRoot: "/run/wharf",
		Host:     "unix:///run/wharf/wharf.sock",
		Runtimes: map[string]Runtime{
			"runc": {Path: "runc"},
			"crun": {Path: "crun"},
		},
		DefaultRuntime: "runc",
		Conmon:         "conmon",
		CgroupParent:   "/wharf",
		Network:        Network{IPTables: true, IPMasq: true},
		CRI:            defaultCRI(),
	}
}

// LoadFile overlays the settings in path on c; a missing file is fine.
func (c *Config) LoadFile(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	// Unmarshal adds the file's runtimes to the built-in ones.
	if err := json.Unmarshal(data, c); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := c.checkUlimits(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// checkUlimits fills in a default ulimit's Name from its key, which is
// what users expect to be enough (dockerd would pass an empty name on to
// the runtime and fail every start with "RLIMIT_: unknown"), and rejects
// what could never be applied.
func (c *Config) checkUlimits() error {
	for key, u := range c.DefaultUlimits {
		switch {
		case u == nil:
			return fmt.Errorf("default-ulimits: %q has no value", key)
		case u.Name == "":
			u.Name = key
		case u.Name != key:
			return fmt.Errorf("default-ulimits: %q names %q", key, u.Name)
		}
		if u.Soft > u.Hard {
			return fmt.Errorf("default-ulimits: %s: soft limit %d is above the hard limit %d", key, u.Soft, u.Hard)
		}
	}
	return nil
}

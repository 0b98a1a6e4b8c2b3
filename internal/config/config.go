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
	return nil
}

package config

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"

	units "github.com/docker/go-units"

	"github.com/wharf/wharf/internal/logger"
)

// ContainerDefaults are what a container gets when it does not say, with
// dockerd's daemon.json keys.
type ContainerDefaults struct {
	// LogDriver and LogOpts are the default --log-driver and --log-opt.
	LogDriver string            `json:"log-driver,omitempty"`
	LogOpts   map[string]string `json:"log-opts,omitempty"`
	// DNS, DNSSearch and DNSOptions fill a container's resolv.conf when
	// it sets none of its own (--dns, --dns-search, --dns-option).
	DNS        []string `json:"dns,omitempty"`
	DNSSearch  []string `json:"dns-search,omitempty"`
	DNSOptions []string `json:"dns-opts,omitempty"`
	// DefaultShmSize is /dev/shm's size for containers that do not set
	// --shm-size; 0 is docker's 64MiB.
	DefaultShmSize MemBytes `json:"default-shm-size,omitempty"`
	// DefaultIpcMode is the --ipc of containers that do not set one:
	// "private" (dockerd's default, also for "") or "shareable".
	DefaultIpcMode string `json:"default-ipc-mode,omitempty"`
}

func (d *ContainerDefaults) validate() error {
	if err := logger.ValidateLogOpts(d.LogDriver, d.LogOpts); err != nil {
		return err
	}
	for _, ip := range d.DNS {
		if net.ParseIP(strings.TrimSpace(ip)) == nil {
			return fmt.Errorf("IP address is not correctly formatted: %s", ip)
		}
	}
	for _, domain := range d.DNSSearch {
		if err := validateDNSSearch(domain); err != nil {
			return err
		}
	}
	if d.DefaultShmSize < 0 {
		return fmt.Errorf("invalid default-shm-size: %d", d.DefaultShmSize)
	}
	switch d.DefaultIpcMode {
	case "", "private", "shareable":
	default:
		return fmt.Errorf("invalid default IPC mode: %s", d.DefaultIpcMode)
	}
	return nil
}

// validateDNSSearch accepts "." or a domain name, as dockerd.
func validateDNSSearch(val string) error {
	v := strings.Trim(val, " ")
	if v == "." {
		return nil
	}
	v = strings.TrimSuffix(v, ".")
	ok := v != "" && len(v) < 255 && !strings.HasPrefix(v, "-")
	for _, label := range strings.Split(v, ".") {
		ok = ok && label != "" && len(label) <= 63 && !strings.HasPrefix(label, "-") && !strings.HasSuffix(label, "-")
		for _, r := range label {
			ok = ok && (r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
		}
	}
	if !ok {
		return fmt.Errorf("%s is not a valid domain", val)
	}
	return nil
}

// MemBytes is a size in bytes written as docker writes sizes ("64M",
// "1g"), a JSON string as in dockerd's daemon.json.
type MemBytes int64

// UnmarshalJSON reads a quoted human size, as dockerd's opts.MemBytes.
func (m *MemBytes) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("invalid size: %s: a string such as \"64M\"", b)
	}
	n, err := units.RAMInBytes(s)
	if err != nil {
		return fmt.Errorf("invalid size: %q: %w", s, err)
	}
	*m = MemBytes(n)
	return nil
}

package container

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/wharf/wharf/internal/errs"
)

// Bounds dockerd lacks. A name is a key in every index and a word in
// every listing; a label or an annotation is copied into every inspect
// and event. The body cap (router.ConfigMaxBody) bounds the total; these
// keep a single field sensible.
const (
	maxNameLen     = 255 // as a file name (NAME_MAX)
	maxHostnameLen = 64  // dockerd's: the kernel's HOST_NAME_MAX
)

// validateConfig is dockerd's validateContainerConfig and the
// config-only part of verifyPlatformContainerSettings, in its words.
func validateConfig(cfg *container.Config) error {
	if len(cfg.Hostname) > maxHostnameLen {
		return errs.Invalid("hostname %q is too long (maximum %d bytes)", cfg.Hostname, maxHostnameLen)
	}
	if cfg.StopSignal != "" {
		if _, err := parseSignal(cfg.StopSignal); err != nil {
			return err
		}
	}
	for _, kv := range cfg.Env {
		if k, _, _ := strings.Cut(kv, "="); k == "" {
			return errs.Invalid("invalid environment variable: %s", kv)
		}
	}
	return validateHealthcheck(cfg.Healthcheck)
}

func validateHealthcheck(h *container.HealthConfig) error {
	if h == nil {
		return nil
	}
	short := func(field string) error {
		return errs.Invalid("%s in Healthcheck cannot be less than %s", field, container.MinimumDuration)
	}
	switch {
	case h.Interval != 0 && h.Interval < container.MinimumDuration:
		return short("Interval")
	case h.Timeout != 0 && h.Timeout < container.MinimumDuration:
		return short("Timeout")
	case h.StartPeriod != 0 && h.StartPeriod < container.MinimumDuration:
		return short("StartPeriod")
	case h.StartInterval != 0 && h.StartInterval < container.MinimumDuration:
		return short("StartInterval")
	case h.Retries < 0:
		return errs.Invalid("Retries in Healthcheck cannot be negative")
	}
	return nil
}

// validateHostSettings is the part of dockerd's validateHostConfig and
// verifyPlatformContainerSettings that needs no other service: modes,
// ranges, extra hosts, port bindings, capabilities and annotations.
// Resources are validateResources' (limits.go), run by prepareCreate.
func validateHostSettings(hc *container.HostConfig) error {
	if !hc.IpcMode.Valid() {
		return errs.Invalid("invalid IPC mode: %v", hc.IpcMode)
	}
	if !hc.PidMode.Valid() {
		return errs.Invalid("invalid PID mode: %v", hc.PidMode)
	}
	if !hc.UTSMode.Valid() {
		return errs.Invalid("invalid UTS mode: %v", hc.UTSMode)
	}
	if !hc.CgroupnsMode.Valid() {
		return errs.Invalid("invalid cgroup namespace mode: %v", hc.CgroupnsMode)
	}
	if hc.OomScoreAdj < -1000 || hc.OomScoreAdj > 1000 {
		return errs.Invalid("Invalid value %d, range for oom score adj is [-1000, 1000]", hc.OomScoreAdj)
	}
	for _, h := range hc.ExtraHosts {
		if err := validateExtraHost(h); err != nil {
			return err
		}
	}
	if err := validatePortBindings(hc.PortBindings); err != nil {
		return err
	}
	for i, caps := range [][]string{hc.CapAdd, hc.CapDrop} {
		for _, c := range caps {
			if n := normalizeCap(c); n != "ALL" && !knownCap(n) {
				return errs.Invalid("invalid %s: unknown capability: %q", [2]string{"CapAdd", "CapDrop"}[i], n) // dockerd's words
			}
		}
	}
	if len(hc.StorageOpt) > 0 {
		// Wharf's overlay has no quota support; dockerd's overlay2
		// answers so when its data root is not xfs with pquota.
		return errs.Invalid("--storage-opt is supported only for overlay over xfs with 'pquota' mount option")
	}
	for k := range hc.Annotations {
		if k == "" {
			return errs.Invalid("invalid Annotations: the empty string is not permitted as an annotation key")
		}
	}
	return nil
}

// validateExtraHost is dockerd's: "name:ip", the ip or "host-gateway".
func validateExtraHost(val string) error {
	name, ip, ok := strings.Cut(val, ":")
	if !ok || name == "" {
		return errs.Invalid("bad format for add-host: %q", val)
	}
	if ip == "host-gateway" {
		return nil
	}
	if _, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(ip, "["), "]")); err != nil {
		return errs.Invalid("invalid IP address in add-host: %q", ip)
	}
	return nil
}

// validatePortBindings is dockerd's: every container port valid and not
// 0, every host port empty or a port or range.
func validatePortBindings(ports network.PortMap) error {
	for port, bindings := range ports {
		if !port.IsValid() || port.Num() == 0 {
			return errs.Invalid("invalid port specification: %q", port.String())
		}
		for _, b := range bindings {
			if b.HostPort == "" {
				continue
			}
			if _, err := network.ParsePortRange(b.HostPort); err != nil {
				return errs.Invalid("invalid port specification: %q", b.HostPort)
			}
		}
	}
	return nil
}

// validateName is dockerd's rule for a container name, and a length it
// does not check.
func validateName(name string) error {
	if !validName.MatchString(name) {
		return errs.Invalid("Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name)
	}
	if len(strings.TrimPrefix(name, "/")) > maxNameLen {
		return errs.Invalid("Invalid container name (%.20s...): longer than %d characters", name, maxNameLen)
	}
	return nil
}

// validateUlimit checks one --ulimit as the CLI's parser does (a name
// the kernel knows, soft <= hard), for clients that skip the CLI.
func validateUlimit(u *container.Ulimit) error {
	if u == nil {
		return nil
	}
	if _, err := units.ParseUlimit(fmt.Sprintf("%s=%d:%d", u.Name, u.Soft, u.Hard)); err != nil {
		return errs.Invalid("%v", err)
	}
	return nil
}

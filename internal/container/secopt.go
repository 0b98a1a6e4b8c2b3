package container

import (
	"os"
	"strconv"
	"strings"

	"github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wharf/wharf/internal/errs"
)

// The seccomp values of --security-opt that are not a profile.
const (
	seccompUnconfined = "unconfined"
	seccompBuiltin    = "builtin" // the default profile, by name
)

// securityOptions is what a container's --security-opt asks for, read as
// dockerd's parseSecurityOpt reads it.
type securityOptions struct {
	NoNewPrivileges bool
	// WritableCgroups mounts /sys/fs/cgroup read-write (nil: the default,
	// read-only for an unprivileged container).
	WritableCgroups *bool
	// Seccomp is "" (the default profile), "unconfined", "builtin", or a
	// profile's JSON: the docker CLI sends the content of the file named
	// by seccomp=FILE.
	Seccomp string
	// AppArmor is the profile to run under, applied only where the host
	// has AppArmor; dockerd ignores it elsewhere too.
	AppArmor string
}

// parseSecurityOpts reads --security-opt values: "key=value" or the
// older "key:value", plus the bare "no-new-privileges",
// "writable-cgroups" and "disable" (an SELinux label option). SELinux
// labels are accepted and not applied, as dockerd does on a host
// without SELinux. Anything else is refused in dockerd's words.
func parseSecurityOpts(opts []string) (securityOptions, error) {
	var so securityOptions
	for _, opt := range opts {
		switch opt {
		case "no-new-privileges":
			so.NoNewPrivileges = true
			continue
		case "writable-cgroups":
			yes := true
			so.WritableCgroups = &yes
			continue
		case "disable":
			continue
		}
		sep := "="
		if !strings.Contains(opt, "=") {
			sep = ":"
		}
		k, v, ok := strings.Cut(opt, sep)
		if !ok {
			return so, errs.Invalid("invalid --security-opt 1: %q", opt)
		}
		switch k {
		case "label":
		case "apparmor":
			so.AppArmor = v
		case "seccomp":
			so.Seccomp = v
		case "no-new-privileges", "writable-cgroups":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return so, errs.Invalid("invalid --security-opt 2: %q", opt)
			}
			if k == "no-new-privileges" {
				so.NoNewPrivileges = b
			} else {
				so.WritableCgroups = &b
			}
		default:
			return so, errs.Invalid("invalid --security-opt 2: %q", opt)
		}
	}
	return so, nil
}

// validateSecurityOpts checks the options at create, the profile too:
// a profile that does not load fails the create, not every start.
func validateSecurityOpts(opts []string) error {
	so, err := parseSecurityOpts(opts)
	if err != nil {
		return err
	}
	if so.Seccomp == "" || so.Seccomp == seccompUnconfined || so.Seccomp == seccompBuiltin {
		return nil
	}
	probe := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{}}}
	if _, err := seccomp.LoadProfile(so.Seccomp, probe); err != nil {
		return errs.Invalid("%v", err)
	}
	return nil
}

// applySecurityOpts sets no-new-privileges, the seccomp filter and the
// AppArmor profile of s, whose capabilities are already set (a profile's
// rules may depend on them). As dockerd: a privileged container runs
// without seccomp unless it names a profile.
func applySecurityOpts(s *specs.Spec, so securityOptions, privileged bool) error {
	s.Process.NoNewPrivileges = so.NoNewPrivileges
	if so.AppArmor != "" && appArmorEnabled() {
		s.Process.ApparmorProfile = so.AppArmor
	}
	var err error
	switch {
	case so.Seccomp == seccompUnconfined:
	case so.Seccomp == "" || so.Seccomp == seccompBuiltin:
		if !privileged || so.Seccomp == seccompBuiltin {
			s.Linux.Seccomp, err = seccomp.GetDefaultProfile(s)
		}
	default:
		s.Linux.Seccomp, err = seccomp.LoadProfile(so.Seccomp, s)
	}
	if err != nil {
		return errs.Invalid("seccomp profile: %v", err)
	}
	return nil
}

// appArmorEnabled is AppArmor's own switch, as runc reads it.
func appArmorEnabled() bool {
	b, err := os.ReadFile("/sys/module/apparmor/parameters/enabled")
	return err == nil && len(b) > 0 && b[0] == 'Y'
}

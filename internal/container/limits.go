package container

import (
	"context"
	"maps"
	"os/exec"
	"slices"
	"strings"

	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/wharf/wharf/internal/errs"
)

// initPath is where docker puts its init (--init) in the container.
const initPath = "/sbin/docker-init"

// addMountsAndLimits completes a spec with what spec.go's defaults leave
// out: the user's mounts (replacing defaults at the same place), the
// limits resources() does not map, ulimits, and --init.
func addMountsAndLimits(s *specs.Spec, c *Container, in specInput) {
	hc := c.HostConfig
	s.Mounts = withUserMounts(s.Mounts, in.Mounts)
	r := s.Linux.Resources
	if hc.MemorySwap == -1 && hc.Memory > 0 {
		unlimited := int64(-1)
		r.Memory.Swap = &unlimited
	}
	if hc.OomKillDisable != nil && *hc.OomKillDisable {
		if r.Memory == nil {
			r.Memory = &specs.LinuxMemory{}
		}
		r.Memory.DisableOOMKiller = hc.OomKillDisable
	}
	if hc.MemorySwappiness != nil && *hc.MemorySwappiness >= 0 {
		if r.Memory == nil {
			r.Memory = &specs.LinuxMemory{}
		}
		sw := uint64(*hc.MemorySwappiness)
		r.Memory.Swappiness = &sw
	}
	if hc.BlkioWeight > 0 {
		r.BlockIO = &specs.LinuxBlockIO{Weight: &hc.BlkioWeight}
	}
	if hc.CPURealtimePeriod > 0 || hc.CPURealtimeRuntime > 0 {
		if r.CPU == nil {
			r.CPU = &specs.LinuxCPU{}
		}
		if hc.CPURealtimePeriod > 0 {
			p := uint64(hc.CPURealtimePeriod)
			r.CPU.RealtimePeriod = &p
		}
		if hc.CPURealtimeRuntime > 0 {
			r.CPU.RealtimeRuntime = &hc.CPURealtimeRuntime
		}
	}
	s.Process.Rlimits = rlimits(hc.Ulimits, in.DefaultUlimits, in.MaxNofile)
	if in.Init != "" {
		s.Mounts = append(s.Mounts, specs.Mount{Destination: initPath, Type: "bind", Source: in.Init, Options: []string{"bind", "ro"}})
		s.Process.Args = append([]string{initPath, "--"}, s.Process.Args...)
	}
}

// defaultNofile is RLIMIT_NOFILE for a container for which neither
// --ulimit nor the daemon's default-ulimits set one: what containers get
// from dockerd on a systemd host, systemd's default, since docker and
// containerd stopped raising it (moby#45534). Leaving it to the daemon's
// own limit would make a container's behaviour depend on how the daemon
// was started (a shell's ulimit -n, a unit's LimitNOFILE=).
var defaultNofile = container.Ulimit{Name: "nofile", Soft: 1024, Hard: 524288}

// mergeUlimits is dockerd's mergeUlimits: the container's own ulimits,
// then the daemon's default-ulimits for the names it does not set (in
// name order, so that the same container always gets the same spec).
func mergeUlimits(own []*container.Ulimit, defaults map[string]*container.Ulimit) []*container.Ulimit {
	out := slices.Clip(own) // appending must not write into the container's record
	for _, name := range slices.Sorted(maps.Keys(defaults)) {
		if defaults[name] != nil && !hasUlimit(own, name) {
			out = append(out, defaults[name])
		}
	}
	return out
}

func hasUlimit(ulimits []*container.Ulimit, name string) bool {
	return slices.ContainsFunc(ulimits, func(u *container.Ulimit) bool { return u != nil && u.Name == name })
}

// rlimits is every rlimit a container's processes get, its init and each
// exec alike: its ulimits merged with the daemon's defaults, and
// defaultNofile unless they set nofile. The default's hard limit is
// capped at maxNofile, the daemon's own hard limit (0: no cap), which a
// daemon without CAP_SYS_RESOURCE cannot raise; limits the user asks for
// are passed on as they are, and fail if the daemon cannot grant them.
func rlimits(ulimits []*container.Ulimit, defaults map[string]*container.Ulimit, maxNofile uint64) []specs.POSIXRlimit {
	merged := mergeUlimits(ulimits, defaults)
	if !hasUlimit(merged, "nofile") {
		nofile := defaultNofile
		if maxNofile > 0 && uint64(nofile.Hard) > maxNofile {
			nofile.Hard = int64(maxNofile)
			nofile.Soft = min(nofile.Soft, nofile.Hard)
		}
		merged = append(merged, &nofile)
	}
	out := make([]specs.POSIXRlimit, 0, len(merged))
	for _, u := range merged {
		if u == nil {
			continue
		}
		out = append(out, specs.POSIXRlimit{Type: "RLIMIT_" + strings.ToUpper(u.Name), Hard: uint64(u.Hard), Soft: uint64(u.Soft)})
	}
	return out
}

// daemonMaxNofile is the daemon's hard RLIMIT_NOFILE, or 0 if unknown.
func daemonMaxNofile() uint64 {
	var lim unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &lim) != nil {
		return 0
	}
	return lim.Max
}

// minMemory is dockerd's least memory limit: what a container needs to start.
const minMemory = 6 << 20

// validateResources checks limits at create and update as dockerd does.
func validateResources(r *container.Resources) error {
	if r.Memory != 0 && r.Memory < minMemory {
		return errs.Invalid("Minimum memory limit allowed is 6MB")
	}
	if r.Memory > 0 && r.MemorySwap > 0 && r.MemorySwap < r.Memory {
		return errs.Invalid("Minimum memoryswap limit should be larger than memory limit, see usage")
	}
	if r.Memory == 0 && r.MemorySwap > 0 {
		return errs.Invalid("You should always set the Memory limit when using Memoryswap limit, see usage")
	}
	if r.MemoryReservation > 0 && r.MemoryReservation < minMemory {
		return errs.Invalid("Minimum memory reservation allowed is 6MB")
	}
	if r.Memory > 0 && r.MemoryReservation > 0 && r.Memory < r.MemoryReservation {
		return errs.Invalid("Minimum memory limit can not be less than memory reservation limit, see usage")
	}
	if r.MemorySwappiness != nil && (*r.MemorySwappiness < -1 || *r.MemorySwappiness > 100) {
		return errs.Invalid("Invalid value: %v, valid memory swappiness range is 0-100", *r.MemorySwappiness)
	}
	if r.NanoCPUs > 0 && r.CPUPeriod > 0 {
		return errs.Invalid("Conflicting options: Nano CPUs and CPU Period cannot both be set")
	}
	if r.NanoCPUs > 0 && r.CPUQuota > 0 {
		return errs.Invalid("Conflicting options: Nano CPUs and CPU Quota cannot both be set")
	}
	if r.CPUShares < 0 {
		// dockerd says so only at start (getCPUResources); said at create
		// it fails before anything is made.
		return errs.Invalid("invalid CPU shares (%d): value must be a positive integer", r.CPUShares)
	}
	if r.NanoCPUs < 0 || r.NanoCPUs > int64(numCPU())*1e9 {
		return errs.Invalid("Range of CPUs is from 0.01 to %d.00, as there are only %d CPUs available", numCPU(), numCPU())
	}
	if r.CPUPeriod != 0 && (r.CPUPeriod < 1000 || r.CPUPeriod > 1000000) {
		return errs.Invalid("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)")
	}
	if r.CPUQuota > 0 && r.CPUQuota < 1000 {
		return errs.Invalid("CPU cfs quota can not be less than 1ms (i.e. 1000)")
	}
	if r.BlkioWeight > 0 && (r.BlkioWeight < 10 || r.BlkioWeight > 1000) {
		return errs.Invalid("Range of blkio weight is from 10 to 1000")
	}
	if r.IOMaximumBandwidth != 0 || r.IOMaximumIOps != 0 {
		return errs.Invalid("Invalid QoS settings: linux does not support Maximum IO Bandwidth or Maximum IO IOps")
	}
	for _, u := range r.Ulimits {
		if err := validateUlimit(u); err != nil {
			return err
		}
	}
	return nil
}

func numCPU() int {
	var set unix.CPUSet
	if unix.SchedGetaffinity(0, &set) == nil {
		return set.Count()
	}
	return 1
}

// findInit locates the init binary for --init: docker-init if installed,
// else Debian's static tini (package "tini"). A dynamically linked tini
// would not run in images without a C library.
func findInit() (string, error) {
	for _, name := range []string{"docker-init", "tini-static"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errs.Invalid("exec: \"docker-init\": executable file not found in $PATH")
}

// prepareCreate checks a new container's limits and restart policy and
// works out its mounts (creating the volumes it names).
func (s *Service) prepareCreate(ctx context.Context, c *Container) error {
	hc := c.HostConfig
	if err := validateResources(&hc.Resources); err != nil {
		return err
	}
	if hc.Memory > 0 && hc.MemorySwap == 0 {
		// dockerd's default: as much swap as memory.
		hc.MemorySwap = 2 * hc.Memory
	}
	if err := validateRestartPolicy(c.HostConfig); err != nil {
		return err
	}
	return s.setupMounts(ctx, c)
}

// prepareRun readies what a start needs besides the root file system: the
// mounts and, for --init, the init binary.
func (s *Service) prepareRun(ctx context.Context, c *Container, rootfs string) ([]specs.Mount, string, error) {
	mounts, err := s.prepareMounts(ctx, c, rootfs)
	if err != nil {
		return nil, "", err
	}
	initBin := ""
	if c.HostConfig.Init != nil && *c.HostConfig.Init {
		if initBin, err = findInit(); err != nil {
			return nil, "", err
		}
	}
	return mounts, initBin, nil
}

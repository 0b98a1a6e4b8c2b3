package container

import (
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/sys/symlink"
	"github.com/moby/sys/user"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wharf/wharf/internal/errs"
)

// ociVersion is what we write in config.json: crun 1.8.1 rejects >= 1.2.0.
const ociVersion = "1.0.2"

// defaultCaps is docker's default capability set.
var defaultCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

// maskedPaths and readonlyPaths are docker's defaults for unprivileged containers.
var (
	maskedPaths = []string{"/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys",
		"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
		"/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap"}
	readonlyPaths = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}
)

const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// specInput is everything spec generation needs besides the container record.
type specInput struct {
	Rootfs       string // the mounted root file system
	CgroupParent string // the daemon's cgroup parent, used unless the container names its own
	EtcFiles     string // directory holding hostname, hosts, resolv.conf
	NetNS        string // path of a network namespace to join; "" for a new one
	PidNS, IpcNS string // --pid/--ipc container:<ref>: the target's namespaces to join
	// ShmDir is a host directory bound at /dev/shm (ipc.go shmDir); ""
	// gives the container a tmpfs of its own, or none with --ipc none.
	ShmDir string

	Mounts []specs.Mount // volumes, binds, tmpfs (mounts.go)
	Init   string        // host path of the --init binary, or ""

	DefaultUlimits map[string]*container.Ulimit // the daemon's default-ulimits
	MaxNofile      uint64                       // the daemon's hard RLIMIT_NOFILE; 0: unknown
}

// buildSpec turns a container's configuration into an OCI runtime spec,
// with docker's defaults for everything the user did not set.
func buildSpec(c *Container, in specInput) (*specs.Spec, error) {
	cfg, hc := c.Config, c.HostConfig
	proc, err := buildProcess(cfg, hc.GroupAdd, c.strictGroups(), in.Rootfs, append(append([]string{}, cfg.Entrypoint...), cfg.Cmd...))
	if err != nil {
		return nil, err
	}
	if cfg.Tty && hc.ConsoleSize[0] > 0 && hc.ConsoleSize[1] > 0 {
		// As dockerd: the pty has the client's size from the start.
		proc.ConsoleSize = &specs.Box{Height: hc.ConsoleSize[0], Width: hc.ConsoleSize[1]}
	}
	caps, err := capabilities(hc)
	if err != nil {
		return nil, err
	}
	proc.Capabilities = &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps}
	proc.OOMScoreAdj = &hc.OomScoreAdj
	secOpts, err := parseSecurityOpts(hc.SecurityOpt)
	if err != nil {
		return nil, err
	}

	s := &specs.Spec{
		Version:  ociVersion,
		Process:  proc,
		Root:     &specs.Root{Path: in.Rootfs, Readonly: hc.ReadonlyRootfs},
		Hostname: cfg.Hostname,
		Mounts:   defaultMounts(hc, in.ShmDir),
		Linux: &specs.Linux{
			CgroupsPath: cgroupsPath(hc.CgroupParent, in.CgroupParent, c.ID),
			Namespaces:  namespaces(hc, in, c.Pod),
			Resources:   resources(hc),
			Sysctl:      hc.Sysctls,
		},
	}
	if cfg.Domainname != "" {
		s.Domainname = cfg.Domainname
	}
	for _, f := range []string{"hostname", "hosts", "resolv.conf"} {
		s.Mounts = append(s.Mounts, specs.Mount{
			Destination: "/etc/" + f, Type: "bind", Source: filepath.Join(in.EtcFiles, f),
			Options: []string{"rbind", "rprivate"},
		})
	}
	addMountsAndLimits(s, c, in)
	if p := c.userns(); p != nil {
		usernsSpec(s, p)
	}
	if err := applySecurityOpts(s, secOpts, hc.Privileged); err != nil {
		return nil, err
	}
	if secOpts.WritableCgroups != nil {
		setCgroupMountWritable(s.Mounts, *secOpts.WritableCgroups)
	}
	s.Linux.RootfsPropagation = rootfsPropagation(s.Mounts)
	if hc.Privileged {
		s.Linux.Resources.Devices = []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}
		return s, nil
	}
	if err := addDevices(s, hc); err != nil {
		return nil, err
	}
	s.Linux.MaskedPaths, s.Linux.ReadonlyPaths = maskedPaths, readonlyPaths
	// Paths given in the HostConfig (the API's, the CRI's) replace the defaults.
	if hc.MaskedPaths != nil {
		s.Linux.MaskedPaths = hc.MaskedPaths
	}
	if hc.ReadonlyPaths != nil {
		s.Linux.ReadonlyPaths = hc.ReadonlyPaths
	}
	return s, nil
}

// setCgroupMountWritable makes /sys/fs/cgroup read-write or read-only
// (--security-opt writable-cgroups).
func setCgroupMountWritable(mounts []specs.Mount, writable bool) {
	for i, m := range mounts {
		if m.Type != "cgroup" {
			continue
		}
		opts := slices.DeleteFunc(slices.Clone(m.Options), func(o string) bool { return o == "ro" || o == "rw" })
		if writable {
			mounts[i].Options = append(opts, "rw")
		} else {
			mounts[i].Options = append(opts, "ro")
		}
	}
}

// cgroupsPath places the container's cgroup under its own --cgroup-parent
// or else the daemon's ("/wharf" by default, docker's is "/docker").
func cgroupsPath(containerParent, daemonParent, id string) string {
	parent := containerParent
	if parent == "" {
		parent = daemonParent
	}
	if parent == "" {
		parent = "/wharf"
	}
	return path.Join("/", parent, id)
}

// buildProcess resolves the user inside rootfs and fills the environment
// the way docker does (PATH, HOSTNAME, TERM for a tty, HOME).
func buildProcess(cfg *container.Config, groupAdd []string, strictGroups bool, rootfs string, argv []string) (*specs.Process, error) {
	u, su, err := processUser(rootfs, cfg.User, groupAdd, strictGroups)
	if err != nil {
		return nil, err
	}
	env := []string{}
	if !hasEnv(cfg.Env, "PATH") {
		env = append(env, defaultPath)
	}
	env = append(env, "HOSTNAME="+cfg.Hostname)
	if cfg.Tty && !hasEnv(cfg.Env, "TERM") {
		env = append(env, "TERM=xterm")
	}
	env = append(env, cfg.Env...)
	if !hasEnv(env, "HOME") {
		env = append(env, "HOME="+u.Home)
	}
	cwd := cfg.WorkingDir
	if cwd == "" {
		cwd = "/"
	}
	return &specs.Process{
		Terminal: cfg.Tty,
		Args:     argv,
		Env:      env,
		Cwd:      filepath.Clean("/" + cwd),
		User:     su,
	}, nil
}

// processUser resolves spec for a process of the container as dockerd
// does (daemon/oci_linux.go, getUser): the additional groups are the
// primary one, the user's supplementary groups, then --group-add's, each
// a gid or a name from the container's /etc/group. strictGroups leaves
// out the user's supplementary groups (Pod.StrictGroups).
func processUser(rootfs, spec string, groupAdd []string, strictGroups bool) (execUser, specs.User, error) {
	u, err := resolveUser(rootfs, spec)
	if err != nil {
		return u, specs.User{}, err
	}
	su := specs.User{UID: uint32(u.Uid), GID: uint32(u.Gid), AdditionalGids: []uint32{uint32(u.Gid)}}
	if !strictGroups {
		su.AdditionalGids = append(su.AdditionalGids, u.Sgids...)
	}
	if len(groupAdd) > 0 {
		groupPath, err := symlink.FollowSymlinkInScope(filepath.Join(rootfs, "etc/group"), rootfs)
		if err != nil {
			return u, su, err
		}
		gids, err := user.GetAdditionalGroupsPath(groupAdd, groupPath)
		if err != nil {
			return u, su, errs.Invalid("%v", err)
		}
		for _, g := range gids {
			su.AdditionalGids = append(su.AdditionalGids, uint32(g))
		}
	}
	return u, su, nil
}

type execUser struct {
	Uid, Gid int
	Sgids    []uint32
	Home     string
}

// resolveUser maps "name", "uid", "name:group", "uid:gid" to ids through
// the container's own /etc/passwd and /etc/group (symlinks are resolved
// inside rootfs, never onto the host's files).
func resolveUser(rootfs, spec string) (execUser, error) {
	u := execUser{Home: "/"}
	userPart, groupPart, hasGroup := strings.Cut(spec, ":")
	passwd, _ := symlink.FollowSymlinkInScope(filepath.Join(rootfs, "etc/passwd"), rootfs)
	group, _ := symlink.FollowSymlinkInScope(filepath.Join(rootfs, "etc/group"), rootfs)
	users, _ := user.ParsePasswdFile(passwd)
	groups, _ := user.ParseGroupFile(group)

	if userPart == "" {
		userPart = "0"
	}
	found := false
	uid, numeric := strconv.Atoi(userPart)
	for _, pu := range users {
		if (numeric == nil && pu.Uid == uid) || pu.Name == userPart {
			u.Uid, u.Gid, u.Home, found = pu.Uid, pu.Gid, pu.Home, true
			break
		}
	}
	if !found {
		if numeric != nil {
			return u, errs.Invalid("unable to find user %s: no matching entries in passwd file", userPart)
		}
		// An unknown uid runs with gid 0, as with dockerd.
		u.Uid, u.Gid = uid, 0
		if uid == 0 {
			u.Home = "/root"
		}
	}
	if hasGroup {
		gid, gerr := strconv.Atoi(groupPart)
		matched := false
		for _, g := range groups {
			if (gerr == nil && g.Gid == gid) || g.Name == groupPart {
				u.Gid, matched = g.Gid, true
				break
			}
		}
		if !matched {
			if gerr != nil {
				return u, errs.Invalid("unable to find group %s: no matching entries in group file", groupPart)
			}
			u.Gid = gid
		}
	}
	// Supplementary groups of a named user, as docker adds them.
	name := ""
	for _, pu := range users {
		if pu.Uid == u.Uid {
			name = pu.Name
			break
		}
	}
	for _, g := range groups {
		for _, m := range g.List {
			if m == name && name != "" && g.Gid != u.Gid {
				u.Sgids = append(u.Sgids, uint32(g.Gid))
			}
		}
	}
	return u, nil
}

func hasEnv(env []string, key string) bool {
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k == key {
			return true
		}
	}
	return false
}

// capabilities applies --cap-add/--cap-drop to docker's default set.
func capabilities(hc *container.HostConfig) ([]string, error) {
	if hc.Privileged {
		return privilegedCaps(), nil
	}
	norm := normalizeCap
	set := map[string]bool{}
	for _, c := range defaultCaps {
		set[c] = true
	}
	for _, c := range hc.CapDrop {
		if norm(c) == "ALL" {
			set = map[string]bool{}
			continue
		}
		delete(set, norm(c))
	}
	for _, c := range hc.CapAdd {
		if norm(c) == "ALL" {
			// The ones wharfd can give: in a container without, say,
			// CAP_SYS_RESOURCE, runc could not apply it (as privileged).
			for _, a := range privilegedCaps() {
				set[a] = true
			}
			continue
		}
		if !knownCap(norm(c)) {
			return nil, errs.Invalid("unknown capability: %q", c)
		}
		set[norm(c)] = true
	}
	var out []string
	for _, c := range allCaps() {
		if set[c] {
			out = append(out, c)
		}
	}
	return out, nil
}

// normalizeCap spells a capability as the kernel's list does: "net_admin"
// is CAP_NET_ADMIN; "all" is ALL.
func normalizeCap(c string) string {
	c = strings.ToUpper(c)
	if c != "ALL" && !strings.HasPrefix(c, "CAP_") {
		c = "CAP_" + c
	}
	return c
}

func knownCap(c string) bool {
	for _, k := range allCaps() {
		if k == c {
			return true
		}
	}
	return false
}

// privilegedCaps is what --privileged gets: every capability wharfd itself
// may hand on (its bounding set). Asking for more makes runc fail with
// "unable to apply caps" on hosts (or in sandboxes) that withhold some.
func privilegedCaps() []string {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return allCaps()
	}
	return boundedCaps(allCaps(), string(data))
}

// boundedCaps keeps the capabilities in the CapBnd mask of a
// /proc/<pid>/status text; caps are indexed by capability number.
func boundedCaps(caps []string, status string) []string {
	for _, line := range strings.Split(status, "\n") {
		hex, ok := strings.CutPrefix(line, "CapBnd:")
		if !ok {
			continue
		}
		mask, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
		if err != nil {
			return caps
		}
		var out []string
		for i, c := range caps {
			if mask&(1<<i) != 0 {
				out = append(out, c)
			}
		}
		return out
	}
	return caps
}

// allCaps lists the capabilities this kernel generation knows, in order.
func allCaps() []string {
	return []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
		"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
		"CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
		"CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
		"CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
		"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
		"CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
		"CAP_CHECKPOINT_RESTORE"}
}

// defaultMounts is the file system docker gives every container, with
// its /dev/shm as its IPC mode has it (shmDir).
func defaultMounts(hc *container.HostConfig, shmDir string) []specs.Mount {
	sysOpts := []string{"nosuid", "noexec", "nodev", "ro"}
	if hc.Privileged {
		sysOpts[3] = "rw"
	}
	mounts := []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: sysOpts},
		{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"ro", "nosuid", "noexec", "nodev"}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
	}
	switch {
	case shmDir != "":
		return append(mounts, specs.Mount{Destination: "/dev/shm", Type: "bind", Source: shmDir, Options: []string{"rbind", "rprivate", "nosuid", "noexec", "nodev"}})
	case hc.IpcMode.IsNone():
		return mounts // dockerd mounts no /dev/shm
	}
	return append(mounts, specs.Mount{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=" + strconv.FormatInt(shmSize(hc), 10)}})
}

// shmSize is the container's /dev/shm size: --shm-size, else docker's.
func shmSize(hc *container.HostConfig) int64 {
	if hc.ShmSize > 0 {
		return hc.ShmSize
	}
	return defaultShmSize
}

// defaultShmSize is docker's /dev/shm size, 64 MiB.
const defaultShmSize = 64 << 20

// namespaces: a fresh pid, ipc, uts and mount namespace; the network
// namespace follows the network mode, pid and ipc those of a container
// named by --pid/--ipc container:<ref>.
// A pod's container joins the pod's ipc and uts namespaces instead.
func namespaces(hc *container.HostConfig, in specInput, pod *Pod) []specs.LinuxNamespace {
	netns, ipcNS, pidNS := in.NetNS, in.IpcNS, in.PidNS
	var utsNS string
	if pod != nil {
		ipcNS, utsNS, pidNS = pod.IPCNS, pod.UTSNS, pod.PIDNS
	}
	ns := []specs.LinuxNamespace{{Type: specs.MountNamespace}}
	if pod != nil && pod.UserNS != "" {
		ns = append(ns, specs.LinuxNamespace{Type: specs.UserNamespace, Path: pod.UserNS})
	}
	if !hc.PidMode.IsHost() {
		ns = append(ns, specs.LinuxNamespace{Type: specs.PIDNamespace, Path: pidNS})
	}
	if !hc.IpcMode.IsHost() {
		ns = append(ns, specs.LinuxNamespace{Type: specs.IPCNamespace, Path: ipcNS})
	}
	if !hc.UTSMode.IsHost() && !hc.NetworkMode.IsHost() {
		ns = append(ns, specs.LinuxNamespace{Type: specs.UTSNamespace, Path: utsNS})
	}
	if !hc.NetworkMode.IsHost() {
		ns = append(ns, specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: netns})
	}
	return ns
}

// resources maps docker's limits onto the spec, and allows the devices
// docker allows.
func resources(hc *container.HostConfig) *specs.LinuxResources {
	r := &specs.LinuxResources{Devices: defaultDeviceRules()}
	if hc.Memory > 0 || hc.MemorySwap != 0 || hc.MemoryReservation > 0 {
		m := &specs.LinuxMemory{}
		if hc.Memory > 0 {
			m.Limit = &hc.Memory
			swap := hc.MemorySwap
			if swap == 0 {
				swap = 2 * hc.Memory
			}
			m.Swap = &swap
		}
		if hc.MemoryReservation > 0 {
			m.Reservation = &hc.MemoryReservation
		}
		r.Memory = m
	}
	cpu := &specs.LinuxCPU{}
	if hc.CPUShares > 0 {
		shares := uint64(hc.CPUShares)
		cpu.Shares = &shares
	}
	if hc.NanoCPUs > 0 {
		period := uint64(100000)
		quota := hc.NanoCPUs * int64(period) / 1e9
		cpu.Period, cpu.Quota = &period, &quota
	}
	if hc.CPUPeriod > 0 {
		period := uint64(hc.CPUPeriod)
		cpu.Period = &period
	}
	if hc.CPUQuota > 0 {
		cpu.Quota = &hc.CPUQuota
	}
	cpu.Cpus, cpu.Mems = hc.CpusetCpus, hc.CpusetMems
	if *cpu != (specs.LinuxCPU{}) {
		r.CPU = cpu
	}
	if hc.PidsLimit != nil && *hc.PidsLimit > 0 {
		r.Pids = &specs.LinuxPids{Limit: hc.PidsLimit}
	}
	return r
}

func defaultDeviceRules() []specs.LinuxDeviceCgroup {
	dev := func(typ string, major, minor int64, access string) specs.LinuxDeviceCgroup {
		d := specs.LinuxDeviceCgroup{Allow: true, Type: typ, Access: access}
		if major >= 0 {
			d.Major = &major
		}
		if minor >= 0 {
			d.Minor = &minor
		}
		return d
	}
	return []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		dev("c", -1, -1, "m"), dev("b", -1, -1, "m"),
		dev("c", 1, 3, "rwm"), dev("c", 1, 8, "rwm"), dev("c", 1, 7, "rwm"), dev("c", 5, 0, "rwm"),
		dev("c", 1, 5, "rwm"), dev("c", 1, 9, "rwm"), dev("c", 5, 1, "rwm"), dev("c", 136, -1, "rwm"),
		dev("c", 5, 2, "rwm"), dev("c", 10, 200, "rwm"),
	}
}

// usernsSpec puts a pod's container in the pod's user namespace, which
// runc joins by path and reads the mappings of: runc 1.4 refuses a spec
// that gives both. The pod's files (host name, hosts, resolv.conf) and
// the mounts the CRI asked for with the pod's mappings are ID-mapped
// binds (runc 1.2's mount mappings), so that they show the pod's root as
// their owner where the host's root owns them.
func usernsSpec(s *specs.Spec, pod *Pod) {
	for i, m := range s.Mounts {
		if m.Type != "bind" {
			continue
		}
		etc := m.Destination == "/etc/hostname" || m.Destination == "/etc/hosts" || m.Destination == "/etc/resolv.conf"
		if etc || slices.Contains(pod.IDMapped, m.Destination) {
			s.Mounts[i].UIDMappings, s.Mounts[i].GIDMappings = pod.UIDMap, pod.GIDMap
		}
	}
}

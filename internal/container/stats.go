package container

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"golang.org/x/sys/unix"

	"github.com/wharf/wharf/internal/api/backend"
)

// StatsOptions are the query parameters of GET /containers/{id}/stats (the
// API layer's type).
type StatsOptions = backend.ContainerStatsOptions

// statsInterval is docker's sampling period.
const statsInterval = time.Second

// Stats samples a container's cgroup counters and sends them to out as
// docker's StatsResponse: once (two samples a second apart, so the CPU
// percentage can be computed, unless OneShot), or every second until ctx
// ends or the container stops.
func (s *Service) Stats(ctx context.Context, ref string, o StatsOptions, out func(container.StatsResponse) error) error {
	// Read from views (view.go): stats never wait for a start or stop.
	c, _, err := s.viewOf(ref)
	if err != nil {
		return err
	}
	prev := s.sample(c)
	if !o.Stream && o.OneShot {
		return out(prev)
	}
	t := time.NewTicker(statsInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		cur := s.sample(c)
		cur.PreRead, cur.PreCPUStats = prev.Read, prev.CPUStats
		if err := out(cur); err != nil || !o.Stream {
			return err
		}
		if !c.view.Load().c.State.Running {
			return nil
		}
		prev = cur
	}
}

// sample reads c's counters; a container that is not running gives an
// empty sample, as with dockerd. os_type stays empty: dockerd sets it on
// Windows only.
func (s *Service) sample(c *Container) container.StatsResponse {
	v := c.view.Load().c
	resp := container.StatsResponse{ID: v.ID, Name: v.Name}
	running, pid, rtName := v.State.Running, v.State.Pid, v.Runtime
	if !running {
		return resp
	}
	rt, err := s.runtimeFor(rtName)
	if err != nil {
		return resp
	}
	paths, err := rt.CgroupPaths(c.ID)
	if err != nil {
		return resp
	}
	resp.Read = time.Now().UTC()
	readCgroupStats(&resp, paths)
	resp.CPUStats.SystemUsage = systemCPUUsage()
	if resp.CPUStats.OnlineCPUs == 0 {
		resp.CPUStats.OnlineCPUs = uint32(numCPU())
	}
	if mem := hostMemory(); (resp.MemoryStats.Limit == 0 || resp.MemoryStats.Limit > mem) && mem > 0 {
		// No limit (v1's huge number, v2's "max"): docker reports the
		// host's memory.
		resp.MemoryStats.Limit = mem
	}
	resp.Networks = netStats(pid)
	return resp
}

// readCgroupStats fills CPU, memory, pids and block I/O from cgroup v1
// controllers, or from the unified (v2) directory when there are none.
func readCgroupStats(r *container.StatsResponse, paths map[string]string) {
	if dir, ok := paths["memory"]; ok {
		readV1(r, paths, dir)
		return
	}
	if dir, ok := paths[""]; ok {
		readV2(r, dir)
	}
}

func readV1(r *container.StatsResponse, paths map[string]string, memDir string) {
	cpu := paths["cpuacct"]
	r.CPUStats.CPUUsage.TotalUsage = readUint(filepath.Join(cpu, "cpuacct.usage"))
	for _, f := range strings.Fields(readString(filepath.Join(cpu, "cpuacct.usage_percpu"))) {
		n, _ := strconv.ParseUint(f, 10, 64)
		r.CPUStats.CPUUsage.PercpuUsage = append(r.CPUStats.CPUUsage.PercpuUsage, n)
	}
	st := readKV(filepath.Join(cpu, "cpuacct.stat"))
	// cpuacct.stat counts in USER_HZ (100 per second).
	r.CPUStats.CPUUsage.UsageInUsermode = st["user"] * 1e7
	r.CPUStats.CPUUsage.UsageInKernelmode = st["system"] * 1e7
	th := readKV(filepath.Join(paths["cpu"], "cpu.stat"))
	r.CPUStats.ThrottlingData = container.ThrottlingData{Periods: th["nr_periods"], ThrottledPeriods: th["nr_throttled"], ThrottledTime: th["throttled_time"]}

	r.MemoryStats.Usage = readUint(filepath.Join(memDir, "memory.usage_in_bytes"))
	r.MemoryStats.MaxUsage = readUint(filepath.Join(memDir, "memory.max_usage_in_bytes"))
	r.MemoryStats.Failcnt = readUint(filepath.Join(memDir, "memory.failcnt"))
	r.MemoryStats.Limit = readUint(filepath.Join(memDir, "memory.limit_in_bytes"))
	r.MemoryStats.Stats = readKV(filepath.Join(memDir, "memory.stat"))

	r.PidsStats.Current = readUint(filepath.Join(paths["pids"], "pids.current"))
	r.PidsStats.Limit = readUint(filepath.Join(paths["pids"], "pids.max"))

	r.BlkioStats.IoServiceBytesRecursive = readBlkio(filepath.Join(paths["blkio"], "blkio.throttle.io_service_bytes_recursive"))
	r.BlkioStats.IoServicedRecursive = readBlkio(filepath.Join(paths["blkio"], "blkio.throttle.io_serviced_recursive"))
}

func readV2(r *container.StatsResponse, dir string) {
	cpu := readKV(filepath.Join(dir, "cpu.stat"))
	r.CPUStats.CPUUsage.TotalUsage = cpu["usage_usec"] * 1000
	r.CPUStats.CPUUsage.UsageInUsermode = cpu["user_usec"] * 1000
	r.CPUStats.CPUUsage.UsageInKernelmode = cpu["system_usec"] * 1000
	r.CPUStats.ThrottlingData = container.ThrottlingData{Periods: cpu["nr_periods"], ThrottledPeriods: cpu["nr_throttled"], ThrottledTime: cpu["throttled_usec"] * 1000}
	r.MemoryStats.Usage = readUint(filepath.Join(dir, "memory.current"))
	r.MemoryStats.Limit = readUint(filepath.Join(dir, "memory.max"))
	r.MemoryStats.Stats = readKV(filepath.Join(dir, "memory.stat"))
	r.PidsStats.Current = readUint(filepath.Join(dir, "pids.current"))
	r.PidsStats.Limit = readUint(filepath.Join(dir, "pids.max"))
	for _, line := range strings.Split(readString(filepath.Join(dir, "io.stat")), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		var major, minor uint64
		if mm := strings.SplitN(f[0], ":", 2); len(mm) == 2 {
			major, _ = strconv.ParseUint(mm[0], 10, 64)
			minor, _ = strconv.ParseUint(mm[1], 10, 64)
		}
		for _, kv := range f[1:] {
			k, v, _ := strings.Cut(kv, "=")
			n, _ := strconv.ParseUint(v, 10, 64)
			switch k {
			case "rbytes":
				r.BlkioStats.IoServiceBytesRecursive = append(r.BlkioStats.IoServiceBytesRecursive, container.BlkioStatEntry{Major: major, Minor: minor, Op: "read", Value: n})
			case "wbytes":
				r.BlkioStats.IoServiceBytesRecursive = append(r.BlkioStats.IoServiceBytesRecursive, container.BlkioStatEntry{Major: major, Minor: minor, Op: "write", Value: n})
			}
		}
	}
}

// readBlkio parses "8:0 Read 4096" lines.
func readBlkio(file string) []container.BlkioStatEntry {
	var out []container.BlkioStatEntry
	for _, line := range strings.Split(readString(file), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		mm := strings.SplitN(f[0], ":", 2)
		if len(mm) != 2 {
			continue
		}
		major, _ := strconv.ParseUint(mm[0], 10, 64)
		minor, _ := strconv.ParseUint(mm[1], 10, 64)
		v, _ := strconv.ParseUint(f[2], 10, 64)
		out = append(out, container.BlkioStatEntry{Major: major, Minor: minor, Op: f[1], Value: v})
	}
	return out
}

func readString(file string) string {
	data, _ := os.ReadFile(file)
	return strings.TrimSpace(string(data))
}

// readUint reads a one-number file; "max" (v2, unlimited) reads as 0.
func readUint(file string) uint64 {
	n, _ := strconv.ParseUint(readString(file), 10, 64)
	return n
}

// readKV parses "key value" lines.
func readKV(file string) map[string]uint64 {
	m := map[string]uint64{}
	for _, line := range strings.Split(readString(file), "\n") {
		k, v, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		if err == nil {
			m[k] = n
		}
	}
	return m
}

// systemCPUUsage is the host's CPU time in nanoseconds, from the first
// seven fields of /proc/stat's cpu line, as dockerd computes it.
func systemCPUUsage() uint64 {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		return parseSystemCPU(sc.Text())
	}
	return 0
}

func parseSystemCPU(line string) uint64 {
	fields := strings.Fields(line)
	if len(fields) < 8 || fields[0] != "cpu" {
		return 0
	}
	var ticks uint64
	for _, v := range fields[1:8] {
		n, _ := strconv.ParseUint(v, 10, 64)
		ticks += n
	}
	return ticks * 1e9 / 100
}

func hostMemory() uint64 {
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) != nil {
		return 0
	}
	return uint64(si.Totalram) * uint64(si.Unit)
}

// netStats reads the container's interfaces (loopback aside) from its
// network namespace, through its init's /proc.
func netStats(pid int) map[string]container.NetworkStats {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/net/dev")
	if err != nil {
		return nil
	}
	return parseNetDev(string(data))
}

func parseNetDev(data string) map[string]container.NetworkStats {
	out := map[string]container.NetworkStats{}
	for _, line := range strings.Split(data, "\n") {
		name, rest, ok := strings.Cut(line, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "lo" || strings.Contains(name, "|") {
			continue
		}
		f := strings.Fields(rest)
		if len(f) < 16 {
			continue
		}
		n := make([]uint64, 16)
		for i := range n {
			n[i], _ = strconv.ParseUint(f[i], 10, 64)
		}
		out[name] = container.NetworkStats{
			RxBytes: n[0], RxPackets: n[1], RxErrors: n[2], RxDropped: n[3],
			TxBytes: n[8], TxPackets: n[9], TxErrors: n[10], TxDropped: n[11],
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// cpuPercent is the CLI's computation, for tests and logs.
func cpuPercent(cur, pre container.CPUStats) float64 {
	cpuDelta := float64(cur.CPUUsage.TotalUsage) - float64(pre.CPUUsage.TotalUsage)
	sysDelta := float64(cur.SystemUsage) - float64(pre.SystemUsage)
	if cpuDelta <= 0 || sysDelta <= 0 {
		return 0
	}
	return cpuDelta / sysDelta * float64(cur.OnlineCPUs) * 100
}

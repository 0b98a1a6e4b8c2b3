package container

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/moby/moby/api/types/container"
)

func TestParseSystemCPU(t *testing.T) {
	got := parseSystemCPU("cpu  100 0 50 800 10 20 20 5 0 0")
	if got != 1000*1e9/100 {
		t.Fatalf("got %d", got)
	}
	if parseSystemCPU("intr 1 2 3") != 0 {
		t.Fatal("non-cpu line parsed")
	}
}

func TestCPUPercent(t *testing.T) {
	pre := container.CPUStats{CPUUsage: container.CPUUsage{TotalUsage: 1e9}, SystemUsage: 100e9, OnlineCPUs: 2}
	cur := container.CPUStats{CPUUsage: container.CPUUsage{TotalUsage: 1.5e9}, SystemUsage: 102e9, OnlineCPUs: 2}
	// half a CPU-second over two host CPU-seconds on 2 CPUs: 50%.
	if got := cpuPercent(cur, pre); math.Abs(got-50) > 0.001 {
		t.Fatalf("got %v", got)
	}
}

func TestReadV1Stats(t *testing.T) {
	root := t.TempDir()
	write := func(ctrl, file, content string) {
		os.MkdirAll(filepath.Join(root, ctrl), 0o755)
		os.WriteFile(filepath.Join(root, ctrl, file), []byte(content), 0o644)
	}
	write("cpuacct", "cpuacct.usage", "123456\n")
	write("cpuacct", "cpuacct.usage_percpu", "100000 23456 \n")
	write("cpuacct", "cpuacct.stat", "user 3\nsystem 2\n")
	write("memory", "memory.usage_in_bytes", "4096000\n")
	write("memory", "memory.limit_in_bytes", "8388608\n")
	write("memory", "memory.stat", "cache 1000\ntotal_inactive_file 2000\n")
	write("pids", "pids.current", "3\n")
	write("pids", "pids.max", "max\n")
	write("blkio", "blkio.throttle.io_service_bytes_recursive", "8:0 Read 4096\n8:0 Write 512\nTotal 4608\n")
	paths := map[string]string{}
	for _, c := range []string{"cpuacct", "cpu", "memory", "pids", "blkio"} {
		paths[c] = filepath.Join(root, c)
	}
	var r container.StatsResponse
	readCgroupStats(&r, paths)
	if r.CPUStats.CPUUsage.TotalUsage != 123456 || len(r.CPUStats.CPUUsage.PercpuUsage) != 2 || r.CPUStats.CPUUsage.UsageInUsermode != 3e7 {
		t.Fatalf("cpu: %+v", r.CPUStats)
	}
	if r.MemoryStats.Usage != 4096000 || r.MemoryStats.Limit != 8388608 || r.MemoryStats.Stats["total_inactive_file"] != 2000 {
		t.Fatalf("memory: %+v", r.MemoryStats)
	}
	if r.PidsStats.Current != 3 || r.PidsStats.Limit != 0 {
		t.Fatalf("pids: %+v", r.PidsStats)
	}
	if len(r.BlkioStats.IoServiceBytesRecursive) != 2 || r.BlkioStats.IoServiceBytesRecursive[0] != (container.BlkioStatEntry{Major: 8, Op: "Read", Value: 4096}) {
		t.Fatalf("blkio: %+v", r.BlkioStats)
	}
}

func TestParseNetDev(t *testing.T) {
	data := `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0
  eth0:    2000      20    1    2    0     0          0         0     3000      30    3    4    0     0       0          0
`
	got := parseNetDev(data)
	if len(got) != 1 || got["eth0"].RxBytes != 2000 || got["eth0"].TxPackets != 30 || got["eth0"].TxDropped != 4 {
		t.Fatalf("got %+v", got)
	}
}

func TestStatsReadTheRuntimesCgroup(t *testing.T) {
	d := newTestDaemon(t)
	id := d.run(t, nil, nil)
	paths, _ := d.rt.CgroupPaths(id)
	dir := paths[""]
	os.MkdirAll(dir, 0o755)
	for name, data := range map[string]string{
		"memory.current": "1000", "memory.max": "max", "memory.stat": "anon 10\nfile 20\n",
		"pids.current": "3", "pids.max": "50",
		"cpu.stat": "usage_usec 5\nuser_usec 3\nsystem_usec 2\n",
	} {
		os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644)
	}
	var got container.StatsResponse
	err := d.Stats(context.Background(), id, StatsOptions{OneShot: true}, func(r container.StatsResponse) error {
		got = r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != id || got.MemoryStats.Usage != 1000 || got.MemoryStats.Stats["file"] != 20 ||
		got.PidsStats.Current != 3 || got.PidsStats.Limit != 50 || got.CPUStats.CPUUsage.TotalUsage != 5000 {
		t.Fatalf("stats %+v", got)
	}
	if got.MemoryStats.Limit == 0 {
		t.Error("no memory limit: want the host's memory")
	}
}

func TestUpdateAppliesLimitsToARunningContainer(t *testing.T) {
	d := newTestDaemon(t)
	ctx := context.Background()
	id := d.run(t, nil, nil)
	if _, err := d.Update(ctx, id, container.UpdateConfig{Resources: container.Resources{Memory: 64 << 20}}); err != nil {
		t.Fatal(err)
	}
	d.rt.mu.Lock()
	res := d.rt.containers[id].resources
	d.rt.mu.Unlock()
	if res == nil || res.Memory == nil || res.Memory.Limit == nil || *res.Memory.Limit != 64<<20 {
		t.Fatalf("runtime got %+v", res)
	}
	// A stopped container's limits are only recorded, for its next start.
	if err := d.Stop(ctx, id, StopOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Update(ctx, id, container.UpdateConfig{Resources: container.Resources{Memory: 32 << 20}}); err != nil {
		t.Fatal(err)
	}
	if in, err := d.Inspect(ctx, id, false); err != nil || in.HostConfig.Memory != 32<<20 {
		t.Fatalf("inspect after update: %v", err)
	}
}

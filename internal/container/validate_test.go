package container

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

// TestCreateRefusesBadInput: every field a client can get wrong is a 400
// with dockerd's words, and the refused create leaves nothing behind.
func TestCreateRefusesBadInput(t *testing.T) {
	ptr := func(n int64) *int64 { return &n }
	cases := []struct {
		name  string
		cfg   container.Config
		hc    container.HostConfig
		cname string
		want  string
	}{
		{name: "name with a space", cname: "a b", want: "Invalid container name (a b), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"},
		{name: "name of one character", cname: "a", want: "Invalid container name (a)"},
		{name: "name of 10000 characters", cname: strings.Repeat("a", 10000), want: "longer than 255 characters"},
		{name: "hostname too long", cfg: container.Config{Hostname: strings.Repeat("h", 65)}, want: "is too long (maximum 64 bytes)"},
		{name: "empty env name", cfg: container.Config{Env: []string{"=x"}}, want: "invalid environment variable: =x"},
		{name: "bad stop signal", cfg: container.Config{StopSignal: "SIGNOPE"}, want: "invalid signal: SIGNOPE"},
		{name: "stop signal out of range", cfg: container.Config{StopSignal: "999"}, want: "the linux daemon does not support signal 999"},
		{name: "healthcheck interval", cfg: container.Config{Healthcheck: &container.HealthConfig{Interval: time.Microsecond}}, want: "Interval in Healthcheck cannot be less than 1ms"},
		{name: "healthcheck retries", cfg: container.Config{Healthcheck: &container.HealthConfig{Retries: -1}}, want: "Retries in Healthcheck cannot be negative"},
		{name: "memory -1", hc: container.HostConfig{Resources: container.Resources{Memory: -1}}, want: "Minimum memory limit allowed is 6MB"},
		{name: "memory 1 MB", hc: container.HostConfig{Resources: container.Resources{Memory: 1 << 20}}, want: "Minimum memory limit allowed is 6MB"},
		{name: "memory reservation 1 MB", hc: container.HostConfig{Resources: container.Resources{MemoryReservation: 1 << 20}}, want: "Minimum memory reservation allowed is 6MB"},
		{name: "swap below memory", hc: container.HostConfig{Resources: container.Resources{Memory: 64 << 20, MemorySwap: 32 << 20}}, want: "Minimum memoryswap limit should be larger than memory limit"},
		{name: "swappiness 101", hc: container.HostConfig{Resources: container.Resources{MemorySwappiness: ptr(101)}}, want: "valid memory swappiness range is 0-100"},
		{name: "cpu shares -100", hc: container.HostConfig{Resources: container.Resources{CPUShares: -100}}, want: "invalid CPU shares (-100): value must be a positive integer"},
		{name: "cpu period 10", hc: container.HostConfig{Resources: container.Resources{CPUPeriod: 10}}, want: "CPU cfs period can not be less than 1ms"},
		{name: "cpu period 2s", hc: container.HostConfig{Resources: container.Resources{CPUPeriod: 2000000}}, want: "larger than 1s"},
		{name: "cpu quota 10", hc: container.HostConfig{Resources: container.Resources{CPUQuota: 10}}, want: "CPU cfs quota can not be less than 1ms"},
		{name: "nano cpus and quota", hc: container.HostConfig{Resources: container.Resources{NanoCPUs: 1e8, CPUQuota: 50000}}, want: "Nano CPUs and CPU Quota cannot both be set"},
		{name: "nano cpus -1", hc: container.HostConfig{Resources: container.Resources{NanoCPUs: -1}}, want: "Range of CPUs is from 0.01"},
		{name: "blkio weight 5", hc: container.HostConfig{Resources: container.Resources{BlkioWeight: 5}}, want: "Range of blkio weight is from 10 to 1000"},
		{name: "io maximum bandwidth", hc: container.HostConfig{Resources: container.Resources{IOMaximumBandwidth: 1}}, want: "does not support Maximum IO Bandwidth"},
		{name: "ulimit unknown", hc: container.HostConfig{Resources: container.Resources{Ulimits: []*container.Ulimit{{Name: "bogus", Soft: 1, Hard: 1}}}}, want: "invalid ulimit type: bogus"},
		{name: "ulimit soft above hard", hc: container.HostConfig{Resources: container.Resources{Ulimits: []*container.Ulimit{{Name: "nofile", Soft: 2, Hard: 1}}}}, want: "ulimit soft limit must be less than or equal to hard limit: 2 > 1"},
		{name: "oom score adj", hc: container.HostConfig{OomScoreAdj: 1001}, want: "range for oom score adj is [-1000, 1000]"},
		{name: "ipc mode", hc: container.HostConfig{IpcMode: "bogus"}, want: "invalid IPC mode: bogus"},
		{name: "pid mode", hc: container.HostConfig{PidMode: "bogus"}, want: "invalid PID mode: bogus"},
		{name: "uts mode", hc: container.HostConfig{UTSMode: "bogus"}, want: "invalid UTS mode: bogus"},
		{name: "cgroupns mode", hc: container.HostConfig{CgroupnsMode: "bogus"}, want: "invalid cgroup namespace mode: bogus"},
		{name: "shm size", hc: container.HostConfig{ShmSize: -1}, want: "SHM size can not be less than 0"},
		{name: "extra host without ip", hc: container.HostConfig{ExtraHosts: []string{"name"}}, want: `bad format for add-host: "name"`},
		{name: "extra host bad ip", hc: container.HostConfig{ExtraHosts: []string{"name:1.2.3.999"}}, want: `invalid IP address in add-host: "1.2.3.999"`},
		{name: "host port", hc: container.HostConfig{PortBindings: network.PortMap{network.MustParsePort("80/tcp"): {{HostPort: "99999"}}}}, want: `invalid port specification: "99999"`},
		{name: "container port 0", hc: container.HostConfig{PortBindings: network.PortMap{network.MustParsePort("0/tcp"): {{HostPort: "80"}}}}, want: `invalid port specification: "0/tcp"`},
		{name: "cap add unknown", hc: container.HostConfig{CapAdd: []string{"bogus"}}, want: `invalid CapAdd: unknown capability: "CAP_BOGUS"`},
		{name: "cap drop unknown", hc: container.HostConfig{CapDrop: []string{"bogus"}}, want: `invalid CapDrop: unknown capability: "CAP_BOGUS"`},
		{name: "empty annotation key", hc: container.HostConfig{Annotations: map[string]string{"": "x"}}, want: "the empty string is not permitted as an annotation key"},
		{name: "restart policy", hc: container.HostConfig{RestartPolicy: container.RestartPolicy{Name: "sometimes"}}, want: "invalid restart policy"},
	}
	d := newTestDaemon(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, hc := tc.cfg, tc.hc
			cfg.Image = "busybox"
			_, err := d.Create(context.Background(), CreateOptions{Name: tc.cname, Config: &cfg, HostConfig: &hc})
			if !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a 400 with %q", err, tc.want)
			}
		})
	}
	if list, err := d.List(context.Background(), ListOptions{All: true}); err != nil || len(list) != 0 {
		t.Fatalf("refused creates left %d containers (%v)", len(list), err)
	}
	if entries, _ := os.ReadDir(d.cfg.Root); len(entries) != 0 {
		t.Fatalf("refused creates left %d entries in %s", len(entries), d.cfg.Root)
	}
}

// TestCreateAcceptsDockerValues: the edges dockerd accepts stay accepted.
func TestCreateAcceptsDockerValues(t *testing.T) {
	ptr := func(n int64) *int64 { return &n }
	d := newTestDaemon(t)
	for i, hc := range []container.HostConfig{
		{Resources: container.Resources{Memory: 6 << 20}},
		{Resources: container.Resources{PidsLimit: ptr(-1)}},
		{Resources: container.Resources{CPUQuota: -1, CPUPeriod: 100000}},
		{Resources: container.Resources{Ulimits: []*container.Ulimit{{Name: "memlock", Soft: -1, Hard: -1}}}},
		{Resources: container.Resources{MemorySwappiness: ptr(-1)}},
		{ExtraHosts: []string{"a:::1", "b:host-gateway", "c:10.0.0.1"}, OomScoreAdj: -1000, CapAdd: []string{"net_admin", "ALL"}},
	} {
		cfg := &container.Config{Image: "busybox", StopSignal: "SIGRTMIN+3", Hostname: strings.Repeat("h", 64)}
		if _, err := d.Create(context.Background(), CreateOptions{Config: cfg, HostConfig: &hc}); err != nil {
			t.Errorf("case %d: %v", i, err)
		}
	}
	if _, err := d.Create(context.Background(), CreateOptions{Name: strings.Repeat("n", 255), Config: &container.Config{Image: "busybox"}}); err != nil {
		t.Errorf("name of 255 characters: %v", err)
	}
}

func TestKillAndStopRefuseUnknownSignals(t *testing.T) {
	d := newTestDaemon(t)
	ctx := context.Background()
	id := d.run(t, nil, &container.Config{Cmd: []string{"sleep", "60"}})
	for _, sig := range []string{"999", "0", "SIGNOPE", "-1"} {
		if err := d.Kill(ctx, id, sig); !errdefs.IsInvalidArgument(err) {
			t.Errorf("kill -s %s: %v, want a 400", sig, err)
		}
		if err := d.Stop(ctx, id, StopOptions{Signal: sig}); !errdefs.IsInvalidArgument(err) {
			t.Errorf("stop -s %s: %v, want a 400", sig, err)
		}
	}
	if err := d.Kill(ctx, "no-such-container", "999"); !strings.Contains(err.Error(), "does not support signal 999") {
		t.Errorf("kill checks the signal before the container, as dockerd: %v", err)
	}
	if st := d.state(t, id); !st.Running {
		t.Fatalf("refused signals changed the container: %+v", st)
	}
}

func TestUpdateRefusesBadInput(t *testing.T) {
	d := newTestDaemon(t)
	id := d.create(t, nil, nil)
	for _, u := range []container.Resources{
		{Memory: -1}, {CPUShares: -5}, {CPUPeriod: 1}, {BlkioWeight: 1},
	} {
		if _, err := d.Update(context.Background(), id, container.UpdateConfig{Resources: u}); !errdefs.IsInvalidArgument(err) {
			t.Errorf("update %+v: %v, want a 400", u, err)
		}
	}
}

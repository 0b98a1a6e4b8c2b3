package container

import (
	"encoding/json"
	"path"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
)

// The parsers of what a client sends: never a panic, and a refusal is
// always a 400 (never a 500 for bad input). CI runs the seeds and the
// kept corpus (testdata/fuzz) as normal tests.

func FuzzParseBind(f *testing.F) {
	for _, s := range []string{"/host:/ctr", "/host:/ctr:ro,rshared", "vol:/data:nocopy", "vol:/data:z", "a:b:c:d", ":/x", "/h:/", "vol:/../x", "/h:rw", "c:\\x:/y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		mp, err := parseBind(raw)
		if err != nil {
			if !errdefs.IsInvalidArgument(err) {
				t.Fatalf("%q: %v is not a 400", raw, err)
			}
			return
		}
		if !path.IsAbs(mp.Destination) || mp.Destination == "/" || path.Clean(mp.Destination) != mp.Destination {
			t.Fatalf("%q: destination %q", raw, mp.Destination)
		}
		if mp.Source != "" && !path.IsAbs(mp.Source) {
			t.Fatalf("%q: bind source %q", raw, mp.Source)
		}
	})
}

func FuzzParseSecurityOpts(f *testing.F) {
	for _, s := range []string{"no-new-privileges", "no-new-privileges:true", "no-new-privileges=false", "seccomp=unconfined",
		"seccomp=" + denyMkdirProfile, "seccomp={\"defaultAction\":\"SCMP_ACT_ERRNO\",\"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_64\"}]}",
		"apparmor=x", "label=disable", "label:user:u", "writable-cgroups", "bogus", "=", ":"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, opt string) {
		if err := validateSecurityOpts([]string{opt}); err != nil && !errdefs.IsInvalidArgument(err) {
			t.Fatalf("%q: %v is not a 400", opt, err)
		}
	})
}

// FuzzValidateCreate decodes a create body as the API does and runs
// every check create makes before it looks anything up.
func FuzzValidateCreate(f *testing.F) {
	for _, s := range []string{
		`{"Image":"busybox","Env":["A=1"],"HostConfig":{"Memory":-1}}`,
		`{"Hostname":"h","StopSignal":"SIGRTMIN+3","Healthcheck":{"Interval":1,"Retries":-1}}`,
		`{"HostConfig":{"CpuShares":-100,"CpuPeriod":10,"NanoCpus":5,"CpuQuota":1,"Ulimits":[{"Name":"nofile","Soft":2,"Hard":1}]}}`,
		`{"HostConfig":{"PortBindings":{"80/tcp":[{"HostPort":"1-70000"}]},"ExtraHosts":["a:::1"],"OomScoreAdj":2000}}`,
		`{"HostConfig":{"IpcMode":"container:","PidMode":"host","CgroupnsMode":"x","SecurityOpt":["seccomp:{}"],"Annotations":{"":""}}}`,
		`{"HostConfig":{"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":-1},"AutoRemove":true,"LogConfig":{"Type":"none"}}}`,
	} {
		f.Add([]byte(s), "name")
	}
	f.Fuzz(func(t *testing.T, body []byte, name string) {
		var req struct {
			container.Config
			HostConfig *container.HostConfig
		}
		if json.Unmarshal(body, &req) != nil {
			return
		}
		hc := req.HostConfig
		if hc == nil {
			hc = &container.HostConfig{}
		}
		for _, check := range []func() error{
			func() error { return validateConfig(&req.Config) },
			func() error { return validateHostConfig(hc) },
			func() error { return validateHostSettings(hc) },
			func() error { return validateSecurityOpts(hc.SecurityOpt) },
			func() error { return validateResources(&hc.Resources) },
			func() error { return validateRestartPolicy(hc) },
			func() error { return validateName(name) },
		} {
			if err := check(); err != nil && !errdefs.IsInvalidArgument(err) && !errdefs.IsNotFound(err) {
				t.Fatalf("%s: %v is neither a 400 nor a 404", body, err)
			}
		}
	})
}

func FuzzParseSignal(f *testing.F) {
	for _, s := range []string{"9", "SIGKILL", "kill", "RTMIN+3", "SIGRTMAX-1", "999", "0", "-1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sig, err := parseSignal(s)
		if err != nil {
			if !errdefs.IsInvalidArgument(err) {
				t.Fatalf("%q: %v is not a 400", s, err)
			}
			return
		}
		if sig <= 0 || sig > 64 {
			t.Fatalf("%q: signal %d accepted", s, sig)
		}
	})
}

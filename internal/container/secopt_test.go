package container

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// denyMkdirProfile allows everything but mkdir and mkdirat, which fail
// with EPERM: small enough to read, and a syscall busybox's mkdir makes.
const denyMkdirProfile = `{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_AARCH64"],` +
	`"syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}`

func TestParseSecurityOpts(t *testing.T) {
	yes, no := true, false
	cases := []struct {
		opts []string
		want securityOptions
		err  string
	}{
		{opts: nil, want: securityOptions{}},
		{opts: []string{"no-new-privileges"}, want: securityOptions{NoNewPrivileges: true}},
		{opts: []string{"no-new-privileges:true"}, want: securityOptions{NoNewPrivileges: true}},
		{opts: []string{"no-new-privileges=true"}, want: securityOptions{NoNewPrivileges: true}},
		{opts: []string{"no-new-privileges=1"}, want: securityOptions{NoNewPrivileges: true}},
		{opts: []string{"no-new-privileges", "no-new-privileges=false"}, want: securityOptions{}},
		{opts: []string{"seccomp=unconfined"}, want: securityOptions{Seccomp: "unconfined"}},
		{opts: []string{"seccomp:unconfined"}, want: securityOptions{Seccomp: "unconfined"}},
		{opts: []string{"seccomp=" + denyMkdirProfile}, want: securityOptions{Seccomp: denyMkdirProfile}},
		{opts: []string{"apparmor=docker-default"}, want: securityOptions{AppArmor: "docker-default"}},
		{opts: []string{"apparmor:unconfined"}, want: securityOptions{AppArmor: "unconfined"}},
		{opts: []string{"label=disable", "label:type:svirt_t", "disable"}, want: securityOptions{}},
		{opts: []string{"writable-cgroups"}, want: securityOptions{WritableCgroups: &yes}},
		{opts: []string{"writable-cgroups=false"}, want: securityOptions{WritableCgroups: &no}},
		{opts: []string{"no-new-privileges=maybe"}, err: `invalid --security-opt 2: "no-new-privileges=maybe"`},
		{opts: []string{"bogus"}, err: `invalid --security-opt 1: "bogus"`},
		{opts: []string{"bogus=1"}, err: `invalid --security-opt 2: "bogus=1"`},
		{opts: []string{"seccomp"}, err: `invalid --security-opt 1: "seccomp"`},
	}
	for _, tc := range cases {
		got, err := parseSecurityOpts(tc.opts)
		if tc.err != "" {
			if !errdefs.IsInvalidArgument(err) || err.Error() != tc.err {
				t.Errorf("%q: %v, want a 400 %q", tc.opts, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.opts, err)
			continue
		}
		sameBool := (got.WritableCgroups == nil) == (tc.want.WritableCgroups == nil) &&
			(got.WritableCgroups == nil || *got.WritableCgroups == *tc.want.WritableCgroups)
		if got.NoNewPrivileges != tc.want.NoNewPrivileges || got.Seccomp != tc.want.Seccomp || got.AppArmor != tc.want.AppArmor || !sameBool {
			t.Errorf("%q: %+v, want %+v", tc.opts, got, tc.want)
		}
	}
}

func TestSpecSecurityOpts(t *testing.T) {
	root := fakeRootfs(t)
	spec := func(hc container.HostConfig) *specs.Spec {
		t.Helper()
		s, err := buildSpec(testContainer(container.Config{Cmd: []string{"sh"}}, hc), specInput{Rootfs: root})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	denied := func(s *specs.Spec, name string) bool {
		for _, sc := range s.Linux.Seccomp.Syscalls {
			if slices.Contains(sc.Names, name) && sc.Action == specs.ActErrno {
				return true
			}
		}
		return false
	}
	cgroupMode := func(s *specs.Spec) string {
		for _, m := range s.Mounts {
			if m.Type == "cgroup" {
				if slices.Contains(m.Options, "rw") {
					return "rw"
				}
				return "ro"
			}
		}
		return "none"
	}

	if s := spec(container.HostConfig{}); s.Process.NoNewPrivileges || s.Linux.Seccomp == nil || s.Linux.Seccomp.DefaultAction != specs.ActErrno {
		t.Fatalf("defaults: nnp %v seccomp %+v", s.Process.NoNewPrivileges, s.Linux.Seccomp)
	}
	for _, opt := range []string{"no-new-privileges", "no-new-privileges:true", "no-new-privileges=true"} {
		if s := spec(container.HostConfig{SecurityOpt: []string{opt}}); !s.Process.NoNewPrivileges {
			t.Errorf("%s: no NoNewPrivileges in the spec", opt)
		}
	}
	if s := spec(container.HostConfig{SecurityOpt: []string{"seccomp=unconfined"}}); s.Linux.Seccomp != nil {
		t.Error("seccomp=unconfined still has a filter")
	}
	s := spec(container.HostConfig{SecurityOpt: []string{"seccomp=" + denyMkdirProfile}})
	if s.Linux.Seccomp == nil || s.Linux.Seccomp.DefaultAction != specs.ActAllow || !denied(s, "mkdir") {
		t.Errorf("custom profile not in the spec: %+v", s.Linux.Seccomp)
	}
	if s := spec(container.HostConfig{Privileged: true}); s.Linux.Seccomp != nil {
		t.Error("a privileged container runs without seccomp unless it names a profile, as with dockerd")
	}
	if s := spec(container.HostConfig{Privileged: true, SecurityOpt: []string{"seccomp=" + denyMkdirProfile}}); s.Linux.Seccomp == nil || !denied(s, "mkdirat") {
		t.Error("a privileged container's own profile is dropped")
	}
	if got := cgroupMode(spec(container.HostConfig{SecurityOpt: []string{"writable-cgroups=true"}})); got != "rw" {
		t.Errorf("writable-cgroups: cgroup mount %s", got)
	}
	if got := cgroupMode(spec(container.HostConfig{})); got != "ro" {
		t.Errorf("default cgroup mount %s", got)
	}
	if !appArmorEnabled() {
		if s := spec(container.HostConfig{SecurityOpt: []string{"apparmor=docker-default"}}); s.Process.ApparmorProfile != "" {
			t.Error("an AppArmor profile set on a host without AppArmor")
		}
	}
}

func TestCreateRefusesBadSecurityOpts(t *testing.T) {
	d := newTestDaemon(t)
	for opt, want := range map[string]string{
		"bogus":            `invalid --security-opt 1: "bogus"`,
		"seccomp=not json": "Decoding seccomp profile failed",
		"seccomp={\"syscalls\":[{\"name\":\"a\",\"names\":[\"b\"],\"action\":\"SCMP_ACT_ERRNO\"}]}": "both 'name' and 'names'",
		"no-new-privileges=perhaps": `invalid --security-opt 2: "no-new-privileges=perhaps"`,
	} {
		_, err := d.Create(context.Background(), CreateOptions{
			Config:     &container.Config{Image: "busybox"},
			HostConfig: &container.HostConfig{SecurityOpt: []string{opt}},
		})
		if !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want a 400 with %q", opt, err, want)
		}
	}
}

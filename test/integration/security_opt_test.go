//go:build integration

package integration

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// denyMkdirProfile allows every syscall but mkdir and mkdirat, which fail
// with EPERM.
const denyMkdirProfile = `{
  "defaultAction": "SCMP_ACT_ALLOW",
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64"],
  "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]
}`

// statusProbe prints the NoNewPrivs and Seccomp fields of the process's
// own status, then whether it may make a directory.
const statusProbe = `grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status | tr -s '\t ' ' '; mkdir /probe 2>&1 && echo mkdir ok`

// TestSecurityOpts proves each --security-opt from inside the container,
// with both CLIs (the docker CLI reads seccomp=FILE and sends its content).
func TestSecurityOpts(t *testing.T) {
	profile := writeFile(t, "deny-mkdir.json", denyMkdirProfile)
	cases := []struct {
		opts []string
		want string // NoNewPrivs, Seccomp mode, whether mkdir works
	}{
		{nil, "NoNewPrivs: 0\nSeccomp: 2\nmkdir ok"},
		{[]string{"no-new-privileges"}, "NoNewPrivs: 1\nSeccomp: 2\nmkdir ok"},
		{[]string{"no-new-privileges:true"}, "NoNewPrivs: 1\nSeccomp: 2\nmkdir ok"},
		{[]string{"no-new-privileges=true"}, "NoNewPrivs: 1\nSeccomp: 2\nmkdir ok"},
		{[]string{"no-new-privileges=false"}, "NoNewPrivs: 0\nSeccomp: 2\nmkdir ok"},
		{[]string{"seccomp=unconfined"}, "NoNewPrivs: 0\nSeccomp: 0\nmkdir ok"},
		{[]string{"seccomp=" + profile}, "NoNewPrivs: 0\nSeccomp: 2\nmkdir: can't create directory '/probe': Operation not permitted"},
		{[]string{"seccomp=" + profile, "no-new-privileges=true"}, "NoNewPrivs: 1\nSeccomp: 2\nmkdir: can't create directory '/probe': Operation not permitted"},
		// The host has no AppArmor and no SELinux: accepted, not applied, as dockerd.
		{[]string{"apparmor=unconfined", "label=disable"}, "NoNewPrivs: 0\nSeccomp: 2\nmkdir ok"},
	}
	for _, c := range clis {
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%s %s", c, strings.Join(tc.opts, " ")), func(t *testing.T) {
				args := []string{"run", "--rm"}
				for _, o := range tc.opts {
					args = append(args, "--security-opt", o)
				}
				args = append(args, "busybox", "sh", "-c", statusProbe)
				got := strings.TrimSpace(testEnv.run(c, args...).stdout)
				if got != tc.want {
					t.Errorf("inside the container:\n%s\nwant:\n%s", got, tc.want)
				}
			})
		}
		t.Run(c+" exec inherits", func(t *testing.T) {
			name := uniqueName(t, c)
			runDetached(t, c, name, "--security-opt", "no-new-privileges=true", "--security-opt", "seccomp="+profile, "busybox", "sleep", "60")
			got := strings.TrimSpace(testEnv.run(c, "exec", name, "sh", "-c", statusProbe).stdout)
			if want := "NoNewPrivs: 1\nSeccomp: 2\nmkdir: can't create directory '/probe': Operation not permitted"; got != want {
				t.Errorf("in an exec:\n%s\nwant:\n%s", got, want)
			}
		})
		// Options the CLI passes on unchecked: the daemon refuses them.
		for opt, want := range map[string]string{
			"bogus=1":                   `invalid --security-opt 2: "bogus=1"`,
			"no-new-privileges=perhaps": `invalid --security-opt 2: "no-new-privileges=perhaps"`,
		} {
			r := testEnv.run(c, "create", "--security-opt", opt, "busybox")
			if r.code == 0 || !strings.Contains(r.stderr, want) {
				t.Errorf("%s create --security-opt %s: exit %d, %s; want %s", c, opt, r.code, r.stderr, want)
			}
		}
	}
	// What only an API client can send.
	for opt, want := range map[string]string{
		"bogus":         `invalid --security-opt 1: "bogus"`,
		"seccomp={not":  "Decoding seccomp profile failed: invalid character 'n' looking for beginning of object key string",
		"apparmor":      `invalid --security-opt 1: "apparmor"`,
		"seccomp=[1,2]": "Decoding seccomp profile failed: json: cannot unmarshal array into Go value of type seccomp.Seccomp",
	} {
		body, _ := json.Marshal(map[string]any{"Image": "busybox", "HostConfig": map[string]any{"SecurityOpt": []string{opt}}})
		resp, got := apiCall(t, "POST", "/containers/create", string(body))
		wantError(t, resp, got, 400, want)
	}
}

// TestSecurityOptsCompose: compose's spelling, no-new-privileges=true and
// :true, reaches the container.
func TestSecurityOptsCompose(t *testing.T) {
	p := newProject(t, "wharf", "secopt", map[string]string{"compose.yaml": `
services:
  eq:
    image: busybox
    command: sleep 60
    security_opt: ["no-new-privileges=true"]
  colon:
    image: busybox
    command: sleep 60
    security_opt: ["no-new-privileges:true", "seccomp:unconfined"]
`})
	p.must("up", "-d")
	for svc, want := range map[string]string{"eq": "NoNewPrivs: 1\nSeccomp: 2", "colon": "NoNewPrivs: 1\nSeccomp: 0"} {
		got := strings.TrimSpace(p.must("exec", "-T", svc, "sh", "-c", `grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status | tr -s '\t ' ' '`))
		if got != want {
			t.Errorf("%s: %s, want %s", svc, got, want)
		}
	}
}

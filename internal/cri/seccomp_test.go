package cri

import (
	"os"
	"path/filepath"
	"testing"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestSeccompOpt(t *testing.T) {
	profile := filepath.Join(t.TempDir(), "deny-chmod.json")
	const body = `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["chmod"],"action":"SCMP_ACT_ERRNO"}]}`
	if err := os.WriteFile(profile, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	local := &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_Localhost, LocalhostRef: profile}
	for _, tc := range []struct {
		name       string
		p          *runtimeapi.SecurityProfile
		privileged bool
		want       string
		bad        bool
	}{
		{name: "none is unconfined", want: "seccomp=unconfined"},
		{name: "unconfined", p: &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_Unconfined}, want: "seccomp=unconfined"},
		{name: "runtime default", p: &runtimeapi.SecurityProfile{}, want: "seccomp=builtin"},
		{name: "localhost file", p: local, want: "seccomp=" + body},
		{name: "privileged ignores the profile", p: local, privileged: true, want: "seccomp=unconfined"},
		{name: "relative path", p: &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_Localhost, LocalhostRef: "deny.json"}, bad: true},
		{name: "missing file", p: &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_Localhost, LocalhostRef: profile + ".gone"}, bad: true},
	} {
		got, err := seccompOpt(tc.p, tc.privileged)
		if tc.bad {
			if err == nil {
				t.Errorf("%s: no error, got %q", tc.name, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}

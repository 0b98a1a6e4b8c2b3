package container

import (
	"testing"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
)

// Create refuses the restart policies dockerd refuses, in its words.
func TestCreateRestartPolicyValidation(t *testing.T) {
	for _, tc := range []struct {
		policy container.RestartPolicy
		want   string
	}{
		{container.RestartPolicy{Name: "on-failure", MaximumRetryCount: -1}, "invalid restart policy: maximum retry count cannot be negative"},
		{container.RestartPolicy{Name: "always", MaximumRetryCount: 3}, "invalid restart policy: maximum retry count can only be used with 'on-failure'"},
		{container.RestartPolicy{Name: "unless-stopped", MaximumRetryCount: -2}, "invalid restart policy: maximum retry count can only be used with 'on-failure' and cannot be negative"},
		{container.RestartPolicy{Name: "sometimes"}, "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'"},
		{container.RestartPolicy{Name: "on-failure", MaximumRetryCount: 2}, ""},
		{container.RestartPolicy{}, ""},
	} {
		hc := &container.HostConfig{RestartPolicy: tc.policy}
		err := validateHostConfig(hc)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%+v: %v", tc.policy, err)
		case tc.want != "" && (err == nil || err.Error() != tc.want || !errdefs.IsInvalidArgument(err)):
			t.Errorf("%+v: %v, want invalid argument %q", tc.policy, err, tc.want)
		}
	}
}

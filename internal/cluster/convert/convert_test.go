package convert

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	types "github.com/moby/moby/api/types/swarm"
	swarmapi "github.com/moby/swarmkit/v2/api"
)

func ptr[T any](v T) *T { return &v }

// TestServiceSpecRoundTrip sends specs as the docker CLI builds them
// through swarmkit's form and back: what the user set must read back
// unchanged from `service inspect`.
func TestServiceSpecRoundTrip(t *testing.T) {
	grace := 3 * time.Second
	delay := 2 * time.Second
	cases := map[string]types.ServiceSpec{
		"replicated": {
			Annotations: types.Annotations{Name: "web", Labels: map[string]string{"a": "b"}},
			TaskTemplate: types.TaskSpec{
				ContainerSpec: &types.ContainerSpec{
					Image: "busybox:latest", Command: []string{"sh"}, Args: []string{"-c", "sleep 1"},
					Env: []string{"A=1"}, Labels: map[string]string{"c": "d"}, Dir: "/tmp", User: "1000",
					Hostname: "h", StopSignal: "SIGINT", StopGracePeriod: &grace, Init: ptr(true),
					Mounts: []mount.Mount{
						{Type: mount.TypeVolume, Source: "data", Target: "/data", ReadOnly: true},
						{Type: mount.TypeTmpfs, Target: "/tmp", TmpfsOptions: &mount.TmpfsOptions{SizeBytes: 1 << 20, Mode: 0o700}},
						{Type: mount.TypeBind, Source: "/etc", Target: "/host-etc", BindOptions: &mount.BindOptions{Propagation: mount.PropagationRPrivate}},
					},
					Healthcheck: &container.HealthConfig{Test: []string{"CMD", "true"}, Interval: time.Second, Retries: 3},
					Secrets:     []*types.SecretReference{{SecretID: "s1", SecretName: "pw", File: &types.SecretReferenceFileTarget{Name: "pw", UID: "0", GID: "0", Mode: 0o444}}},
					Configs:     []*types.ConfigReference{{ConfigID: "c1", ConfigName: "cfg", File: &types.ConfigReferenceFileTarget{Name: "/cfg", UID: "0", GID: "0", Mode: 0o444}}},
				},
				Resources: &types.ResourceRequirements{
					Limits:       &types.Limit{NanoCPUs: 5e8, MemoryBytes: 64 << 20, Pids: 100},
					Reservations: &types.Resources{MemoryBytes: 32 << 20},
				},
				RestartPolicy: &types.RestartPolicy{Condition: types.RestartPolicyConditionOnFailure, Delay: &delay, MaxAttempts: ptr(uint64(3))},
				Placement: &types.Placement{
					Constraints: []string{"node.role==manager"},
					Preferences: []types.PlacementPreference{{Spread: &types.SpreadOver{SpreadDescriptor: "node.labels.zone"}}},
					MaxReplicas: 2,
				},
				Networks: []types.NetworkAttachmentConfig{},
			},
			Mode:           types.ServiceMode{Replicated: &types.ReplicatedService{Replicas: ptr(uint64(3))}},
			UpdateConfig:   &types.UpdateConfig{Parallelism: 2, Delay: time.Second, FailureAction: types.UpdateFailureActionRollback, Monitor: 5 * time.Second, Order: types.UpdateOrderStartFirst},
			RollbackConfig: &types.UpdateConfig{Parallelism: 1, FailureAction: types.UpdateFailureActionPause, Order: types.UpdateOrderStopFirst},
			EndpointSpec: &types.EndpointSpec{Mode: types.ResolutionModeVIP, Ports: []types.PortConfig{
				{Protocol: "tcp", TargetPort: 80, PublishedPort: 8080, PublishMode: types.PortConfigPublishModeHost},
			}},
		},
		"global": {
			Annotations:  types.Annotations{Name: "agent", Labels: map[string]string{}},
			TaskTemplate: types.TaskSpec{ContainerSpec: &types.ContainerSpec{Image: "busybox"}, Networks: []types.NetworkAttachmentConfig{}},
			Mode:         types.ServiceMode{Global: &types.GlobalService{}},
		},
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			g, err := ServiceSpecToGRPC(in)
			if err != nil {
				t.Fatal(err)
			}
			svc, err := ServiceFromGRPC(swarmapi.Service{ID: "x", Spec: g})
			if err != nil {
				t.Fatal(err)
			}
			in.TaskTemplate.Runtime = types.RuntimeContainer
			if in.TaskTemplate.ContainerSpec.Isolation == "" {
				in.TaskTemplate.ContainerSpec.Isolation = container.IsolationDefault
			}
			if in.TaskTemplate.ContainerSpec.Secrets == nil {
				in.TaskTemplate.ContainerSpec.Secrets = []*types.SecretReference{}
			}
			if in.TaskTemplate.ContainerSpec.Configs == nil {
				in.TaskTemplate.ContainerSpec.Configs = []*types.ConfigReference{}
			}
			if !reflect.DeepEqual(svc.Spec, in) {
				t.Errorf("round trip:\n got %+v\nwant %+v", svc.Spec, in)
			}
		})
	}
}

func TestServiceSpecErrors(t *testing.T) {
	cs := &types.ContainerSpec{Image: "busybox"}
	cases := map[string]struct {
		spec types.ServiceSpec
		want string
	}{
		"no container":   {types.ServiceSpec{}, "mismatched Runtime"},
		"plugin":         {types.ServiceSpec{TaskTemplate: types.TaskSpec{Runtime: types.RuntimePlugin}}, "unsupported runtime"},
		"two modes":      {types.ServiceSpec{TaskTemplate: types.TaskSpec{ContainerSpec: cs}, Mode: types.ServiceMode{Global: &types.GlobalService{}, Replicated: &types.ReplicatedService{}}}, "only one service mode"},
		"restart":        {types.ServiceSpec{TaskTemplate: types.TaskSpec{ContainerSpec: cs, RestartPolicy: &types.RestartPolicy{Condition: "sometimes"}}}, "invalid RestartCondition"},
		"update order":   {types.ServiceSpec{TaskTemplate: types.TaskSpec{ContainerSpec: cs}, UpdateConfig: &types.UpdateConfig{Order: "sideways"}}, "unrecognized update order"},
		"failure action": {types.ServiceSpec{TaskTemplate: types.TaskSpec{ContainerSpec: cs}, UpdateConfig: &types.UpdateConfig{FailureAction: "panic"}}, "unrecognized update failure action"},
		"endpoint mode":  {types.ServiceSpec{TaskTemplate: types.TaskSpec{ContainerSpec: cs}, EndpointSpec: &types.EndpointSpec{Mode: "lb"}}, "invalid resolution mode"},
		"mount type":     {types.ServiceSpec{TaskTemplate: types.TaskSpec{ContainerSpec: &types.ContainerSpec{Image: "b", Mounts: []mount.Mount{{Type: "nfs"}}}}}, "invalid MountType"},
		"swap":           {types.ServiceSpec{TaskTemplate: types.TaskSpec{ContainerSpec: cs, Resources: &types.ResourceRequirements{SwapBytes: ptr(int64(1))}}}, "no memory-limit"},
		"config target":  {types.ServiceSpec{TaskTemplate: types.TaskSpec{ContainerSpec: &types.ContainerSpec{Image: "b", Configs: []*types.ConfigReference{{ConfigID: "c"}}}}}, "either File or Runtime"},
		"credential":     {types.ServiceSpec{TaskTemplate: types.TaskSpec{ContainerSpec: &types.ContainerSpec{Image: "b", Privileges: &types.Privileges{CredentialSpec: &types.CredentialSpec{File: "x"}}}}}, "Windows-only"},
	}
	for name, c := range cases {
		if _, err := ServiceSpecToGRPC(c.spec); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
	// A spec without a mode is replicated with one replica, as in docker.
	g, err := ServiceSpecToGRPC(types.ServiceSpec{TaskTemplate: types.TaskSpec{ContainerSpec: cs}})
	if err != nil || g.GetReplicated() == nil || g.GetReplicated().Replicas != 1 {
		t.Errorf("default mode: %v %v", g.Mode, err)
	}
}

func TestNodeSpec(t *testing.T) {
	cases := []struct {
		in   types.NodeSpec
		want swarmapi.NodeSpec
		err  string
	}{
		{in: types.NodeSpec{Role: types.NodeRoleWorker, Availability: types.NodeAvailabilityDrain},
			want: swarmapi.NodeSpec{DesiredRole: swarmapi.NodeRoleWorker, Availability: swarmapi.NodeAvailabilityDrain}},
		{in: types.NodeSpec{Annotations: types.Annotations{Labels: map[string]string{"zone": "a"}}, Role: types.NodeRoleManager, Availability: types.NodeAvailabilityPause},
			want: swarmapi.NodeSpec{Annotations: swarmapi.Annotations{Labels: map[string]string{"zone": "a"}}, DesiredRole: swarmapi.NodeRoleManager, Availability: swarmapi.NodeAvailabilityPause}},
		{in: types.NodeSpec{Role: "boss", Availability: types.NodeAvailabilityActive}, err: `invalid Role: "boss"`},
		{in: types.NodeSpec{Role: types.NodeRoleWorker, Availability: "asleep"}, err: `invalid Availability: "asleep"`},
	}
	for _, c := range cases {
		got, err := NodeSpecToGRPC(c.in)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%+v: %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%+v: %+v %v", c.in, got, err)
		}
		back := NodeFromGRPC(swarmapi.Node{Spec: got})
		if back.Spec.Role != c.in.Role || back.Spec.Availability != c.in.Availability {
			t.Errorf("back: %+v", back.Spec)
		}
	}
}

func TestSwarmSpecMerge(t *testing.T) {
	defaults := swarmapi.ClusterSpec{
		Annotations:   swarmapi.Annotations{Name: "default"},
		Orchestration: swarmapi.OrchestrationConfig{TaskHistoryRetentionLimit: 5},
		Raft:          swarmapi.RaftConfig{SnapshotInterval: 10000, ElectionTick: 10, HeartbeatTick: 1},
	}
	merged, err := MergeSwarmSpecToGRPC(types.Spec{
		Orchestration:    types.OrchestrationConfig{TaskHistoryRetentionLimit: ptr(int64(2))},
		Dispatcher:       types.DispatcherConfig{HeartbeatPeriod: 2 * time.Second},
		EncryptionConfig: types.EncryptionConfig{AutoLockManagers: true},
	}, defaults)
	if err != nil {
		t.Fatal(err)
	}
	if merged.Orchestration.TaskHistoryRetentionLimit != 2 || merged.Raft.SnapshotInterval != 10000 || merged.Annotations.Name != "default" || !merged.EncryptionConfig.AutoLockManagers {
		t.Errorf("merged %+v", merged)
	}
	back := SwarmFromGRPC(swarmapi.Cluster{Spec: merged})
	if back.Spec.Dispatcher.HeartbeatPeriod != 2*time.Second || *back.Spec.Orchestration.TaskHistoryRetentionLimit != 2 {
		t.Errorf("back %+v", back.Spec)
	}
	if _, err := SwarmSpecToGRPC(types.Spec{CAConfig: types.CAConfig{ExternalCAs: []*types.ExternalCA{{Protocol: "acme"}}}}); err == nil {
		t.Error("unknown external CA protocol accepted")
	}
}

func TestSecretAndConfig(t *testing.T) {
	s := SecretFromGRPC(&swarmapi.Secret{ID: "s", Spec: SecretSpecToGRPC(types.SecretSpec{Annotations: types.Annotations{Name: "pw"}, Data: []byte("x")})})
	if s.ID != "s" || s.Spec.Name != "pw" || string(s.Spec.Data) != "x" || s.Spec.Labels == nil {
		t.Errorf("secret %+v", s)
	}
	c := ConfigFromGRPC(&swarmapi.Config{ID: "c", Spec: ConfigSpecToGRPC(types.ConfigSpec{Annotations: types.Annotations{Name: "cfg", Labels: map[string]string{"a": "b"}}, Data: []byte("y")})})
	if c.ID != "c" || c.Spec.Name != "cfg" || c.Spec.Labels["a"] != "b" || string(c.Spec.Data) != "y" {
		t.Errorf("config %+v", c)
	}
}

package convert

import (
	"fmt"
	"net/netip"
	"strings"

	gogotypes "github.com/gogo/protobuf/types"
	types "github.com/moby/moby/api/types/swarm"
	swarmapi "github.com/moby/swarmkit/v2/api"
	"github.com/moby/swarmkit/v2/ca"
)

// SwarmFromGRPC is GET /swarm's answer for swarmkit's cluster object.
func SwarmFromGRPC(c swarmapi.Cluster) types.Swarm {
	s := types.Swarm{
		ClusterInfo: types.ClusterInfo{
			ID: c.ID,
			Spec: types.Spec{
				Orchestration: types.OrchestrationConfig{
					TaskHistoryRetentionLimit: &c.Spec.Orchestration.TaskHistoryRetentionLimit,
				},
				Raft: types.RaftConfig{
					SnapshotInterval:           c.Spec.Raft.SnapshotInterval,
					KeepOldSnapshots:           &c.Spec.Raft.KeepOldSnapshots,
					LogEntriesForSlowFollowers: c.Spec.Raft.LogEntriesForSlowFollowers,
					HeartbeatTick:              int(c.Spec.Raft.HeartbeatTick),
					ElectionTick:               int(c.Spec.Raft.ElectionTick),
				},
				EncryptionConfig: types.EncryptionConfig{AutoLockManagers: c.Spec.EncryptionConfig.AutoLockManagers},
				CAConfig:         types.CAConfig{ForceRotate: c.Spec.CAConfig.ForceRotate},
			},
			TLSInfo:                types.TLSInfo{TrustRoot: string(c.RootCA.CACert)},
			RootRotationInProgress: c.RootCA.RootRotation != nil,
			SubnetSize:             c.SubnetSize,
			DataPathPort:           c.VXLANUDPPort,
		},
		JoinTokens: types.JoinTokens{Worker: c.RootCA.JoinTokens.Worker, Manager: c.RootCA.JoinTokens.Manager},
	}
	for _, p := range c.DefaultAddressPool {
		if pfx, err := netip.ParsePrefix(p); err == nil {
			s.DefaultAddrPool = append(s.DefaultAddrPool, pfx)
		}
	}
	if issuer, err := ca.IssuerFromAPIRootCA(&c.RootCA); err == nil && issuer != nil {
		s.TLSInfo.CertIssuerSubject = issuer.Subject
		s.TLSInfo.CertIssuerPublicKey = issuer.PublicKey
	}
	s.Spec.Dispatcher.HeartbeatPeriod, _ = gogotypes.DurationFromProto(c.Spec.Dispatcher.HeartbeatPeriod)
	s.Spec.CAConfig.NodeCertExpiry, _ = gogotypes.DurationFromProto(c.Spec.CAConfig.NodeCertExpiry)
	for _, e := range c.Spec.CAConfig.ExternalCAs {
		s.Spec.CAConfig.ExternalCAs = append(s.Spec.CAConfig.ExternalCAs, &types.ExternalCA{
			Protocol: types.ExternalCAProtocol(strings.ToLower(e.Protocol.String())),
			URL:      e.URL, Options: e.Options, CACert: string(e.CACert),
		})
	}
	s.Version.Index = c.Meta.Version.Index
	s.CreatedAt, _ = gogotypes.TimestampFromProto(c.Meta.CreatedAt)
	s.UpdatedAt, _ = gogotypes.TimestampFromProto(c.Meta.UpdatedAt)
	s.Spec.Annotations = annotationsFromGRPC(c.Spec.Annotations)
	return s
}

// SwarmSpecToGRPC is the cluster spec of POST /swarm/update, which carries
// the whole spec: a zero field means swarmkit's default.
func SwarmSpecToGRPC(s types.Spec) (swarmapi.ClusterSpec, error) {
	return MergeSwarmSpecToGRPC(s, swarmapi.ClusterSpec{})
}

// MergeSwarmSpecToGRPC lays the set fields of s over spec: swarm init
// keeps swarmkit's defaults for what the request leaves zero.
func MergeSwarmSpecToGRPC(s types.Spec, spec swarmapi.ClusterSpec) (swarmapi.ClusterSpec, error) {
	if s.Annotations.Name != "" {
		spec.Annotations.Name = s.Annotations.Name
	}
	if len(s.Annotations.Labels) != 0 {
		spec.Annotations.Labels = s.Annotations.Labels
	}
	if s.Orchestration.TaskHistoryRetentionLimit != nil {
		spec.Orchestration.TaskHistoryRetentionLimit = *s.Orchestration.TaskHistoryRetentionLimit
	}
	if s.Raft.SnapshotInterval != 0 {
		spec.Raft.SnapshotInterval = s.Raft.SnapshotInterval
	}
	if s.Raft.KeepOldSnapshots != nil {
		spec.Raft.KeepOldSnapshots = *s.Raft.KeepOldSnapshots
	}
	if s.Raft.LogEntriesForSlowFollowers != 0 {
		spec.Raft.LogEntriesForSlowFollowers = s.Raft.LogEntriesForSlowFollowers
	}
	if s.Raft.HeartbeatTick != 0 {
		spec.Raft.HeartbeatTick = uint32(s.Raft.HeartbeatTick)
	}
	if s.Raft.ElectionTick != 0 {
		spec.Raft.ElectionTick = uint32(s.Raft.ElectionTick)
	}
	if s.Dispatcher.HeartbeatPeriod != 0 {
		spec.Dispatcher.HeartbeatPeriod = gogotypes.DurationProto(s.Dispatcher.HeartbeatPeriod)
	}
	if s.CAConfig.NodeCertExpiry != 0 {
		spec.CAConfig.NodeCertExpiry = gogotypes.DurationProto(s.CAConfig.NodeCertExpiry)
	}
	if s.CAConfig.SigningCACert != "" {
		spec.CAConfig.SigningCACert = []byte(s.CAConfig.SigningCACert)
	}
	if s.CAConfig.SigningCAKey != "" {
		spec.CAConfig.SigningCAKey = []byte(s.CAConfig.SigningCAKey)
	}
	spec.CAConfig.ForceRotate = s.CAConfig.ForceRotate
	for _, e := range s.CAConfig.ExternalCAs {
		protocol, ok := swarmapi.ExternalCA_CAProtocol_value[strings.ToUpper(string(e.Protocol))]
		if !ok {
			return swarmapi.ClusterSpec{}, fmt.Errorf("invalid protocol: %q", e.Protocol)
		}
		spec.CAConfig.ExternalCAs = append(spec.CAConfig.ExternalCAs, &swarmapi.ExternalCA{
			Protocol: swarmapi.ExternalCA_CAProtocol(protocol),
			URL:      e.URL, Options: e.Options, CACert: []byte(e.CACert),
		})
	}
	spec.EncryptionConfig.AutoLockManagers = s.EncryptionConfig.AutoLockManagers
	return spec, nil
}

func annotationsFromGRPC(a swarmapi.Annotations) types.Annotations {
	labels := a.Labels
	if labels == nil {
		labels = map[string]string{} // docker answers {} rather than null
	}
	return types.Annotations{Name: a.Name, Labels: labels}
}

package convert

import (
	gogotypes "github.com/gogo/protobuf/types"
	types "github.com/moby/moby/api/types/swarm"
	swarmapi "github.com/moby/swarmkit/v2/api"
)

// SecretFromGRPC is a secret as GET /secrets shows it. Its data never
// leaves the manager: swarmkit's control API already blanks it in reads.
func SecretFromGRPC(s *swarmapi.Secret) types.Secret {
	secret := types.Secret{
		ID: s.ID,
		Spec: types.SecretSpec{
			Annotations: annotationsFromGRPC(s.Spec.Annotations),
			Data:        s.Spec.Data,
			Driver:      driverFromGRPC(s.Spec.Driver),
			Templating:  driverFromGRPC(s.Spec.Templating),
		},
	}
	secret.Version.Index = s.Meta.Version.Index
	secret.CreatedAt, _ = gogotypes.TimestampFromProto(s.Meta.CreatedAt)
	secret.UpdatedAt, _ = gogotypes.TimestampFromProto(s.Meta.UpdatedAt)
	return secret
}

// SecretSpecToGRPC is the spec of POST /secrets/create.
func SecretSpecToGRPC(s types.SecretSpec) swarmapi.SecretSpec {
	return swarmapi.SecretSpec{
		Annotations: swarmapi.Annotations{Name: s.Name, Labels: s.Labels},
		Data:        s.Data,
		Driver:      driverToGRPC(s.Driver),
		Templating:  driverToGRPC(s.Templating),
	}
}

// ConfigFromGRPC is a config as GET /configs shows it.
func ConfigFromGRPC(c *swarmapi.Config) types.Config {
	config := types.Config{
		ID: c.ID,
		Spec: types.ConfigSpec{
			Annotations: annotationsFromGRPC(c.Spec.Annotations),
			Data:        c.Spec.Data,
			Templating:  driverFromGRPC(c.Spec.Templating),
		},
	}
	config.Version.Index = c.Meta.Version.Index
	config.CreatedAt, _ = gogotypes.TimestampFromProto(c.Meta.CreatedAt)
	config.UpdatedAt, _ = gogotypes.TimestampFromProto(c.Meta.UpdatedAt)
	return config
}

// ConfigSpecToGRPC is the spec of POST /configs/create.
func ConfigSpecToGRPC(s types.ConfigSpec) swarmapi.ConfigSpec {
	return swarmapi.ConfigSpec{
		Annotations: swarmapi.Annotations{Name: s.Name, Labels: s.Labels},
		Data:        s.Data,
		Templating:  driverToGRPC(s.Templating),
	}
}

func driverFromGRPC(d *swarmapi.Driver) *types.Driver {
	if d == nil {
		return nil
	}
	return &types.Driver{Name: d.Name, Options: d.Options}
}

func driverToGRPC(d *types.Driver) *swarmapi.Driver {
	if d == nil {
		return nil
	}
	return &swarmapi.Driver{Name: d.Name, Options: d.Options}
}

package cluster

import (
	"context"

	types "github.com/moby/moby/api/types/swarm"
	swarmapi "github.com/moby/swarmkit/v2/api"

	"github.com/wharf/wharf/internal/cluster/convert"
	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/filters"
)

// Secrets answers GET /secrets. swarmkit never returns a secret's data
// from its control API.
func (c *Cluster) Secrets(ctx context.Context, f filters.Args) ([]types.Secret, error) {
	if err := f.Validate("names", "name", "id", "label"); err != nil {
		return nil, errs.Invalid("%v", err)
	}
	st, err := c.manager()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	r, err := st.control.ListSecrets(ctx, &swarmapi.ListSecretsRequest{Filters: &swarmapi.ListSecretsRequest_Filters{
		Names: f.Get("names"), NamePrefixes: f.Get("name"), IDPrefixes: f.Get("id"), Labels: labelMap(f.Get("label")),
	}})
	if err != nil {
		return nil, fromGRPC(err)
	}
	out := make([]types.Secret, 0, len(r.Secrets))
	for _, s := range r.Secrets {
		out = append(out, convert.SecretFromGRPC(s))
	}
	return out, nil
}

// Secret answers GET /secrets/{id}.
func (c *Cluster) Secret(ctx context.Context, ref string) (types.Secret, error) {
	st, err := c.manager()
	if err != nil {
		return types.Secret{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	s, err := getSecret(ctx, st.control, ref)
	if err != nil {
		return types.Secret{}, err
	}
	return convert.SecretFromGRPC(s), nil
}

// CreateSecret answers POST /secrets/create. swarmkit checks the size
// (500 KB) and the name.
func (c *Cluster) CreateSecret(ctx context.Context, spec types.SecretSpec) (string, error) {
	st, err := c.manager()
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	ss := convert.SecretSpecToGRPC(spec)
	r, err := st.control.CreateSecret(ctx, &swarmapi.CreateSecretRequest{Spec: &ss})
	if err != nil {
		return "", fromGRPC(err)
	}
	return r.Secret.ID, nil
}

// UpdateSecret answers POST /secrets/{id}/update (labels only).
func (c *Cluster) UpdateSecret(ctx context.Context, ref string, version uint64, spec types.SecretSpec) error {
	st, err := c.manager()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	s, err := getSecret(ctx, st.control, ref)
	if err != nil {
		return err
	}
	ss := convert.SecretSpecToGRPC(spec)
	_, err = st.control.UpdateSecret(ctx, &swarmapi.UpdateSecretRequest{SecretID: s.ID, SecretVersion: &swarmapi.Version{Index: version}, Spec: &ss})
	return fromGRPC(err)
}

// RemoveSecret answers DELETE /secrets/{id}.
func (c *Cluster) RemoveSecret(ctx context.Context, ref string) error {
	st, err := c.manager()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	s, err := getSecret(ctx, st.control, ref)
	if err != nil {
		return err
	}
	_, err = st.control.RemoveSecret(ctx, &swarmapi.RemoveSecretRequest{SecretID: s.ID})
	return fromGRPC(err)
}

// Configs answers GET /configs.
func (c *Cluster) Configs(ctx context.Context, f filters.Args) ([]types.Config, error) {
	if err := f.Validate("name", "id", "label"); err != nil {
		return nil, errs.Invalid("%v", err)
	}
	st, err := c.manager()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	r, err := st.control.ListConfigs(ctx, &swarmapi.ListConfigsRequest{Filters: &swarmapi.ListConfigsRequest_Filters{
		NamePrefixes: f.Get("name"), IDPrefixes: f.Get("id"), Labels: labelMap(f.Get("label")),
	}})
	if err != nil {
		return nil, fromGRPC(err)
	}
	out := make([]types.Config, 0, len(r.Configs))
	for _, c := range r.Configs {
		out = append(out, convert.ConfigFromGRPC(c))
	}
	return out, nil
}

// Config answers GET /configs/{id}.
func (c *Cluster) Config(ctx context.Context, ref string) (types.Config, error) {
	st, err := c.manager()
	if err != nil {
		return types.Config{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	cfg, err := getConfig(ctx, st.control, ref)
	if err != nil {
		return types.Config{}, err
	}
	return convert.ConfigFromGRPC(cfg), nil
}

// CreateConfig answers POST /configs/create.
func (c *Cluster) CreateConfig(ctx context.Context, spec types.ConfigSpec) (string, error) {
	st, err := c.manager()
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	cs := convert.ConfigSpecToGRPC(spec)
	r, err := st.control.CreateConfig(ctx, &swarmapi.CreateConfigRequest{Spec: &cs})
	if err != nil {
		return "", fromGRPC(err)
	}
	return r.Config.ID, nil
}

// UpdateConfig answers POST /configs/{id}/update (labels only).
func (c *Cluster) UpdateConfig(ctx context.Context, ref string, version uint64, spec types.ConfigSpec) error {
	st, err := c.manager()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	cfg, err := getConfig(ctx, st.control, ref)
	if err != nil {
		return err
	}
	cs := convert.ConfigSpecToGRPC(spec)
	_, err = st.control.UpdateConfig(ctx, &swarmapi.UpdateConfigRequest{ConfigID: cfg.ID, ConfigVersion: &swarmapi.Version{Index: version}, Spec: &cs})
	return fromGRPC(err)
}

// RemoveConfig answers DELETE /configs/{id}.
func (c *Cluster) RemoveConfig(ctx context.Context, ref string) error {
	st, err := c.manager()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	cfg, err := getConfig(ctx, st.control, ref)
	if err != nil {
		return err
	}
	_, err = st.control.RemoveConfig(ctx, &swarmapi.RemoveConfigRequest{ConfigID: cfg.ID})
	return fromGRPC(err)
}

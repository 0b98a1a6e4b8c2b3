package cluster

import (
	"context"

	types "github.com/moby/moby/api/types/swarm"
	swarmapi "github.com/moby/swarmkit/v2/api"

	"github.com/wharf/wharf/internal/cluster/convert"
	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/filters"
)

// Secrets and configs are one resource to the API: named data with
// labels, listed, inspected, created, relabelled and removed. blobKind
// holds what differs between them (the swarmkit object G, the API's A
// and its spec S); its methods are the one path both take. swarmkit
// never returns a secret's data from its control API, and checks sizes
// (500 KB) and names itself.
type blobKind[G, A, S any] struct {
	filters []string // the list filters GET accepts
	list    func(ctx context.Context, c swarmapi.ControlClient, f filters.Args) ([]G, error)
	lookup  func(ctx context.Context, c swarmapi.ControlClient, ref string) (G, error)
	id      func(G) string
	api     func(G) A
	create  func(ctx context.Context, c swarmapi.ControlClient, spec S) (string, error)
	update  func(ctx context.Context, c swarmapi.ControlClient, id string, version *swarmapi.Version, spec S) error
	remove  func(ctx context.Context, c swarmapi.ControlClient, id string) error
}

func (k blobKind[G, A, S]) List(ctx context.Context, c *Cluster, f filters.Args) ([]A, error) {
	if err := f.Validate(k.filters...); err != nil {
		return nil, errs.Invalid("%v", err)
	}
	ctx, st, done, err := c.call(ctx)
	defer done()
	if err != nil {
		return nil, err
	}
	objs, err := k.list(ctx, st.control, f)
	if err != nil {
		return nil, fromGRPC(err)
	}
	out := make([]A, 0, len(objs))
	for _, o := range objs {
		out = append(out, k.api(o))
	}
	return out, nil
}

func (k blobKind[G, A, S]) Get(ctx context.Context, c *Cluster, ref string) (A, error) {
	ctx, st, done, err := c.call(ctx)
	defer done()
	if err != nil {
		var zero A
		return zero, err
	}
	o, err := k.lookup(ctx, st.control, ref)
	if err != nil {
		var zero A
		return zero, err
	}
	return k.api(o), nil
}

func (k blobKind[G, A, S]) Create(ctx context.Context, c *Cluster, spec S) (string, error) {
	ctx, st, done, err := c.call(ctx)
	defer done()
	if err != nil {
		return "", err
	}
	id, err := k.create(ctx, st.control, spec)
	return id, fromGRPC(err)
}

func (k blobKind[G, A, S]) Update(ctx context.Context, c *Cluster, ref string, version uint64, spec S) error {
	ctx, st, done, err := c.call(ctx)
	defer done()
	if err != nil {
		return err
	}
	o, err := k.lookup(ctx, st.control, ref)
	if err != nil {
		return err
	}
	return fromGRPC(k.update(ctx, st.control, k.id(o), &swarmapi.Version{Index: version}, spec))
}

func (k blobKind[G, A, S]) Remove(ctx context.Context, c *Cluster, ref string) error {
	ctx, st, done, err := c.call(ctx)
	defer done()
	if err != nil {
		return err
	}
	o, err := k.lookup(ctx, st.control, ref)
	if err != nil {
		return err
	}
	return fromGRPC(k.remove(ctx, st.control, k.id(o)))
}

func secrets() blobKind[*swarmapi.Secret, types.Secret, types.SecretSpec] {
	return blobKind[*swarmapi.Secret, types.Secret, types.SecretSpec]{
		filters: []string{"names", "name", "id", "label"},
		list: func(ctx context.Context, c swarmapi.ControlClient, f filters.Args) ([]*swarmapi.Secret, error) {
			r, err := c.ListSecrets(ctx, &swarmapi.ListSecretsRequest{Filters: &swarmapi.ListSecretsRequest_Filters{
				Names: f.Get("names"), NamePrefixes: f.Get("name"), IDPrefixes: f.Get("id"), Labels: labelMap(f.Get("label")),
			}})
			if err != nil {
				return nil, err
			}
			return r.Secrets, nil
		},
		lookup: getSecret,
		id:     func(s *swarmapi.Secret) string { return s.ID },
		api:    convert.SecretFromGRPC,
		create: func(ctx context.Context, c swarmapi.ControlClient, spec types.SecretSpec) (string, error) {
			ss := convert.SecretSpecToGRPC(spec)
			r, err := c.CreateSecret(ctx, &swarmapi.CreateSecretRequest{Spec: &ss})
			if err != nil {
				return "", err
			}
			return r.Secret.ID, nil
		},
		update: func(ctx context.Context, c swarmapi.ControlClient, id string, v *swarmapi.Version, spec types.SecretSpec) error {
			ss := convert.SecretSpecToGRPC(spec)
			_, err := c.UpdateSecret(ctx, &swarmapi.UpdateSecretRequest{SecretID: id, SecretVersion: v, Spec: &ss})
			return err
		},
		remove: func(ctx context.Context, c swarmapi.ControlClient, id string) error {
			_, err := c.RemoveSecret(ctx, &swarmapi.RemoveSecretRequest{SecretID: id})
			return err
		},
	}
}

func configs() blobKind[*swarmapi.Config, types.Config, types.ConfigSpec] {
	return blobKind[*swarmapi.Config, types.Config, types.ConfigSpec]{
		filters: []string{"name", "id", "label"},
		list: func(ctx context.Context, c swarmapi.ControlClient, f filters.Args) ([]*swarmapi.Config, error) {
			r, err := c.ListConfigs(ctx, &swarmapi.ListConfigsRequest{Filters: &swarmapi.ListConfigsRequest_Filters{
				NamePrefixes: f.Get("name"), IDPrefixes: f.Get("id"), Labels: labelMap(f.Get("label")),
			}})
			if err != nil {
				return nil, err
			}
			return r.Configs, nil
		},
		lookup: getConfig,
		id:     func(s *swarmapi.Config) string { return s.ID },
		api:    convert.ConfigFromGRPC,
		create: func(ctx context.Context, c swarmapi.ControlClient, spec types.ConfigSpec) (string, error) {
			cs := convert.ConfigSpecToGRPC(spec)
			r, err := c.CreateConfig(ctx, &swarmapi.CreateConfigRequest{Spec: &cs})
			if err != nil {
				return "", err
			}
			return r.Config.ID, nil
		},
		update: func(ctx context.Context, c swarmapi.ControlClient, id string, v *swarmapi.Version, spec types.ConfigSpec) error {
			cs := convert.ConfigSpecToGRPC(spec)
			_, err := c.UpdateConfig(ctx, &swarmapi.UpdateConfigRequest{ConfigID: id, ConfigVersion: v, Spec: &cs})
			return err
		},
		remove: func(ctx context.Context, c swarmapi.ControlClient, id string) error {
			_, err := c.RemoveConfig(ctx, &swarmapi.RemoveConfigRequest{ConfigID: id})
			return err
		},
	}
}

// Secrets answers GET /secrets.
func (c *Cluster) Secrets(ctx context.Context, f filters.Args) ([]types.Secret, error) {
	return secrets().List(ctx, c, f)
}

// Secret answers GET /secrets/{id}.
func (c *Cluster) Secret(ctx context.Context, ref string) (types.Secret, error) {
	return secrets().Get(ctx, c, ref)
}

// CreateSecret answers POST /secrets/create.
func (c *Cluster) CreateSecret(ctx context.Context, spec types.SecretSpec) (string, error) {
	return secrets().Create(ctx, c, spec)
}

// UpdateSecret answers POST /secrets/{id}/update (labels only).
func (c *Cluster) UpdateSecret(ctx context.Context, ref string, version uint64, spec types.SecretSpec) error {
	return secrets().Update(ctx, c, ref, version, spec)
}

// RemoveSecret answers DELETE /secrets/{id}.
func (c *Cluster) RemoveSecret(ctx context.Context, ref string) error {
	return secrets().Remove(ctx, c, ref)
}

// Configs answers GET /configs.
func (c *Cluster) Configs(ctx context.Context, f filters.Args) ([]types.Config, error) {
	return configs().List(ctx, c, f)
}

// Config answers GET /configs/{id}.
func (c *Cluster) Config(ctx context.Context, ref string) (types.Config, error) {
	return configs().Get(ctx, c, ref)
}

// CreateConfig answers POST /configs/create.
func (c *Cluster) CreateConfig(ctx context.Context, spec types.ConfigSpec) (string, error) {
	return configs().Create(ctx, c, spec)
}

// UpdateConfig answers POST /configs/{id}/update (labels only).
func (c *Cluster) UpdateConfig(ctx context.Context, ref string, version uint64, spec types.ConfigSpec) error {
	return configs().Update(ctx, c, ref, version, spec)
}

// RemoveConfig answers DELETE /configs/{id}.
func (c *Cluster) RemoveConfig(ctx context.Context, ref string) error {
	return configs().Remove(ctx, c, ref)
}

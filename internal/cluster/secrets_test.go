package cluster

import (
	"context"
	"errors"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/swarm"

	"github.com/wharf/wharf/internal/filters"
)

// TestSecretsAndConfigs runs secrets and configs through their one path:
// create, list with filters, lookup by name, ID and ID prefix, relabel,
// a duplicate refused, remove, and the lookup's errors.
func TestSecretsAndConfigs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a swarmkit node")
	}
	ctx := context.Background()
	c, _ := newTestCluster(t, "a")
	addr := freeAddr(t)
	if _, err := c.Init(ctx, swarm.InitRequest{ListenAddr: addr, AdvertiseAddr: addr}); err != nil {
		t.Fatal(err)
	}

	secretID, err := c.CreateSecret(ctx, swarm.SecretSpec{Annotations: swarm.Annotations{Name: "pw"}, Data: []byte("s3cr3t")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateSecret(ctx, swarm.SecretSpec{Annotations: swarm.Annotations{Name: "pw"}, Data: []byte("x")}); !errors.Is(err, errdefs.ErrConflict) {
		t.Errorf("duplicate secret: %v", err)
	}
	configID, err := c.CreateConfig(ctx, swarm.ConfigSpec{Annotations: swarm.Annotations{Name: "cfg"}, Data: []byte("k=v")})
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"pw", secretID, secretID[:5]} {
		s, err := c.Secret(ctx, ref)
		if err != nil || s.ID != secretID || s.Spec.Name != "pw" || len(s.Spec.Data) != 0 {
			t.Errorf("secret %q: %+v %v", ref, s, err)
		}
	}
	for _, ref := range []string{"cfg", configID, configID[:5]} {
		cfg, err := c.Config(ctx, ref)
		if err != nil || cfg.ID != configID || string(cfg.Spec.Data) != "k=v" {
			t.Errorf("config %q: %+v %v", ref, cfg, err)
		}
	}
	if l, err := c.Secrets(ctx, filters.Args{"names": {"pw": true}}); err != nil || len(l) != 1 {
		t.Errorf("secrets names=pw: %v %v", l, err)
	}
	if l, err := c.Secrets(ctx, filters.Args{"name": {"nope": true}}); err != nil || len(l) != 0 {
		t.Errorf("secrets name=nope: %v %v", l, err)
	}
	if _, err := c.Configs(ctx, filters.Args{"names": {"cfg": true}}); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("configs with the secrets-only names filter: %v", err)
	}

	s, _ := c.Secret(ctx, "pw")
	spec := s.Spec
	spec.Labels = map[string]string{"k": "v"}
	if err := c.UpdateSecret(ctx, "pw", s.Version.Index, spec); err != nil {
		t.Fatal(err)
	}
	if l, err := c.Secrets(ctx, filters.Args{"label": {"k=v": true}}); err != nil || len(l) != 1 {
		t.Errorf("secrets label=k=v after the update: %v %v", l, err)
	}

	if err := c.RemoveSecret(ctx, "pw"); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveConfig(ctx, configID[:5]); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Secret(ctx, "pw"); !errors.Is(err, errdefs.ErrNotFound) || err.Error() != "secret pw not found" {
		t.Errorf("removed secret: %v", err)
	}
	if err := c.RemoveConfig(ctx, "cfg"); !errors.Is(err, errdefs.ErrNotFound) || err.Error() != "config cfg not found" {
		t.Errorf("removed config: %v", err)
	}
}

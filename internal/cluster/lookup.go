package cluster

import (
	"context"
	"strings"

	swarmapi "github.com/moby/swarmkit/v2/api"

	"github.com/wharf/wharf/internal/errs"
)

// find looks an object up as docker does: by full ID, then by full
// name, then by ID prefix; a prefix matching several is an error. get
// asks for one ID; list for names or ID prefixes.
func find[T any](ctx context.Context, noun, ref string,
	get func(ctx context.Context, id string) (T, error),
	list func(ctx context.Context, names, idPrefixes []string) ([]T, error),
) (T, error) {
	var zero T
	if o, err := get(ctx, ref); err == nil {
		return o, nil
	}
	r, err := list(ctx, []string{ref}, nil)
	if err != nil || len(r) == 0 {
		r, err = list(ctx, nil, []string{ref})
	}
	if err != nil {
		return zero, fromGRPC(err)
	}
	switch len(r) {
	case 0:
		return zero, errs.NotFound("%s %s not found", noun, ref)
	case 1:
		return r[0], nil
	}
	return zero, errs.Invalid("%s %s is ambiguous (%d matches found)", noun, ref, len(r))
}

func getNode(ctx context.Context, c swarmapi.ControlClient, ref string) (*swarmapi.Node, error) {
	return find(ctx, "node", ref,
		func(ctx context.Context, id string) (*swarmapi.Node, error) {
			r, err := c.GetNode(ctx, &swarmapi.GetNodeRequest{NodeID: id})
			if err != nil {
				return nil, err
			}
			return r.Node, nil
		},
		func(ctx context.Context, names, ids []string) ([]*swarmapi.Node, error) {
			r, err := c.ListNodes(ctx, &swarmapi.ListNodesRequest{Filters: &swarmapi.ListNodesRequest_Filters{Names: names, IDPrefixes: ids}})
			if err != nil {
				return nil, err
			}
			return r.Nodes, nil
		})
}

func getService(ctx context.Context, c swarmapi.ControlClient, ref string, insertDefaults bool) (*swarmapi.Service, error) {
	byID := func(ctx context.Context, id string) (*swarmapi.Service, error) {
		r, err := c.GetService(ctx, &swarmapi.GetServiceRequest{ServiceID: id, InsertDefaults: insertDefaults})
		if err != nil {
			return nil, err
		}
		return r.Service, nil
	}
	s, err := find(ctx, "service", ref, byID,
		func(ctx context.Context, names, ids []string) ([]*swarmapi.Service, error) {
			r, err := c.ListServices(ctx, &swarmapi.ListServicesRequest{Filters: &swarmapi.ListServicesRequest_Filters{Names: names, IDPrefixes: ids}})
			if err != nil {
				return nil, err
			}
			return r.Services, nil
		})
	if err == nil && insertDefaults && s.ID != ref {
		// Found by name or prefix, which inserts no defaults: ask by ID.
		if g, err := byID(ctx, s.ID); err == nil {
			return g, nil
		}
	}
	return s, err
}

func getTask(ctx context.Context, c swarmapi.ControlClient, ref string) (*swarmapi.Task, error) {
	return find(ctx, "task", ref,
		func(ctx context.Context, id string) (*swarmapi.Task, error) {
			r, err := c.GetTask(ctx, &swarmapi.GetTaskRequest{TaskID: id})
			if err != nil {
				return nil, err
			}
			return r.Task, nil
		},
		func(ctx context.Context, names, ids []string) ([]*swarmapi.Task, error) {
			r, err := c.ListTasks(ctx, &swarmapi.ListTasksRequest{Filters: &swarmapi.ListTasksRequest_Filters{Names: names, IDPrefixes: ids}})
			if err != nil {
				return nil, err
			}
			return r.Tasks, nil
		})
}

func getSecret(ctx context.Context, c swarmapi.ControlClient, ref string) (*swarmapi.Secret, error) {
	return find(ctx, "secret", ref,
		func(ctx context.Context, id string) (*swarmapi.Secret, error) {
			r, err := c.GetSecret(ctx, &swarmapi.GetSecretRequest{SecretID: id})
			if err != nil {
				return nil, err
			}
			return r.Secret, nil
		},
		func(ctx context.Context, names, ids []string) ([]*swarmapi.Secret, error) {
			r, err := c.ListSecrets(ctx, &swarmapi.ListSecretsRequest{Filters: &swarmapi.ListSecretsRequest_Filters{Names: names, IDPrefixes: ids}})
			if err != nil {
				return nil, err
			}
			return r.Secrets, nil
		})
}

func getConfig(ctx context.Context, c swarmapi.ControlClient, ref string) (*swarmapi.Config, error) {
	return find(ctx, "config", ref,
		func(ctx context.Context, id string) (*swarmapi.Config, error) {
			r, err := c.GetConfig(ctx, &swarmapi.GetConfigRequest{ConfigID: id})
			if err != nil {
				return nil, err
			}
			return r.Config, nil
		},
		func(ctx context.Context, names, ids []string) ([]*swarmapi.Config, error) {
			r, err := c.ListConfigs(ctx, &swarmapi.ListConfigsRequest{Filters: &swarmapi.ListConfigsRequest_Filters{Names: names, IDPrefixes: ids}})
			if err != nil {
				return nil, err
			}
			return r.Configs, nil
		})
}

// labelMap turns label filters ("k" or "k=v") into swarmkit's map.
func labelMap(values []string) map[string]string {
	if len(values) == 0 {
		return nil
	}
	m := make(map[string]string, len(values))
	for _, v := range values {
		k, val, _ := strings.Cut(v, "=")
		m[k] = val
	}
	return m
}

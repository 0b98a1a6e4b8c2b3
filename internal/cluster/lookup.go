package cluster

import (
	"context"
	"strings"

	swarmapi "github.com/moby/swarmkit/v2/api"

	"github.com/wharf/wharf/internal/errs"
)

// Objects are found by full ID, then by full name, then by ID prefix, as
// in docker; a prefix matching several is an error.

func getNode(ctx context.Context, c swarmapi.ControlClient, ref string) (*swarmapi.Node, error) {
	if r, err := c.GetNode(ctx, &swarmapi.GetNodeRequest{NodeID: ref}); err == nil {
		return r.Node, nil
	}
	r, err := c.ListNodes(ctx, &swarmapi.ListNodesRequest{Filters: &swarmapi.ListNodesRequest_Filters{Names: []string{ref}}})
	if err != nil || len(r.Nodes) == 0 {
		r, err = c.ListNodes(ctx, &swarmapi.ListNodesRequest{Filters: &swarmapi.ListNodesRequest_Filters{IDPrefixes: []string{ref}}})
	}
	if err != nil {
		return nil, fromGRPC(err)
	}
	switch len(r.Nodes) {
	case 0:
		return nil, errs.NotFound("node %s not found", ref)
	case 1:
		return r.Nodes[0], nil
	}
	return nil, errs.Invalid("node %s is ambiguous (%d matches found)", ref, len(r.Nodes))
}

func getService(ctx context.Context, c swarmapi.ControlClient, ref string, insertDefaults bool) (*swarmapi.Service, error) {
	if r, err := c.GetService(ctx, &swarmapi.GetServiceRequest{ServiceID: ref, InsertDefaults: insertDefaults}); err == nil {
		return r.Service, nil
	}
	r, err := c.ListServices(ctx, &swarmapi.ListServicesRequest{Filters: &swarmapi.ListServicesRequest_Filters{Names: []string{ref}}})
	if err != nil || len(r.Services) == 0 {
		r, err = c.ListServices(ctx, &swarmapi.ListServicesRequest{Filters: &swarmapi.ListServicesRequest_Filters{IDPrefixes: []string{ref}}})
	}
	if err != nil {
		return nil, fromGRPC(err)
	}
	switch len(r.Services) {
	case 0:
		return nil, errs.NotFound("service %s not found", ref)
	case 1:
		if insertDefaults {
			// The lookup by name did not insert them; ask by ID.
			if g, err := c.GetService(ctx, &swarmapi.GetServiceRequest{ServiceID: r.Services[0].ID, InsertDefaults: true}); err == nil {
				return g.Service, nil
			}
		}
		return r.Services[0], nil
	}
	return nil, errs.Invalid("service %s is ambiguous (%d matches found)", ref, len(r.Services))
}

func getTask(ctx context.Context, c swarmapi.ControlClient, ref string) (*swarmapi.Task, error) {
	if r, err := c.GetTask(ctx, &swarmapi.GetTaskRequest{TaskID: ref}); err == nil {
		return r.Task, nil
	}
	r, err := c.ListTasks(ctx, &swarmapi.ListTasksRequest{Filters: &swarmapi.ListTasksRequest_Filters{Names: []string{ref}}})
	if err != nil || len(r.Tasks) == 0 {
		r, err = c.ListTasks(ctx, &swarmapi.ListTasksRequest{Filters: &swarmapi.ListTasksRequest_Filters{IDPrefixes: []string{ref}}})
	}
	if err != nil {
		return nil, fromGRPC(err)
	}
	switch len(r.Tasks) {
	case 0:
		return nil, errs.NotFound("task %s not found", ref)
	case 1:
		return r.Tasks[0], nil
	}
	return nil, errs.Invalid("task %s is ambiguous (%d matches found)", ref, len(r.Tasks))
}

func getSecret(ctx context.Context, c swarmapi.ControlClient, ref string) (*swarmapi.Secret, error) {
	if r, err := c.GetSecret(ctx, &swarmapi.GetSecretRequest{SecretID: ref}); err == nil {
		return r.Secret, nil
	}
	r, err := c.ListSecrets(ctx, &swarmapi.ListSecretsRequest{Filters: &swarmapi.ListSecretsRequest_Filters{Names: []string{ref}}})
	if err != nil || len(r.Secrets) == 0 {
		r, err = c.ListSecrets(ctx, &swarmapi.ListSecretsRequest{Filters: &swarmapi.ListSecretsRequest_Filters{IDPrefixes: []string{ref}}})
	}
	if err != nil {
		return nil, fromGRPC(err)
	}
	switch len(r.Secrets) {
	case 0:
		return nil, errs.NotFound("secret %s not found", ref)
	case 1:
		return r.Secrets[0], nil
	}
	return nil, errs.Invalid("secret %s is ambiguous (%d matches found)", ref, len(r.Secrets))
}

func getConfig(ctx context.Context, c swarmapi.ControlClient, ref string) (*swarmapi.Config, error) {
	if r, err := c.GetConfig(ctx, &swarmapi.GetConfigRequest{ConfigID: ref}); err == nil {
		return r.Config, nil
	}
	r, err := c.ListConfigs(ctx, &swarmapi.ListConfigsRequest{Filters: &swarmapi.ListConfigsRequest_Filters{Names: []string{ref}}})
	if err != nil || len(r.Configs) == 0 {
		r, err = c.ListConfigs(ctx, &swarmapi.ListConfigsRequest{Filters: &swarmapi.ListConfigsRequest_Filters{IDPrefixes: []string{ref}}})
	}
	if err != nil {
		return nil, fromGRPC(err)
	}
	switch len(r.Configs) {
	case 0:
		return nil, errs.NotFound("config %s not found", ref)
	case 1:
		return r.Configs[0], nil
	}
	return nil, errs.Invalid("config %s is ambiguous (%d matches found)", ref, len(r.Configs))
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

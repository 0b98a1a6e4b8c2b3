package cluster

import (
	"context"
	"strings"

	types "github.com/moby/moby/api/types/swarm"
	swarmapi "github.com/moby/swarmkit/v2/api"
	"github.com/moby/swarmkit/v2/identity"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/cluster/convert"
	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/filters"
)

// ServiceUpdateOptions are the query parameters of POST
// /services/{id}/update (the API's type).
type ServiceUpdateOptions = backend.ServiceUpdateOptions

// Services answers GET /services; status adds each service's running
// and desired task counts.
func (c *Cluster) Services(ctx context.Context, f filters.Args, status bool) ([]types.Service, error) {
	if err := f.Validate("name", "id", "label", "mode", "runtime"); err != nil {
		return nil, errs.Invalid("%v", err)
	}
	ctx, st, done, err := c.call(ctx)
	defer done()
	if err != nil {
		return nil, err
	}
	runtimes := f.Get("runtime")
	if len(runtimes) == 0 {
		runtimes = []string{string(types.RuntimeContainer)}
	}
	r, err := st.control.ListServices(ctx, &swarmapi.ListServicesRequest{Filters: &swarmapi.ListServicesRequest_Filters{
		NamePrefixes: f.Get("name"), IDPrefixes: f.Get("id"), Labels: labelMap(f.Get("label")), Runtimes: runtimes,
	}})
	if err != nil {
		return nil, fromGRPC(err)
	}
	out := make([]types.Service, 0, len(r.Services))
	var ids []string
	for _, s := range r.Services {
		if f.Has("mode") && !f.Exact("mode", serviceMode(s)) {
			continue
		}
		svc, err := convert.ServiceFromGRPC(*s)
		if err != nil {
			return nil, err
		}
		out = append(out, svc)
		ids = append(ids, s.ID)
	}
	if status && len(ids) > 0 {
		resp, err := st.control.ListServiceStatuses(ctx, &swarmapi.ListServiceStatusesRequest{Services: ids})
		if err != nil {
			return nil, fromGRPC(err)
		}
		byID := map[string]*types.ServiceStatus{}
		for _, s := range resp.Statuses {
			byID[s.ServiceID] = &types.ServiceStatus{RunningTasks: s.RunningTasks, DesiredTasks: s.DesiredTasks, CompletedTasks: s.CompletedTasks}
		}
		for i := range out {
			out[i].ServiceStatus = byID[out[i].ID]
		}
	}
	return out, nil
}

func serviceMode(s *swarmapi.Service) string {
	switch s.Spec.GetMode().(type) {
	case *swarmapi.ServiceSpec_Global:
		return "global"
	case *swarmapi.ServiceSpec_Replicated:
		return "replicated"
	case *swarmapi.ServiceSpec_ReplicatedJob:
		return "replicated-job"
	case *swarmapi.ServiceSpec_GlobalJob:
		return "global-job"
	}
	return ""
}

// Service answers GET /services/{id}.
func (c *Cluster) Service(ctx context.Context, ref string, insertDefaults bool) (types.Service, error) {
	ctx, st, done, err := c.call(ctx)
	defer done()
	if err != nil {
		return types.Service{}, err
	}
	s, err := getService(ctx, st.control, ref, insertDefaults)
	if err != nil {
		return types.Service{}, err
	}
	return convert.ServiceFromGRPC(*s)
}

// CreateService answers POST /services/create.
func (c *Cluster) CreateService(ctx context.Context, s types.ServiceSpec, encodedAuth string) (types.ServiceCreateResponse, error) {
	ctx, st, done, err := c.call(ctx)
	defer done()
	if err != nil {
		return types.ServiceCreateResponse{}, err
	}
	if s.Name == "" {
		// docker picks an adjective_scientist name; an ID-based one is
		// as unique and needs no second word list.
		s.Name = "service-" + identity.NewID()[:12]
	}
	spec, err := convert.ServiceSpecToGRPC(s)
	if err != nil {
		return types.ServiceCreateResponse{}, errs.Invalid("%v", err)
	}
	if encodedAuth != "" {
		spec.Task.GetContainer().PullOptions = &swarmapi.ContainerSpec_PullOptions{RegistryAuth: encodedAuth}
	}
	if err := resolveNetworks(ctx, st.control, &spec); err != nil {
		return types.ServiceCreateResponse{}, err
	}
	r, err := st.control.CreateService(ctx, &swarmapi.CreateServiceRequest{Spec: &spec})
	if err != nil {
		return types.ServiceCreateResponse{}, fromGRPC(err)
	}
	return types.ServiceCreateResponse{ID: r.Service.ID}, nil
}

// UpdateService answers POST /services/{id}/update.
func (c *Cluster) UpdateService(ctx context.Context, ref string, version uint64, s types.ServiceSpec, o ServiceUpdateOptions) (types.ServiceUpdateResponse, error) {
	ctx, st, done, err := c.call(ctx)
	defer done()
	if err != nil {
		return types.ServiceUpdateResponse{}, err
	}
	spec, err := convert.ServiceSpecToGRPC(s)
	if err != nil {
		return types.ServiceUpdateResponse{}, errs.Invalid("%v", err)
	}
	cur, err := getService(ctx, st.control, ref, false)
	if err != nil {
		return types.ServiceUpdateResponse{}, err
	}
	if err := resolveNetworks(ctx, st.control, &spec); err != nil {
		return types.ServiceUpdateResponse{}, err
	}
	ctr := spec.Task.GetContainer()
	if o.EncodedRegistryAuth != "" {
		ctr.PullOptions = &swarmapi.ContainerSpec_PullOptions{RegistryAuth: o.EncodedRegistryAuth}
	} else {
		// Keep the credentials the service was created with.
		from := cur.Spec.Task.GetContainer()
		switch o.RegistryAuthFrom {
		case string(types.RegistryAuthFromSpec), "":
		case string(types.RegistryAuthFromPreviousSpec):
			if cur.PreviousSpec == nil {
				return types.ServiceUpdateResponse{}, errs.Invalid("service does not have a previous spec")
			}
			from = cur.PreviousSpec.Task.GetContainer()
		default:
			return types.ServiceUpdateResponse{}, errs.Invalid("unsupported registryAuthFrom value")
		}
		if from != nil {
			ctr.PullOptions = from.PullOptions
		}
	}
	var rollback swarmapi.UpdateServiceRequest_Rollback
	switch o.Rollback {
	case "", "none":
		rollback = swarmapi.UpdateServiceRequest_NONE
	case "previous":
		rollback = swarmapi.UpdateServiceRequest_PREVIOUS
	default:
		return types.ServiceUpdateResponse{}, errs.Invalid("unrecognized rollback option %s", o.Rollback)
	}
	_, err = st.control.UpdateService(ctx, &swarmapi.UpdateServiceRequest{
		ServiceID: cur.ID, Spec: &spec, ServiceVersion: &swarmapi.Version{Index: version}, Rollback: rollback,
	})
	if err != nil {
		return types.ServiceUpdateResponse{}, fromGRPC(err)
	}
	return types.ServiceUpdateResponse{}, nil
}

// RemoveService answers DELETE /services/{id}.
func (c *Cluster) RemoveService(ctx context.Context, ref string) error {
	ctx, st, done, err := c.call(ctx)
	defer done()
	if err != nil {
		return err
	}
	s, err := getService(ctx, st.control, ref, false)
	if err != nil {
		return err
	}
	_, err = st.control.RemoveService(ctx, &swarmapi.RemoveServiceRequest{ServiceID: s.ID})
	return fromGRPC(err)
}

// Tasks answers GET /tasks.
func (c *Cluster) Tasks(ctx context.Context, f filters.Args) ([]types.Task, error) {
	if err := f.Validate("name", "id", "label", "service", "node", "desired-state", "_up-to-date", "runtime"); err != nil {
		return nil, errs.Invalid("%v", err)
	}
	ctx, st, done, err := c.call(ctx)
	defer done()
	if err != nil {
		return nil, err
	}
	lf := &swarmapi.ListTasksRequest_Filters{
		NamePrefixes: f.Get("name"), IDPrefixes: f.Get("id"), Labels: labelMap(f.Get("label")),
		UpToDate: f.Has("_up-to-date"), Runtimes: f.Get("runtime"),
	}
	if len(lf.Runtimes) == 0 {
		lf.Runtimes = []string{"container", ""}
	}
	for _, ref := range f.Get("service") {
		s, err := getService(ctx, st.control, ref, false)
		if err != nil {
			return nil, err
		}
		lf.ServiceIDs = append(lf.ServiceIDs, s.ID)
	}
	for _, ref := range f.Get("node") {
		n, err := getNode(ctx, st.control, nodeRef(st, ref))
		if err != nil {
			return nil, err
		}
		lf.NodeIDs = append(lf.NodeIDs, n.ID)
	}
	for _, s := range f.Get("desired-state") {
		v, ok := swarmapi.TaskState_value[strings.ToUpper(s)]
		if !ok {
			return nil, errs.Invalid("Invalid desired-state filter: '%s'", s)
		}
		lf.DesiredStates = append(lf.DesiredStates, swarmapi.TaskState(v))
	}
	r, err := st.control.ListTasks(ctx, &swarmapi.ListTasksRequest{Filters: lf})
	if err != nil {
		return nil, fromGRPC(err)
	}
	out := make([]types.Task, 0, len(r.Tasks))
	for _, t := range r.Tasks {
		task, err := convert.TaskFromGRPC(*t)
		if err != nil {
			return nil, err
		}
		out = append(out, task)
	}
	return out, nil
}

// Task answers GET /tasks/{id}.
func (c *Cluster) Task(ctx context.Context, ref string) (types.Task, error) {
	ctx, st, done, err := c.call(ctx)
	defer done()
	if err != nil {
		return types.Task{}, err
	}
	t, err := getTask(ctx, st.control, ref)
	if err != nil {
		return types.Task{}, err
	}
	return convert.TaskFromGRPC(*t)
}

package cluster

import (
	"context"
	"strings"

	types "github.com/moby/moby/api/types/swarm"
	swarmapi "github.com/moby/swarmkit/v2/api"

	"github.com/wharf/wharf/internal/cluster/convert"
	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/filters"
)

// Nodes answers GET /nodes.
func (c *Cluster) Nodes(ctx context.Context, f filters.Args) ([]types.Node, error) {
	if err := f.Validate("name", "id", "label", "role", "membership", "node.label"); err != nil {
		return nil, errs.Invalid("%v", err)
	}
	lf := &swarmapi.ListNodesRequest_Filters{
		NamePrefixes: f.Get("name"), IDPrefixes: f.Get("id"),
		Labels: labelMap(f.Get("label")), NodeLabels: labelMap(f.Get("node.label")),
	}
	for _, r := range f.Get("role") {
		v, ok := swarmapi.NodeRole_value[strings.ToUpper(r)]
		if !ok {
			return nil, errs.Invalid("Invalid role filter: '%s'", r)
		}
		lf.Roles = append(lf.Roles, swarmapi.NodeRole(v))
	}
	for _, m := range f.Get("membership") {
		v, ok := swarmapi.NodeSpec_Membership_value[strings.ToUpper(m)]
		if !ok {
			return nil, errs.Invalid("Invalid membership filter: '%s'", m)
		}
		lf.Memberships = append(lf.Memberships, swarmapi.NodeSpec_Membership(v))
	}
	ctx, st, done, err := c.call(ctx)
	defer done()
	if err != nil {
		return nil, err
	}
	r, err := st.control.ListNodes(ctx, &swarmapi.ListNodesRequest{Filters: lf})
	if err != nil {
		return nil, fromGRPC(err)
	}
	out := make([]types.Node, 0, len(r.Nodes))
	for _, n := range r.Nodes {
		out = append(out, convert.NodeFromGRPC(*n))
	}
	return out, nil
}

// nodeRef resolves "self", which the docker CLI's node commands accept,
// to this node's ID.
func nodeRef(st state, ref string) string {
	if ref == "self" && st.node != nil {
		return st.node.NodeID()
	}
	return ref
}

// Node answers GET /nodes/{id}.
func (c *Cluster) Node(ctx context.Context, ref string) (types.Node, error) {
	ctx, st, done, err := c.call(ctx)
	defer done()
	if err != nil {
		return types.Node{}, err
	}
	n, err := getNode(ctx, st.control, nodeRef(st, ref))
	if err != nil {
		return types.Node{}, err
	}
	return convert.NodeFromGRPC(*n), nil
}

// UpdateNode answers POST /nodes/{id}/update (availability, role,
// labels).
func (c *Cluster) UpdateNode(ctx context.Context, ref string, version uint64, spec types.NodeSpec) error {
	ctx, st, done, err := c.call(ctx)
	defer done()
	if err != nil {
		return err
	}
	ns, err := convert.NodeSpecToGRPC(spec)
	if err != nil {
		return errs.Invalid("%v", err)
	}
	n, err := getNode(ctx, st.control, nodeRef(st, ref))
	if err != nil {
		return err
	}
	_, err = st.control.UpdateNode(ctx, &swarmapi.UpdateNodeRequest{NodeID: n.ID, Spec: &ns, NodeVersion: &swarmapi.Version{Index: version}})
	return fromGRPC(err)
}

// RemoveNode answers DELETE /nodes/{id}.
func (c *Cluster) RemoveNode(ctx context.Context, ref string, force bool) error {
	ctx, st, done, err := c.call(ctx)
	defer done()
	if err != nil {
		return err
	}
	n, err := getNode(ctx, st.control, nodeRef(st, ref))
	if err != nil {
		return err
	}
	_, err = st.control.RemoveNode(ctx, &swarmapi.RemoveNodeRequest{NodeID: n.ID, Force: force})
	return fromGRPC(err)
}

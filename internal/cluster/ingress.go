package cluster

import (
	"context"

	swarmapi "github.com/moby/swarmkit/v2/api"
)

// reattachNodes makes the managers' allocator look at every node again
// after an ingress network is created: swarmkit gives a node its address
// on the new ingress network (its routing mesh sandbox) only when the
// node object changes or a task lands on it, so a node without tasks
// would publish nothing. Rewriting each node's spec unchanged is such a
// change. A node changed meanwhile (its status) is retried once.
func (c *Cluster) reattachNodes(ctx context.Context, control swarmapi.ControlClient) {
	r, err := control.ListNodes(ctx, &swarmapi.ListNodesRequest{})
	if err != nil {
		c.cfg.Log.Warn("routing mesh: listing nodes for the new ingress network", "err", err)
		return
	}
	for _, n := range r.Nodes {
		for try := 0; try < 2; try++ {
			if try > 0 {
				g, err := control.GetNode(ctx, &swarmapi.GetNodeRequest{NodeID: n.ID})
				if err != nil {
					break
				}
				n = g.Node
			}
			v := n.Meta.Version
			if _, err = control.UpdateNode(ctx, &swarmapi.UpdateNodeRequest{NodeID: n.ID, NodeVersion: &v, Spec: &n.Spec}); err == nil {
				break
			}
		}
		if err != nil {
			c.cfg.Log.Warn("routing mesh: node not reattached to the new ingress network", "node", n.ID, "err", err)
		}
	}
}

package cluster

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	swarmapi "github.com/moby/swarmkit/v2/api"
	"google.golang.org/grpc"
)

// nodesControl is a control API holding nodes whose updates are counted;
// the first update of node "busy" meets a version conflict.
type nodesControl struct {
	swarmapi.ControlClient
	nodes   map[string]*swarmapi.Node
	updates map[string]int
	busy    bool
}

func (c *nodesControl) ListNodes(context.Context, *swarmapi.ListNodesRequest, ...grpc.CallOption) (*swarmapi.ListNodesResponse, error) {
	r := &swarmapi.ListNodesResponse{}
	for _, n := range c.nodes {
		r.Nodes = append(r.Nodes, n.Copy())
	}
	return r, nil
}

func (c *nodesControl) GetNode(_ context.Context, r *swarmapi.GetNodeRequest, _ ...grpc.CallOption) (*swarmapi.GetNodeResponse, error) {
	return &swarmapi.GetNodeResponse{Node: c.nodes[r.NodeID].Copy()}, nil
}

func (c *nodesControl) UpdateNode(_ context.Context, r *swarmapi.UpdateNodeRequest, _ ...grpc.CallOption) (*swarmapi.UpdateNodeResponse, error) {
	n := c.nodes[r.NodeID]
	if r.NodeID == "busy" && !c.busy {
		c.busy = true
		n.Meta.Version.Index++ // its status changed meanwhile
	}
	if r.NodeVersion.Index != n.Meta.Version.Index {
		return nil, errors.New("update out of sequence")
	}
	n.Meta.Version.Index++
	n.Spec = *r.Spec.Copy()
	c.updates[r.NodeID]++
	return &swarmapi.UpdateNodeResponse{Node: n.Copy()}, nil
}

func TestReattachNodesTouchesEveryNode(t *testing.T) {
	c := &Cluster{cfg: Config{Log: slog.New(slog.DiscardHandler)}}
	ctl := &nodesControl{updates: map[string]int{}, nodes: map[string]*swarmapi.Node{
		"a":    {ID: "a", Spec: swarmapi.NodeSpec{Availability: swarmapi.NodeAvailabilityActive}},
		"busy": {ID: "busy", Spec: swarmapi.NodeSpec{Annotations: swarmapi.Annotations{Labels: map[string]string{"k": "v"}}}},
	}}
	c.reattachNodes(context.Background(), ctl)
	if ctl.updates["a"] != 1 || ctl.updates["busy"] != 1 {
		t.Errorf("updates: %v", ctl.updates)
	}
	if ctl.nodes["busy"].Spec.Annotations.Labels["k"] != "v" || ctl.nodes["a"].Spec.Availability != swarmapi.NodeAvailabilityActive {
		t.Error("a node's spec changed")
	}
}

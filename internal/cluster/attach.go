package cluster

import (
	"context"
	"errors"
	"fmt"

	"github.com/containerd/errdefs"

	"github.com/wharf/wharf/internal/errs"
)

// Attachable overlay networks: a container that is no task joins one
// through a network-attachment task the managers create for this node
// (swarmkit's ResourceAllocator, as dockerd's AttachNetwork), which the
// allocator gives an address and the dispatcher sends to this node's
// executor. Any node may ask, a worker included.

// InSwarm reports whether this node has a running swarm agent (it may
// attach containers to swarm networks).
func (c *Cluster) InSwarm() bool {
	_, st := c.current()
	return st.node != nil && st.node.Agent() != nil
}

// AttachNetwork asks the managers for an attachment of container
// containerID to the network target (a name or ID) with the addresses
// asked for (none: any), and returns the attachment task's ID.
func (c *Cluster) AttachNetwork(ctx context.Context, target, containerID string, addresses []string) (string, error) {
	_, st := c.current()
	if st.node == nil || st.node.Agent() == nil {
		return "", errs.NotFound("network %s not found", target)
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	id, err := st.node.Agent().ResourceAllocator().AttachNetwork(ctx, containerID, target, addresses)
	if err != nil {
		err = fromGRPC(err)
		if errdefs.IsNotFound(err) {
			return "", errs.NotFound("network %s not found", target)
		}
		// dockerd's words around the managers' answer.
		//lint:ignore ST1005 dockerd's wording
		return "", errs.Wrap(kindOf(err), fmt.Errorf("Could not attach to network %s: %w", target, err))
	}
	return id, nil
}

// DetachNetwork gives an attachment back: the managers delete its task
// and free its address.
func (c *Cluster) DetachNetwork(ctx context.Context, attachmentID string) error {
	_, st := c.current()
	if st.node == nil || st.node.Agent() == nil {
		return errNoSwarm
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	err := fromGRPC(st.node.Agent().ResourceAllocator().DetachNetwork(ctx, attachmentID))
	if errdefs.IsNotFound(err) {
		return nil
	}
	return err
}

// kindOf is err's errdefs kind, or unknown.
func kindOf(err error) error {
	for _, k := range []error{errdefs.ErrPermissionDenied, errdefs.ErrInvalidArgument, errdefs.ErrUnavailable, errdefs.ErrConflict, errdefs.ErrFailedPrecondition} {
		if errors.Is(err, k) {
			return k
		}
	}
	return errdefs.ErrUnknown
}

package cluster

import (
	"errors"

	"github.com/containerd/errdefs"
	"github.com/moby/swarmkit/v2/manager/state/store"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/wharf/wharf/internal/errs"
)

// docker's words for the states a swarm verb can find this node in.
//
//lint:file-ignore ST1005 dockerd's wording
var (
	errNoSwarm     = errs.Wrap(errdefs.ErrUnavailable, errors.New("This node is not part of a swarm"))
	errSwarmExists = errs.Wrap(errdefs.ErrUnavailable, errors.New(`This node is already part of a swarm. Use "docker swarm leave" to leave this swarm and join another one.`))
	errNotInSwarm  = errs.Wrap(errdefs.ErrUnavailable, errors.New(`This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.`))
	errNotManager  = errs.Wrap(errdefs.ErrUnavailable, errors.New("This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state. Please run this command on a manager node or promote the current node to a manager."))
	errPreparing   = errs.Wrap(errdefs.ErrUnavailable, errors.New("This node is not a swarm manager. Manager is being prepared or has trouble connecting to the cluster."))
	errLocked      = errs.Wrap(errdefs.ErrUnavailable, errors.New(`Swarm is encrypted and needs to be unlocked before it can be used. Please use "docker swarm unlock" to unlock it.`))
	errJoinTimeout = errs.Wrap(errdefs.ErrUnavailable, errors.New(`Timeout was reached before node joined. The attempt to join the swarm will continue in the background. Use the "docker info" command to see the current swarm status of your node.`))
	errNotLocked   = errs.Wrap(errdefs.ErrConflict, errors.New("swarm is not locked"))
	errBadUnlock   = errs.Wrap(errdefs.ErrUnauthenticated, errors.New("swarm could not be unlocked: invalid key provided"))
)

// fromGRPC gives a swarmkit error the kind of its gRPC code, keeping the
// "rpc error: code = ... desc = ..." words docker shows.
func fromGRPC(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	switch st.Code() {
	case codes.NotFound:
		return errs.Wrap(errdefs.ErrNotFound, err)
	case codes.InvalidArgument:
		return errs.Wrap(errdefs.ErrInvalidArgument, err)
	case codes.AlreadyExists:
		return errs.Wrap(errdefs.ErrConflict, err)
	case codes.FailedPrecondition:
		return errs.Wrap(errdefs.ErrFailedPrecondition, err)
	case codes.Unavailable:
		return errs.Wrap(errdefs.ErrUnavailable, err)
	case codes.PermissionDenied:
		return errs.Wrap(errdefs.ErrPermissionDenied, err)
	case codes.Unimplemented:
		return errs.Wrap(errdefs.ErrNotImplemented, err)
	case codes.DeadlineExceeded:
		return errs.Wrap(errdefs.ErrUnavailable, err)
	case codes.Unknown:
		// An update whose version another update overtook: dockerd
		// answers 500, yet it is the client's to retry with the new
		// version, a conflict (the stress test races scale on one
		// service).
		if st.Message() == store.ErrSequenceConflict.Error() {
			return errs.Wrap(errdefs.ErrConflict, err)
		}
	}
	return err
}

var errUnavailable = errdefs.ErrUnavailable

func errorsIs(err, target error) bool { return err != nil && errors.Is(err, target) }

package container

import (
	"context"
	"testing"

	"github.com/containerd/errdefs"

	"github.com/wharf/wharf/internal/api/apitest"
	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/errs"
)

// runningContainers refuses every removal: its containers run.
type runningContainers struct {
	Backend
	paused bool
}

func (f runningContainers) Remove(ctx context.Context, ref string, o backend.ContainerRemoveOptions) error {
	return errs.Wrap(errdefs.ErrConflict, &backend.ContainerRunningError{ID: "0123abcd", Name: "/" + ref, Paused: f.paused})
}

// TestRemoveRunningWords: clients before API 1.44 get dockerd 20.10's
// words (docker-py 5 looks for them), newer ones dockerd 25's.
func TestRemoveRunningWords(t *testing.T) {
	ts := newTestServer(t, runningContainers{})
	apitest.CheckErrors(t, ts, []apitest.ErrorCase{
		{Method: "DELETE", Path: "/v1.41/containers/web", Status: 409, Message: "You cannot remove a running container 0123abcd. Stop the container before attempting removal or force remove"},
		{Method: "DELETE", Path: "/v1.44/containers/web", Status: 409, Message: `cannot remove container "/web": container is running: stop the container before removing or force remove`},
		{Method: "DELETE", Path: "/containers/web", Status: 409, Message: `cannot remove container "/web": container is running`},
	})
	ts = newTestServer(t, runningContainers{paused: true})
	apitest.CheckErrors(t, ts, []apitest.ErrorCase{
		{Method: "DELETE", Path: "/v1.43/containers/web", Status: 409, Message: "You cannot remove a paused container 0123abcd. Unpause and then stop the container before attempting removal or force remove"},
		{Method: "DELETE", Path: "/v1.51/containers/web", Status: 409, Message: `cannot remove container "/web": container is paused and must be unpaused first`},
	})
}

package cri

import (
	"errors"

	"github.com/containerd/errdefs"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/wharf/wharf/internal/errs"
)

// checkUserns refuses the user namespace options wharf cannot honour.
// Pods run in the host's user namespace (mode NODE, the default). A pod
// of its own user namespace (mode POD: the kubelet's hostUsers: false)
// is refused rather than run as the host's root: Status does not
// advertise user namespaces, so the kubelet does not ask for them.
// Options that no runtime accepts (CONTAINER and TARGET modes, mappings
// that are not one range each for uids and gids starting at container
// id 0) are InvalidArgument, as with containerd.
func checkUserns(u *runtimeapi.UserNamespace) error {
	if u == nil {
		return nil // the host's
	}
	switch u.GetMode() {
	case runtimeapi.NamespaceMode_NODE:
		if len(u.GetUids()) > 0 || len(u.GetGids()) > 0 {
			return errs.Invalid("user namespace mode NODE takes no id mappings")
		}
		return nil
	case runtimeapi.NamespaceMode_POD:
		for _, m := range [][]*runtimeapi.IDMapping{u.GetUids(), u.GetGids()} {
			if len(m) != 1 {
				return errs.Invalid("a pod user namespace needs exactly one uid and one gid mapping, not %d", len(m))
			}
			if m[0].GetContainerId() != 0 || m[0].GetLength() == 0 {
				return errs.Invalid("a pod user namespace's mapping must map container id 0 (got %d, length %d)", m[0].GetContainerId(), m[0].GetLength())
			}
		}
		return errs.Wrap(errdefs.ErrNotImplemented, errors.New("pods in user namespaces of their own (hostUsers: false) are not supported by this runtime"))
	default:
		return errs.Invalid("user namespace mode %s is not supported for a pod", u.GetMode())
	}
}

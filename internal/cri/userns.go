package cri

import (
	"errors"
	"slices"

	"github.com/containerd/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/wharf/wharf/internal/errs"
)

// A pod of its own user namespace (mode POD: the kubelet's hostUsers:
// false) runs as containerd runs it. The user namespace is made first,
// with the kubelet's mappings, and the pod's network, IPC and UTS
// namespaces are made inside it (one clone, podns.go), so that they
// belong to it: the containers' root can then mount /sys and /dev/mqueue
// and set the host name, and the CNI plugins, run as the host's root,
// still configure the network namespace. Every container joins the
// user namespace by path, with the same mappings in its spec as runc
// requires; its root file system's image layers are ID-mapped (the
// container service's rootfs.go) and the CRI mounts that carry the
// pod's mappings, as the kubelet sends every mount of such a pod, are
// ID-mapped binds. A mount without mappings is a plain bind: what the
// pod's root writes there belongs to the mapping's host ids.

// minUsernsLength is the fewest ids a pod's mapping may cover: the
// kubelet gives every pod 65536, and the process holding a pod-wide PID
// namespace runs as nobody (65534), which must be mapped.
const minUsernsLength = 65536

// podIDMap is a pod user namespace's mappings: one range each, from
// container id 0.
type podIDMap struct {
	UID, GID specs.LinuxIDMapping
}

// uidMaps and gidMaps are the mappings as the spec and exec take them.
func (m *podIDMap) uidMaps() []specs.LinuxIDMapping { return []specs.LinuxIDMapping{m.UID} }
func (m *podIDMap) gidMaps() []specs.LinuxIDMapping { return []specs.LinuxIDMapping{m.GID} }

// parseUserns checks a pod's user namespace options: nil for the host's
// (no options or mode NODE), else its mappings. Options that no runtime
// accepts (CONTAINER and TARGET modes, mappings that are not one range
// each for uids and gids starting at container id 0) are
// InvalidArgument, as with containerd; so are mappings onto the host's
// root or too small for the pod's processes.
func parseUserns(u *runtimeapi.UserNamespace) (*podIDMap, error) {
	if u == nil {
		return nil, nil // the host's
	}
	switch u.GetMode() {
	case runtimeapi.NamespaceMode_NODE:
		if len(u.GetUids()) > 0 || len(u.GetGids()) > 0 {
			return nil, errs.Invalid("user namespace mode NODE takes no id mappings")
		}
		return nil, nil
	case runtimeapi.NamespaceMode_POD:
	default:
		return nil, errs.Invalid("user namespace mode %s is not supported for a pod", u.GetMode())
	}
	var out [2]specs.LinuxIDMapping
	for i, m := range [][]*runtimeapi.IDMapping{u.GetUids(), u.GetGids()} {
		kind := [2]string{"uid", "gid"}[i]
		if len(m) != 1 {
			return nil, errs.Invalid("a pod user namespace needs exactly one %s mapping, not %d", kind, len(m))
		}
		c, h, n := m[0].GetContainerId(), m[0].GetHostId(), m[0].GetLength()
		switch {
		case c != 0:
			return nil, errs.Invalid("a pod user namespace's %s mapping must map container id 0 (got %d, length %d)", kind, c, n)
		case n < minUsernsLength:
			return nil, errs.Invalid("a pod user namespace's %s mapping must map at least %d ids (got %d)", kind, minUsernsLength, n)
		case h == 0:
			return nil, errs.Invalid("a pod user namespace's %s mapping must not map onto the host's root", kind)
		case uint64(h)+uint64(n) > 1<<32-1:
			return nil, errs.Invalid("a pod user namespace's %s mapping %d+%d goes beyond the last id", kind, h, n)
		}
		out[i] = specs.LinuxIDMapping{ContainerID: c, HostID: h, Size: n}
	}
	return &podIDMap{UID: out[0], GID: out[1]}, nil
}

// checkPodUserns parses a pod's user namespace options and refuses
// mode POD when the runtime cannot run it (a runc without ID-mapped
// mounts: Status does not advertise the feature then) and with any of
// the host's namespaces, which a pod of its own user namespace cannot
// own (the kubelet refuses hostUsers: false with hostNetwork, hostIPC
// and hostPID too).
func (s *Server) checkPodUserns(cfg *runtimeapi.PodSandboxConfig) (*podIDMap, error) {
	nsOpts := cfg.GetLinux().GetSecurityContext().GetNamespaceOptions()
	m, err := parseUserns(nsOpts.GetUsernsOptions())
	if err != nil || m == nil {
		return nil, err
	}
	if !s.cfg.UserNamespaces {
		return nil, errs.Wrap(errdefs.ErrNotImplemented, errors.New("pods in user namespaces of their own (hostUsers: false) need a runtime with ID-mapped mounts (runc 1.2 or later)"))
	}
	if nsOpts.GetNetwork() == runtimeapi.NamespaceMode_NODE || nsOpts.GetIpc() == runtimeapi.NamespaceMode_NODE || nsOpts.GetPid() == runtimeapi.NamespaceMode_NODE {
		return nil, errs.Invalid("a pod in a user namespace of its own cannot use the host's network, IPC or PID namespace")
	}
	return m, nil
}

// containerUserns checks a container's user namespace options against
// its pod's: none means the pod's (a container of such a pod never runs
// in the host's user namespace); given, they must be the pod's.
func containerUserns(pod *podIDMap, u *runtimeapi.UserNamespace) error {
	m, err := parseUserns(u)
	if err != nil || u == nil {
		return err
	}
	if pod == nil && m == nil {
		return nil
	}
	if pod == nil || m == nil || *pod != *m {
		return errs.Invalid("a container's user namespace must be its pod's")
	}
	return nil
}

// mountIDMapped tells whether a CRI mount is to be ID-mapped: the
// kubelet gives every mount of a pod in its own user namespace the
// pod's mappings. Other mappings, or mappings in a pod of the host's
// user namespace, are refused.
func mountIDMapped(pod *podIDMap, m *runtimeapi.Mount) (bool, error) {
	uids, gids := m.GetUidMappings(), m.GetGidMappings()
	if len(uids) == 0 && len(gids) == 0 {
		return false, nil
	}
	if pod == nil {
		return false, errs.Invalid("mount %s: ID-mapped mounts need a pod in a user namespace of its own", m.GetContainerPath())
	}
	same := func(ms []*runtimeapi.IDMapping, want specs.LinuxIDMapping) bool {
		return len(ms) == 1 && ms[0].GetContainerId() == want.ContainerID && ms[0].GetHostId() == want.HostID && ms[0].GetLength() == want.Size
	}
	if !same(uids, pod.UID) || !same(gids, pod.GID) {
		return false, errs.Invalid("mount %s: ID mappings other than the pod's user namespace's are not supported", m.GetContainerPath())
	}
	return true, nil
}

// idMapped lists the container paths of the mounts to ID-map.
func idMapped(pod *podIDMap, ms []*runtimeapi.Mount) ([]string, error) {
	var out []string
	for _, m := range ms {
		ok, err := mountIDMapped(pod, m)
		if err != nil {
			return nil, err
		}
		if ok && !slices.Contains(out, m.GetContainerPath()) {
			out = append(out, m.GetContainerPath())
		}
	}
	return out, nil
}

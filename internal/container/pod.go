package container

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/filters"
)

// Pod is what a container of a CRI pod sandbox has beyond docker's create
// body. Only wharfd's CRI server (internal/cri) sets it, through
// CreateInPod; the Engine API cannot.
type Pod struct {
	// Namespace is the store namespace the container lives in ("k8s.io",
	// as in containerd): docker's list and prune leave such containers
	// out unless the "namespace" filter names it, so nothing a docker user
	// does removes them by accident.
	Namespace string
	// NetNS, IPCNS and UTSNS are the sandbox's namespaces (bind-mounted
	// nsfs files) the container joins; "" gives it its own, or the
	// host's when the HostConfig's mode says host.
	NetNS, IPCNS, UTSNS string `json:",omitempty"`
	// PIDNS is a PID namespace to join (the pod's shared one, or another
	// container's); "" gives the container its own, or the host's when
	// the HostConfig's PidMode says host.
	PIDNS string `json:",omitempty"`
	// ShmDir is the pod's /dev/shm (a tmpfs the CRI mounted, or the
	// host's for a pod on the host's IPC namespace), bound at the
	// container's; "" gives the container a tmpfs of its own.
	ShmDir string `json:",omitempty"`
	// EtcDir holds the pod's hosts and resolv.conf, which every
	// container of the pod sees; "" makes them as for docker's.
	EtcDir string `json:",omitempty"`
	// StrictGroups is the CRI's SupplementalGroupsPolicy Strict: the
	// process's groups are its primary group and the HostConfig's
	// GroupAdd only, not the user's memberships in the image's /etc/group.
	StrictGroups bool `json:",omitempty"`
	// LogPath is where conmon writes the CRI (k8s-file) log, the path
	// the kubelet asked for; "" keeps it in the container's directory.
	LogPath string `json:",omitempty"`
	// UserNS is the pod's own user namespace (a bind-mounted nsfs file)
	// the container joins, and UIDMap and GIDMap its mappings (for its
	// ID-mapped mounts; runc reads the namespace's own); "" is the host's. The root file
	// system's layers are then ID-mapped (rootfs.go), as are the mounts
	// whose destinations IDMapped lists (the CRI's mounts that carry the
	// pod's mappings).
	UserNS         string                 `json:",omitempty"`
	UIDMap, GIDMap []specs.LinuxIDMapping `json:",omitempty"`
	IDMapped       []string               `json:",omitempty"`
}

// userns is the pod's user namespace c joins; nil: the host's.
func (c *Container) userns() *Pod {
	if c.Pod == nil || c.Pod.UserNS == "" {
		return nil
	}
	return c.Pod
}

// CreateInPod creates a container of a CRI pod: Create, plus the pod's
// namespaces, files and log path.
func (s *Service) CreateInPod(ctx context.Context, o CreateOptions, pod Pod) (container.CreateResponse, error) {
	if pod.Namespace == "" {
		return container.CreateResponse{}, errs.Invalid("a pod's container needs a store namespace")
	}
	if pod.LogPath != "" && !filepath.IsAbs(pod.LogPath) {
		return container.CreateResponse{}, errs.Invalid("log path %q is not absolute", pod.LogPath)
	}
	if pod.UserNS != "" && (!filepath.IsAbs(pod.UserNS) || hostRoot(pod.UIDMap) == 0 || hostRoot(pod.GIDMap) == 0) {
		return container.CreateResponse{}, errs.Invalid("a pod's user namespace needs an absolute path and uid and gid mappings of its root onto an id other than the host's root")
	}
	return s.create(ctx, o, &pod)
}

// strictGroups: c's processes get no groups from the image's /etc/group.
func (c *Container) strictGroups() bool { return c.Pod != nil && c.Pod.StrictGroups }

// namespace is c's store namespace; "" for docker's containers.
func (c *Container) namespace() string {
	if c.Pod == nil {
		return ""
	}
	return c.Pod.Namespace
}

// logPath is where c's log is written and read.
func (s *Service) logPath(c *Container) string {
	if c.Pod != nil && c.Pod.LogPath != "" {
		return c.Pod.LogPath
	}
	return filepath.Join(s.dir(c.ID), "container.log")
}

// podEtcFiles copies the pod's hosts and resolv.conf over the ones
// writeEtcFiles made for c.
func (s *Service) podEtcFiles(c *Container) error {
	if c.Pod == nil || c.Pod.EtcDir == "" {
		return nil
	}
	for _, f := range []string{"hosts", "resolv.conf"} {
		data, err := os.ReadFile(filepath.Join(c.Pod.EtcDir, f))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(s.dir(c.ID), f), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// inNamespace: without a "namespace" filter only docker's own containers
// are listed (a pod's are the CRI's to manage); with one, those of the
// namespaces it names ("" is docker's: --filter namespace=).
func inNamespace(f filters.Args, c *Container) bool {
	if !f.Has("namespace") {
		return c.namespace() == ""
	}
	return slices.Contains(f.Get("namespace"), c.namespace())
}

// ReopenLog makes conmon reopen the container's log file, after the
// kubelet has rotated it away, through conmon's control FIFO ("2": reopen
// the logs), as CRI-O does for ReopenContainerLog.
func (s *Service) ReopenLog(ctx context.Context, ref string) error {
	c, err := s.get(ref)
	if err != nil {
		return err
	}
	if err := s.sendReopen(c); err != nil {
		return err
	}
	// conmon reopens when it reads the message; the kubelet expects the
	// new file once the call returns.
	path := s.logPath(c)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("reopen log: %s did not appear: %w", path, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// sendReopen writes conmon's reopen message, under c's lock (the run
// and its FIFO cannot go meanwhile).
func (s *Service) sendReopen(c *Container) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.State.Running {
		return errs.Conflict("container %s is not running", c.ID)
	}
	f, err := os.OpenFile(filepath.Join(s.bundle(c.ID), "ctl"), os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("reopen log: %w", err)
	}
	defer f.Close()
	_, err = fmt.Fprintf(f, "2 0 0\n")
	return err
}

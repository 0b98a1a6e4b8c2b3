package cri

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	containertypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/container"
	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/filters"
)

// Containers is what the CRI needs from the container service.
type Containers interface {
	CreateInPod(ctx context.Context, o backend.ContainerCreateOptions, pod container.Pod) (containertypes.CreateResponse, error)
	Start(ctx context.Context, ref string) error
	Stop(ctx context.Context, ref string, o backend.ContainerStopOptions) error
	Remove(ctx context.Context, ref string, o backend.ContainerRemoveOptions) error
	List(ctx context.Context, o backend.ContainerListOptions) ([]containertypes.Summary, error)
	Inspect(ctx context.Context, ref string, size bool) (containertypes.InspectResponse, error)
	ExecCreate(ctx context.Context, ref string, cfg containertypes.ExecCreateRequest) (string, error)
	ExecStart(ctx context.Context, id string, o backend.ExecStartOptions) error
	ExecInspect(ctx context.Context, id string) (containertypes.ExecInspectResponse, error)
}

// The CRI's own facts about a container are kept in its labels (as
// cri-dockerd does): they survive a restart with the container's record,
// and the kubelet never sees them (criLabels strips them).
const (
	labelPrefix      = "io.wharf.cri."
	labelSandboxID   = labelPrefix + "sandbox-id"
	labelName        = labelPrefix + "name"
	labelAttempt     = labelPrefix + "attempt"
	labelImage       = labelPrefix + "image"
	labelAnnotations = labelPrefix + "annotations"
)

// CreateContainer creates a container in a ready sandbox: it joins the
// pod's namespaces and writes its log where the kubelet asks.
func (s *Server) CreateContainer(ctx context.Context, req *runtimeapi.CreateContainerRequest) (*runtimeapi.CreateContainerResponse, error) {
	cfg := req.GetConfig()
	if cfg.GetMetadata().GetName() == "" {
		return nil, errs.Invalid("container config needs a metadata name")
	}
	if cfg.GetImage().GetImage() == "" {
		return nil, errs.Invalid("container config needs an image")
	}
	sb, err := s.getSandbox(req.GetPodSandboxId())
	if err != nil {
		return nil, err
	}
	if !sb.Ready {
		return nil, errs.Conflict("pod sandbox %s is not ready", sb.ID)
	}
	if err := containerUserns(sb.Userns, cfg.GetLinux().GetSecurityContext().GetNamespaceOptions().GetUsernsOptions()); err != nil {
		return nil, err
	}
	idmapped, err := idMapped(sb.Userns, cfg.GetMounts())
	if err != nil {
		return nil, err
	}
	o, err := createOptions(sb, cfg)
	if err != nil {
		return nil, err
	}
	// The pod's runtime handler (its RuntimeClass) runs its containers.
	if o.HostConfig.Runtime, err = s.ociRuntime(sb.RuntimeHandler); err != nil {
		return nil, err
	}
	if sb.Userns != nil && o.HostConfig.Runtime == "" {
		o.HostConfig.Runtime = s.cfg.UsernsRuntime
	}
	pod := container.Pod{
		Namespace:    Namespace,
		NetNS:        sb.Namespaces.Net,
		IPCNS:        sb.Namespaces.IPC,
		UTSNS:        sb.Namespaces.UTS,
		ShmDir:       sb.Namespaces.Shm,
		EtcDir:       s.sandboxDir(sb.ID),
		StrictGroups: cfg.GetLinux().GetSecurityContext().GetSupplementalGroupsPolicy() == runtimeapi.SupplementalGroupsPolicy_Strict,
	}
	if sb.Userns != nil {
		pod.UserNS, pod.UIDMap, pod.GIDMap, pod.IDMapped = sb.Namespaces.User, sb.Userns.uidMaps(), sb.Userns.gidMaps(), idmapped
	}
	if pod.PIDNS, err = s.pidNamespace(ctx, sb, cfg.GetLinux().GetSecurityContext().GetNamespaceOptions()); err != nil {
		return nil, err
	}
	if dir, p := sb.config.GetLogDirectory(), cfg.GetLogPath(); dir != "" && p != "" {
		pod.LogPath = filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(pod.LogPath), 0o755); err != nil {
			return nil, err
		}
	}
	if err := makeBindSources(cfg.GetMounts()); err != nil {
		return nil, err
	}
	resp, err := s.cfg.Containers.CreateInPod(ctx, o, pod)
	if err != nil {
		return nil, err
	}
	return &runtimeapi.CreateContainerResponse{ContainerId: resp.ID}, nil
}

// pidNamespace is the PID namespace a container of sb joins: the pod's
// for mode POD, the target container's for TARGET (kubectl debug's
// ephemeral containers); "" for its own or the host's.
func (s *Server) pidNamespace(ctx context.Context, sb *sandbox, opts *runtimeapi.NamespaceOption) (string, error) {
	switch opts.GetPid() {
	case runtimeapi.NamespaceMode_POD:
		return sb.Namespaces.PID, nil
	case runtimeapi.NamespaceMode_TARGET:
		id, err := s.podContainer(ctx, opts.GetTargetId())
		if err != nil {
			return "", err
		}
		c, err := s.cfg.Containers.Inspect(ctx, id, false)
		if err != nil {
			return "", err
		}
		if c.State == nil || !c.State.Running || c.State.Pid == 0 {
			return "", errs.Conflict("target container %s is not running", id)
		}
		return fmt.Sprintf("/proc/%d/ns/pid", c.State.Pid), nil
	}
	return "", nil
}

// containerName is the kubelet's unique name for a container, as
// dockershim and cri-dockerd named them. Names are at most 255
// characters (the container service's limit): a longer one keeps its
// start and ends in a hash of the whole, so it stays unique.
func containerName(sb *sandbox, md *runtimeapi.ContainerMetadata) string {
	pm := sb.config.GetMetadata()
	name := strings.Join([]string{"k8s", md.GetName(), pm.GetName(), pm.GetNamespace(), pm.GetUid(), strconv.FormatUint(uint64(md.GetAttempt()), 10)}, "_")
	if len(name) <= maxNameLen {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return name[:maxNameLen-33] + "_" + hex.EncodeToString(sum[:16])
}

const maxNameLen = 255

// createOptions maps the CRI's container config onto docker's create body.
func createOptions(sb *sandbox, cfg *runtimeapi.ContainerConfig) (backend.ContainerCreateOptions, error) {
	labels := map[string]string{}
	for k, v := range cfg.GetLabels() {
		labels[k] = v
	}
	annotations, err := json.Marshal(cfg.GetAnnotations())
	if err != nil {
		return backend.ContainerCreateOptions{}, err
	}
	labels[labelSandboxID] = sb.ID
	labels[labelName] = cfg.GetMetadata().GetName()
	labels[labelAttempt] = strconv.FormatUint(uint64(cfg.GetMetadata().GetAttempt()), 10)
	labels[labelImage] = cfg.GetImage().GetImage()
	labels[labelAnnotations] = string(annotations)

	c := &containertypes.Config{
		Image:      cfg.GetImage().GetImage(),
		Entrypoint: cfg.GetCommand(),
		Cmd:        cfg.GetArgs(),
		WorkingDir: cfg.GetWorkingDir(),
		Tty:        cfg.GetTty(),
		OpenStdin:  cfg.GetStdin(),
		StdinOnce:  cfg.GetStdinOnce(),
		Labels:     labels,
	}
	if !sb.hostNetwork() {
		c.Hostname = sb.Hostname
	}
	for _, kv := range cfg.GetEnvs() {
		c.Env = append(c.Env, kv.GetKey()+"="+string(kv.GetValue()))
	}
	hc := &containertypes.HostConfig{
		NetworkMode: "none",
		Sysctls:     sb.config.GetLinux().GetSysctls(),
		LogConfig:   containertypes.LogConfig{Type: "json-file"},
	}
	hc.CgroupParent = sb.config.GetLinux().GetCgroupParent()
	if sb.hostNetwork() {
		hc.NetworkMode = "host"
	}
	nsOpts := sb.config.GetLinux().GetSecurityContext().GetNamespaceOptions()
	if nsOpts.GetIpc() == runtimeapi.NamespaceMode_NODE {
		hc.IpcMode = "host"
	}
	// PID mode POD joins the pod's namespace when the pod has one (its
	// own mode POD: podpid.go), CONTAINER gets one of its own, TARGET
	// another container's (CreateContainer), NODE the host's.
	if cfg.GetLinux().GetSecurityContext().GetNamespaceOptions().GetPid() == runtimeapi.NamespaceMode_NODE {
		hc.PidMode = "host"
	}
	if err := securityContext(c, hc, cfg.GetLinux().GetSecurityContext()); err != nil {
		return backend.ContainerCreateOptions{}, err
	}
	resourcesOf(hc, cfg.GetLinux().GetResources())
	for _, m := range cfg.GetMounts() {
		bm, err := bindMount(m)
		if err != nil {
			return backend.ContainerCreateOptions{}, err
		}
		hc.Mounts = append(hc.Mounts, bm)
	}
	for _, d := range cfg.GetDevices() {
		hc.Devices = append(hc.Devices, containertypes.DeviceMapping{PathOnHost: d.GetHostPath(), PathInContainer: d.GetContainerPath(), CgroupPermissions: d.GetPermissions()})
	}
	return backend.ContainerCreateOptions{Name: containerName(sb, cfg.GetMetadata()), Config: c, HostConfig: hc}, nil
}

// securityContext maps the container's security context: user and
// groups, capabilities, privileged, read-only root, no-new-privileges,
// seccomp unconfined.
func securityContext(c *containertypes.Config, hc *containertypes.HostConfig, sc *runtimeapi.LinuxContainerSecurityContext) error {
	switch {
	case sc.GetRunAsUser() != nil:
		c.User = strconv.FormatInt(sc.GetRunAsUser().GetValue(), 10)
	case sc.GetRunAsUsername() != "":
		c.User = sc.GetRunAsUsername()
	}
	if g := sc.GetRunAsGroup(); g != nil {
		if c.User == "" {
			return errs.Invalid("run_as_group needs run_as_user or run_as_username")
		}
		c.User += ":" + strconv.FormatInt(g.GetValue(), 10)
	}
	for _, g := range sc.GetSupplementalGroups() {
		hc.GroupAdd = append(hc.GroupAdd, strconv.FormatInt(g, 10))
	}
	hc.Privileged = sc.GetPrivileged()
	hc.MaskedPaths = sc.GetMaskedPaths()
	hc.ReadonlyPaths = sc.GetReadonlyPaths()
	hc.ReadonlyRootfs = sc.GetReadonlyRootfs()
	hc.CapAdd = sc.GetCapabilities().GetAddCapabilities()
	hc.CapDrop = sc.GetCapabilities().GetDropCapabilities()
	if sc.GetNoNewPrivs() {
		hc.SecurityOpt = append(hc.SecurityOpt, "no-new-privileges")
	}
	opt, err := seccompOpt(sc.GetSeccomp(), sc.GetPrivileged())
	if err != nil {
		return err
	}
	hc.SecurityOpt = append(hc.SecurityOpt, opt)
	return nil
}

// seccompOpt is docker's --security-opt for the CRI's seccomp profile:
// none is unconfined (the kubelet asks for RuntimeDefault explicitly), a
// Localhost profile is the JSON file at its absolute path on the host,
// read now as docker's CLI reads seccomp=FILE. A privileged container
// runs unconfined whatever it names, as with containerd and CRI-O.
func seccompOpt(p *runtimeapi.SecurityProfile, privileged bool) (string, error) {
	switch {
	case privileged || p == nil || p.GetProfileType() == runtimeapi.SecurityProfile_Unconfined:
		return "seccomp=unconfined", nil
	case p.GetProfileType() == runtimeapi.SecurityProfile_RuntimeDefault:
		return "seccomp=builtin", nil
	}
	ref := p.GetLocalhostRef()
	if !filepath.IsAbs(ref) {
		return "", errs.Invalid("seccomp localhost profile %q is not an absolute path", ref)
	}
	data, err := os.ReadFile(ref)
	if err != nil {
		return "", errs.Invalid("seccomp localhost profile: %v", err)
	}
	return "seccomp=" + string(data), nil
}

// resourcesOf maps the CRI's Linux resources onto docker's.
func resourcesOf(hc *containertypes.HostConfig, r *runtimeapi.LinuxContainerResources) {
	if r == nil {
		return
	}
	hc.CPUShares = r.GetCpuShares()
	hc.CPUPeriod = r.GetCpuPeriod()
	hc.CPUQuota = r.GetCpuQuota()
	hc.Memory = r.GetMemoryLimitInBytes()
	if hc.Memory > 0 {
		hc.MemorySwap = hc.Memory // no swap, as the kubelet expects
	}
	hc.OomScoreAdj = int(r.GetOomScoreAdj())
	hc.CpusetCpus = r.GetCpusetCpus()
	hc.CpusetMems = r.GetCpusetMems()
}

// bindMount maps a CRI mount (always a bind) to docker's --mount. A
// recursive read-only one must be read-only and private, as the kubelet
// and containerd require.
func bindMount(m *runtimeapi.Mount) (mount.Mount, error) {
	prop := mount.PropagationRPrivate
	switch m.GetPropagation() {
	case runtimeapi.MountPropagation_PROPAGATION_HOST_TO_CONTAINER:
		prop = mount.PropagationRSlave
	case runtimeapi.MountPropagation_PROPAGATION_BIDIRECTIONAL:
		prop = mount.PropagationRShared
	}
	if m.GetRecursiveReadOnly() {
		if !m.GetReadonly() {
			return mount.Mount{}, errs.Invalid("mount %s: recursive_read_only needs readonly", m.GetContainerPath())
		}
		if prop != mount.PropagationRPrivate {
			return mount.Mount{}, errs.Invalid("mount %s: recursive_read_only needs private propagation, not %s", m.GetContainerPath(), m.GetPropagation())
		}
	}
	return mount.Mount{
		Type: mount.TypeBind, Source: m.GetHostPath(), Target: m.GetContainerPath(), ReadOnly: m.GetReadonly(),
		BindOptions: &mount.BindOptions{Propagation: prop, ReadOnlyForceRecursive: m.GetRecursiveReadOnly()},
	}, nil
}

// makeBindSources creates missing bind sources as directories, as
// containerd does: the kubelet expects a missing host path to appear.
func makeBindSources(ms []*runtimeapi.Mount) error {
	for _, m := range ms {
		if m.GetHostPath() == "" || !filepath.IsAbs(m.GetHostPath()) {
			return errs.Invalid("mount host path %q is not absolute", m.GetHostPath())
		}
		if _, err := os.Stat(m.GetHostPath()); os.IsNotExist(err) {
			if err := os.MkdirAll(m.GetHostPath(), 0o755); err != nil {
				return err
			}
		}
	}
	return nil
}

// StartContainer starts a created container.
func (s *Server) StartContainer(ctx context.Context, req *runtimeapi.StartContainerRequest) (*runtimeapi.StartContainerResponse, error) {
	id, err := s.podContainer(ctx, req.GetContainerId())
	if err != nil {
		return nil, err
	}
	c, err := s.cfg.Containers.Inspect(ctx, id, false)
	if err != nil {
		return nil, err
	}
	// Under its pod's key lock, which StopPodSandbox holds: a start
	// racing the pod's stop either comes first (and the stop ends it) or
	// finds the pod stopped, rather than joining a PID namespace whose
	// init is gone (runc: "Cannot allocate memory").
	if c.Config != nil {
		if sbID := c.Config.Labels[labelSandboxID]; sbID != "" {
			unlock := s.locks.Lock(sbID)
			defer unlock()
			if sb, err := s.getSandbox(sbID); err != nil || !sb.Ready {
				return nil, errs.Conflict("pod sandbox %s of container %s is not ready", sbID, id)
			}
		}
	}
	if err := s.cfg.Containers.Start(ctx, id); err != nil {
		return nil, err
	}
	return &runtimeapi.StartContainerResponse{}, nil
}

// StopContainer stops a container within its grace period (seconds);
// stopping a stopped one is no error.
func (s *Server) StopContainer(ctx context.Context, req *runtimeapi.StopContainerRequest) (*runtimeapi.StopContainerResponse, error) {
	id, err := s.podContainer(ctx, req.GetContainerId())
	if errdefs.IsNotFound(err) {
		return &runtimeapi.StopContainerResponse{}, nil
	}
	if err != nil {
		return nil, err
	}
	timeout := int(req.GetTimeout())
	if err := s.cfg.Containers.Stop(ctx, id, backend.ContainerStopOptions{Timeout: &timeout}); err != nil && !errs.Is(err, errdefs.ErrNotModified) && !errdefs.IsNotFound(err) {
		return nil, err
	}
	return &runtimeapi.StopContainerResponse{}, nil
}

// RemoveContainer removes a container, killing it if it runs; a missing
// one is no error.
func (s *Server) RemoveContainer(ctx context.Context, req *runtimeapi.RemoveContainerRequest) (*runtimeapi.RemoveContainerResponse, error) {
	id, err := s.podContainer(ctx, req.GetContainerId())
	if errdefs.IsNotFound(err) {
		return &runtimeapi.RemoveContainerResponse{}, nil
	}
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Containers.Remove(ctx, id, backend.ContainerRemoveOptions{Force: true}); err != nil && !errdefs.IsNotFound(err) {
		return nil, err
	}
	return &runtimeapi.RemoveContainerResponse{}, nil
}

// podContainer resolves ref (an id or unique prefix) to a container made
// through the CRI: docker's own containers are not the kubelet's.
func (s *Server) podContainer(ctx context.Context, ref string) (string, error) {
	if ref == "" {
		return "", errs.Invalid("no container id given")
	}
	list, err := s.listPodContainers(ctx, filters.Args{})
	if err != nil {
		return "", err
	}
	var found string
	for _, c := range list {
		if strings.HasPrefix(c.ID, ref) {
			if c.ID == ref {
				return c.ID, nil
			}
			if found != "" {
				return "", errs.Invalid("container id prefix %q is ambiguous", ref)
			}
			found = c.ID
		}
	}
	if found == "" {
		return "", errs.NotFound("container %q not found", ref)
	}
	return found, nil
}

// listPodContainers lists the CRI's containers (all states) matching f.
func (s *Server) listPodContainers(ctx context.Context, f filters.Args) ([]containertypes.Summary, error) {
	if f == nil {
		f = filters.Args{}
	}
	f.Add("namespace", Namespace)
	return s.cfg.Containers.List(ctx, backend.ContainerListOptions{All: true, Filters: f})
}

// stopPodContainers kills every running container of a sandbox.
func (s *Server) stopPodContainers(ctx context.Context, sandboxID string) error {
	f := filters.Args{}
	f.Add("label", labelSandboxID+"="+sandboxID)
	list, err := s.listPodContainers(ctx, f)
	if err != nil {
		return err
	}
	zero := 0
	for _, c := range list {
		if c.State != containertypes.StateRunning {
			continue
		}
		if err := s.cfg.Containers.Stop(ctx, c.ID, backend.ContainerStopOptions{Timeout: &zero}); err != nil && !errdefs.IsNotFound(err) && !errs.Is(err, errdefs.ErrNotModified) {
			return fmt.Errorf("stopping container %s: %w", c.ID, err)
		}
	}
	return nil
}

// removePodContainers removes every container of a sandbox.
func (s *Server) removePodContainers(ctx context.Context, sandboxID string) error {
	f := filters.Args{}
	f.Add("label", labelSandboxID+"="+sandboxID)
	list, err := s.listPodContainers(ctx, f)
	if err != nil {
		return err
	}
	for _, c := range list {
		if err := s.cfg.Containers.Remove(ctx, c.ID, backend.ContainerRemoveOptions{Force: true}); err != nil && !errdefs.IsNotFound(err) {
			return fmt.Errorf("removing container %s: %w", c.ID, err)
		}
	}
	return nil
}

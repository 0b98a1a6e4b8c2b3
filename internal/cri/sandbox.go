package cri

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/containernetworking/cni/libcni"
	"google.golang.org/protobuf/encoding/protojson"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/fsutil"
	"github.com/wharf/wharf/internal/network/netns"
)

// sandbox is one pod's record, <root>/sandboxes/<id>/sandbox.json. It is
// written before anything is made for the pod, so a daemon killed
// half-way leaves a NOTREADY record that RemovePodSandbox cleans up.
type sandbox struct {
	ID        string
	CreatedAt int64 // ns
	Ready     bool
	// Config is the kubelet's PodSandboxConfig (protojson).
	Config         json.RawMessage
	RuntimeHandler string `json:",omitempty"`
	Namespaces     podNamespaces
	// Userns is the mappings of the pod's own user namespace (mode
	// POD, userns.go); nil: the host's.
	Userns *podIDMap `json:",omitempty"`
	// Hostname is the pod's host name: the kubelet's, else the host's.
	Hostname string
	IPs      []string `json:",omitempty"`
	// NetworkUp: the CNI plugins have the pod (a teardown is owed).
	NetworkUp bool `json:",omitempty"`

	config *runtimeapi.PodSandboxConfig
}

func (sb *sandbox) hostNetwork() bool {
	return sb.config.GetLinux().GetSecurityContext().GetNamespaceOptions().GetNetwork() == runtimeapi.NamespaceMode_NODE
}

func (s *Server) sandboxDir(id string) string { return filepath.Join(s.cfg.Root, "sandboxes", id) }
func (s *Server) nsDir(id string) string      { return filepath.Join(s.cfg.RunRoot, "ns", id) }

// saveSandbox persists sb's record and swaps it into the index.
func (s *Server) saveSandbox(sb *sandbox) error {
	cfg, err := protojson.Marshal(sb.config)
	if err != nil {
		return err
	}
	sb.Config = cfg
	if err := fsutil.WriteJSONAtomic(filepath.Join(s.sandboxDir(sb.ID), "sandbox.json"), sb, false); err != nil {
		return err
	}
	// The index holds a copy that nobody changes: readers need no lock
	// beyond s.mu, writers (holding the sandbox's key lock) change their
	// own copy (editSandbox) and save it.
	cp := *sb
	s.mu.Lock()
	s.sandboxes[sb.ID] = &cp
	s.mu.Unlock()
	return nil
}

// editSandbox is a private copy of the sandbox ref names, to change and
// save; the caller holds its key lock.
func (s *Server) editSandbox(ref string) (*sandbox, error) {
	sb, err := s.getSandbox(ref)
	if err != nil {
		return nil, err
	}
	cp := *sb
	return &cp, nil
}

// loadSandboxes reads the records at start-up. A pod whose network
// namespace is gone (the host rebooted) is no longer ready.
func (s *Server) loadSandboxes() error {
	dir := filepath.Join(s.cfg.Root, "sandboxes")
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name(), "sandbox.json"))
		if err != nil {
			s.log.Warn("cri: skipping sandbox without a record", "id", e.Name(), "err", err)
			continue
		}
		sb := &sandbox{}
		if err := json.Unmarshal(data, sb); err != nil {
			s.log.Error("cri: skipping unreadable sandbox record", "id", e.Name(), "err", err)
			continue
		}
		sb.config = &runtimeapi.PodSandboxConfig{}
		if err := protojson.Unmarshal(sb.Config, sb.config); err != nil {
			s.log.Error("cri: skipping unreadable sandbox config", "id", e.Name(), "err", err)
			continue
		}
		if sb.Ready && sb.Namespaces.Net != "" && !netns.Exists(sb.Namespaces.Net) {
			sb.Ready = false
		}
		s.sandboxes[sb.ID] = sb
	}
	return nil
}

// getSandbox finds a sandbox by id or unique id prefix.
func (s *Server) getSandbox(ref string) (*sandbox, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if sb, ok := s.sandboxes[ref]; ok {
		return sb, nil
	}
	var found *sandbox
	if ref != "" {
		for id, sb := range s.sandboxes {
			if strings.HasPrefix(id, ref) {
				if found != nil {
					return nil, errs.Invalid("pod sandbox id prefix %q is ambiguous", ref)
				}
				found = sb
			}
		}
	}
	if found == nil {
		return nil, errs.NotFound("pod sandbox %q not found", ref)
	}
	return found, nil
}

func newID() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// ociRuntime is the daemon's OCI runtime for a runtime handler: "" (the
// daemon's default) for "" and "wharf", else the runtime of that name.
func (s *Server) ociRuntime(handler string) (string, error) {
	if handler == "" || handler == runtimeName {
		return "", nil
	}
	if !slices.Contains(s.cfg.Runtimes, handler) {
		return "", errs.Invalid("runtime handler %q is not known (only %q, the default and %s)", handler, runtimeName, strings.Join(s.cfg.Runtimes, ", "))
	}
	return handler, nil
}

// RunPodSandbox makes the pod's namespaces, network and files: records
// first, then namespaces, then CNI; a failure undoes what was made.
func (s *Server) RunPodSandbox(ctx context.Context, req *runtimeapi.RunPodSandboxRequest) (*runtimeapi.RunPodSandboxResponse, error) {
	cfg := req.GetConfig()
	md := cfg.GetMetadata()
	if md.GetName() == "" || md.GetNamespace() == "" || md.GetUid() == "" {
		return nil, errs.Invalid("pod sandbox metadata needs a name, namespace and uid")
	}
	userns, err := s.checkPodUserns(cfg)
	if err != nil {
		return nil, err
	}
	rt, err := s.ociRuntime(req.GetRuntimeHandler())
	if err != nil {
		return nil, err
	}
	if userns != nil && rt != "" {
		// Only the default runtime's ID-mapped mounts were checked.
		return nil, errs.Wrap(errdefs.ErrNotImplemented, fmt.Errorf("pods in user namespaces of their own run on the default runtime only, not %q", rt))
	}
	// One pod per metadata: the check and the record under one lock.
	unlockName := s.locks.Lock("metadata/" + md.GetNamespace() + "/" + md.GetName() + "/" + md.GetUid() + "/" + strconv.FormatUint(uint64(md.GetAttempt()), 10))
	defer unlockName()
	for _, sb := range s.listSandboxes() {
		m := sb.config.GetMetadata()
		if m.GetName() == md.GetName() && m.GetNamespace() == md.GetNamespace() && m.GetUid() == md.GetUid() && m.GetAttempt() == md.GetAttempt() {
			return nil, errs.Conflict("pod sandbox %s_%s_%s_%d already exists as %s", md.GetName(), md.GetNamespace(), md.GetUid(), md.GetAttempt(), sb.ID)
		}
	}
	sb := &sandbox{ID: newID(), CreatedAt: nowNano(), RuntimeHandler: req.GetRuntimeHandler(), Userns: userns, config: cfg}
	unlock := s.locks.Lock(sb.ID)
	defer unlock()
	if err := os.MkdirAll(s.sandboxDir(sb.ID), 0o711); err != nil {
		return nil, err
	}
	if err := s.saveSandbox(sb); err != nil {
		os.RemoveAll(s.sandboxDir(sb.ID))
		return nil, err
	}
	if err := s.setUpSandbox(ctx, sb); err != nil {
		// A context of its own: the caller's may be what ended.
		ctx := context.WithoutCancel(ctx)
		// A configuration that failed ADD often fails DEL the same way:
		// that must not keep a pod that never ran. Its interfaces go
		// with its network namespace.
		if sb.NetworkUp {
			if cerr := s.cni.tearDown(ctx, sb.ID, sb.Namespaces.Net, sb.config); cerr != nil {
				s.log.Warn("cri: network teardown of a failed pod sandbox", "id", sb.ID, "err", cerr)
			}
			sb.NetworkUp = false
		}
		if cerr := s.removeSandbox(ctx, sb); cerr != nil {
			s.log.Warn("cri: cleaning up a failed pod sandbox", "id", sb.ID, "err", cerr)
		}
		return nil, err
	}
	s.log.Debug("cri: pod sandbox ready", "id", sb.ID, "pod", md.GetNamespace()+"/"+md.GetName())
	s.sandboxEvent(ctx, sb.ID, runtimeapi.ContainerEventType_CONTAINER_CREATED_EVENT, runtimeapi.ContainerEventType_CONTAINER_STARTED_EVENT)
	return &runtimeapi.RunPodSandboxResponse{PodSandboxId: sb.ID}, nil
}

// setUpSandbox makes sb's namespaces, files and network, and records it ready.
func (s *Server) setUpSandbox(ctx context.Context, sb *sandbox) error {
	cfg := sb.config
	nsOpts := cfg.GetLinux().GetSecurityContext().GetNamespaceOptions()
	hostNet := nsOpts.GetNetwork() == runtimeapi.NamespaceMode_NODE
	hostIPC := nsOpts.GetIpc() == runtimeapi.NamespaceMode_NODE
	// A pod network needs a CNI configuration whose plugins are there:
	// without one the pod fails before anything is made for it, with
	// the reason Status gives as NetworkReady false.
	var netList *libcni.NetworkConfigList
	if !hostNet {
		var err error
		if netList, err = s.cni.readyList(); err != nil {
			return errs.Wrap(errdefs.ErrFailedPrecondition, fmt.Errorf("pod network is not ready: %w", err))
		}
	}
	// A pod without a host name (crictl's, critest's) gets the host's,
	// as with containerd; a host-network pod always has the host's.
	hostname := cfg.GetHostname()
	if hostNet || hostname == "" {
		h, err := os.Hostname()
		if err != nil {
			return err
		}
		hostname = h
	}
	if len(hostname) > 64 {
		return errs.Invalid("pod host name %q is longer than 64 characters", hostname)
	}
	sb.Hostname = hostname
	if err := s.writePodFiles(sb, hostname); err != nil {
		return err
	}
	podPID := nsOpts.GetPid() == runtimeapi.NamespaceMode_POD
	ns, err := createNamespaces(s.nsDir(sb.ID), hostNet, hostIPC, podPID, hostname, s.cfg.PauseProgram, sb.Userns)
	if err != nil {
		return err
	}
	sb.Namespaces = ns
	// Recorded before the CNI call (a daemon killed during ADD still owes
	// DEL) and with the pause process (it is to be killed). The
	// namespaces' mounts need no record: removal finds them by path.
	sb.NetworkUp = !hostNet
	if sb.NetworkUp || ns.PausePID != 0 {
		if err := s.saveSandbox(sb); err != nil {
			return err
		}
	}
	if !hostNet {
		ips, err := s.cni.setUp(ctx, netList, sb.ID, ns.Net, cfg)
		if err != nil {
			return err
		}
		sb.IPs = ips
		if err := s.writeHosts(sb, hostname); err != nil {
			return err
		}
	}
	sb.Ready = true
	return s.saveSandbox(sb)
}

// writePodFiles writes the pod's hostname, hosts and resolv.conf, which
// its containers get.
func (s *Server) writePodFiles(sb *sandbox, hostname string) error {
	dir := s.sandboxDir(sb.ID)
	resolv, err := resolvConf(sb.config.GetDnsConfig(), sb.hostNetwork())
	if err != nil {
		return err
	}
	if err := fsutil.WriteFileAtomic(filepath.Join(dir, "resolv.conf"), resolv, 0o644, false); err != nil {
		return err
	}
	if err := fsutil.WriteFileAtomic(filepath.Join(dir, "hostname"), []byte(hostname+"\n"), 0o644, false); err != nil {
		return err
	}
	return s.writeHosts(sb, hostname)
}

// writeHosts is the pod's /etc/hosts: the host's for a host-network pod,
// else localhost and the pod's own address under its host name.
func (s *Server) writeHosts(sb *sandbox, hostname string) error {
	var b bytes.Buffer
	if sb.hostNetwork() {
		data, err := os.ReadFile("/etc/hosts")
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		b.Write(data)
	} else {
		b.WriteString("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
		b.WriteString("fe00::\tip6-localnet\nff00::\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n")
		for _, ip := range sb.IPs {
			fmt.Fprintf(&b, "%s\t%s\n", ip, hostname)
		}
	}
	return fsutil.WriteFileAtomic(filepath.Join(s.sandboxDir(sb.ID), "hosts"), b.Bytes(), 0o644, false)
}

// resolvConf is the pod's resolv.conf: the kubelet's DNS config, or the
// host's when it gives none (dnsPolicy Default, or crictl without dns).
func resolvConf(dns *runtimeapi.DNSConfig, hostNet bool) ([]byte, error) {
	if len(dns.GetServers()) == 0 && len(dns.GetSearches()) == 0 && len(dns.GetOptions()) == 0 {
		data, err := os.ReadFile("/etc/resolv.conf")
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return data, err
	}
	var b bytes.Buffer
	for _, srv := range dns.GetServers() {
		fmt.Fprintf(&b, "nameserver %s\n", srv)
	}
	if len(dns.GetSearches()) > 0 {
		fmt.Fprintf(&b, "search %s\n", strings.Join(dns.GetSearches(), " "))
	}
	if len(dns.GetOptions()) > 0 {
		fmt.Fprintf(&b, "options %s\n", strings.Join(dns.GetOptions(), " "))
	}
	return b.Bytes(), nil
}

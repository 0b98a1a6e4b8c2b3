package cri

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/containerd/errdefs"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// listSandboxes is every sandbox, newest first.
func (s *Server) listSandboxes() []*sandbox {
	s.mu.RLock()
	out := make([]*sandbox, 0, len(s.sandboxes))
	for _, sb := range s.sandboxes {
		out = append(out, sb)
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt > out[j].CreatedAt })
	return out
}

// lockSandbox takes the key lock of the sandbox ref names (by full id).
func (s *Server) lockSandbox(ref string) (id string, unlock func(), err error) {
	sb, err := s.getSandbox(ref)
	if err != nil {
		return "", nil, err
	}
	return sb.ID, s.locks.Lock(sb.ID), nil
}

// StopPodSandbox kills the pod's containers and takes the pod off the
// network. Repeating it is harmless.
func (s *Server) StopPodSandbox(ctx context.Context, req *runtimeapi.StopPodSandboxRequest) (*runtimeapi.StopPodSandboxResponse, error) {
	id, unlock, err := s.lockSandbox(req.GetPodSandboxId())
	if errdefs.IsNotFound(err) {
		return &runtimeapi.StopPodSandboxResponse{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer unlock()
	sb, err := s.editSandbox(id)
	if err != nil {
		return nil, err
	}
	if err := s.stopSandbox(ctx, sb); err != nil {
		return nil, err
	}
	s.sandboxEvent(ctx, id, runtimeapi.ContainerEventType_CONTAINER_STOPPED_EVENT)
	return &runtimeapi.StopPodSandboxResponse{}, nil
}

// stopSandbox stops sb's containers and tears its network down. The
// caller holds sb's key lock and owns sb (a copy).
func (s *Server) stopSandbox(ctx context.Context, sb *sandbox) error {
	if err := s.stopPodContainers(ctx, sb.ID); err != nil {
		return err
	}
	if err := stopPause(sb.Namespaces.PID, sb.Namespaces.PausePID); err != nil {
		return err
	}
	if sb.NetworkUp {
		if err := s.cni.tearDown(ctx, sb.ID, sb.Namespaces.Net, sb.config); err != nil {
			return err
		}
		sb.NetworkUp = false
	}
	sb.Ready = false
	return s.saveSandbox(sb)
}

// RemovePodSandbox removes the pod's containers, network, namespaces and
// record. A missing sandbox is no error.
func (s *Server) RemovePodSandbox(ctx context.Context, req *runtimeapi.RemovePodSandboxRequest) (*runtimeapi.RemovePodSandboxResponse, error) {
	id, unlock, err := s.lockSandbox(req.GetPodSandboxId())
	if errdefs.IsNotFound(err) {
		return &runtimeapi.RemovePodSandboxResponse{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer unlock()
	sb, err := s.editSandbox(id)
	if err != nil {
		return nil, err
	}
	if err := s.removeSandbox(ctx, sb); err != nil {
		return nil, err
	}
	s.sandboxEvent(ctx, id, runtimeapi.ContainerEventType_CONTAINER_DELETED_EVENT)
	return &runtimeapi.RemovePodSandboxResponse{}, nil
}

// removeSandbox undoes everything RunPodSandbox made, whatever of it was
// made. The caller holds sb's key lock.
func (s *Server) removeSandbox(ctx context.Context, sb *sandbox) error {
	if err := s.stopSandbox(ctx, sb); err != nil {
		return err
	}
	if err := s.removePodContainers(ctx, sb.ID); err != nil {
		return err
	}
	if err := removeNamespaces(s.nsDir(sb.ID)); err != nil {
		return err
	}
	if err := os.RemoveAll(s.sandboxDir(sb.ID)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	s.mu.Lock()
	delete(s.sandboxes, sb.ID)
	s.mu.Unlock()
	return nil
}

// PodSandboxStatus describes one sandbox.
func (s *Server) PodSandboxStatus(ctx context.Context, req *runtimeapi.PodSandboxStatusRequest) (*runtimeapi.PodSandboxStatusResponse, error) {
	sb, err := s.getSandbox(req.GetPodSandboxId())
	if err != nil {
		return nil, err
	}
	resp := &runtimeapi.PodSandboxStatusResponse{Status: sandboxStatus(sb)}
	if req.GetVerbose() {
		info, err := json.Marshal(map[string]any{"namespaces": sb.Namespaces, "ips": sb.IPs})
		if err != nil {
			return nil, err
		}
		resp.Info = map[string]string{"info": string(info)}
	}
	return resp, nil
}

// sandboxStatus is the CRI's status of sb.
func sandboxStatus(sb *sandbox) *runtimeapi.PodSandboxStatus {
	st := &runtimeapi.PodSandboxStatus{
		Id:             sb.ID,
		Metadata:       sb.config.GetMetadata(),
		State:          sandboxState(sb),
		CreatedAt:      sb.CreatedAt,
		Labels:         sb.config.GetLabels(),
		Annotations:    sb.config.GetAnnotations(),
		RuntimeHandler: sb.RuntimeHandler,
		Network:        &runtimeapi.PodSandboxNetworkStatus{},
		Linux: &runtimeapi.LinuxPodSandboxStatus{Namespaces: &runtimeapi.Namespace{
			Options: sb.config.GetLinux().GetSecurityContext().GetNamespaceOptions(),
		}},
	}
	if len(sb.IPs) > 0 && sb.Ready {
		st.Network.Ip = sb.IPs[0]
		for _, ip := range sb.IPs[1:] {
			st.Network.AdditionalIps = append(st.Network.AdditionalIps, &runtimeapi.PodIP{Ip: ip})
		}
	}
	return st
}

func sandboxState(sb *sandbox) runtimeapi.PodSandboxState {
	if sb.Ready {
		return runtimeapi.PodSandboxState_SANDBOX_READY
	}
	return runtimeapi.PodSandboxState_SANDBOX_NOTREADY
}

// ListPodSandbox lists the sandboxes the filter lets through: id (or a
// prefix of it), state, and every label of the selector.
func (s *Server) ListPodSandbox(ctx context.Context, req *runtimeapi.ListPodSandboxRequest) (*runtimeapi.ListPodSandboxResponse, error) {
	f := req.GetFilter()
	resp := &runtimeapi.ListPodSandboxResponse{Items: []*runtimeapi.PodSandbox{}}
	for _, sb := range s.listSandboxes() {
		if f.GetId() != "" && !strings.HasPrefix(sb.ID, f.GetId()) {
			continue
		}
		if f.GetState() != nil && f.GetState().GetState() != sandboxState(sb) {
			continue
		}
		if !matchLabels(f.GetLabelSelector(), sb.config.GetLabels()) {
			continue
		}
		resp.Items = append(resp.Items, &runtimeapi.PodSandbox{
			Id:             sb.ID,
			Metadata:       sb.config.GetMetadata(),
			State:          sandboxState(sb),
			CreatedAt:      sb.CreatedAt,
			Labels:         sb.config.GetLabels(),
			Annotations:    sb.config.GetAnnotations(),
			RuntimeHandler: sb.RuntimeHandler,
		})
	}
	return resp, nil
}

// matchLabels: every selector label is among labels with its value.
func matchLabels(selector, labels map[string]string) bool {
	for k, v := range selector {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

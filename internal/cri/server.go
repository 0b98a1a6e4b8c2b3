// Package cri is wharfd's Container Runtime Interface server: the
// kubelet's runtime.v1 RuntimeService and ImageService over gRPC on a unix
// socket of its own, beside the Engine API. It owns pod sandboxes (their
// namespaces, CNI networking and records); containers and images are the
// container and image services' own, so `wharf images` and a kubelet see
// the same store. A pod's containers live in the store namespace
// "k8s.io": docker's list and prune leave them alone.
//
// Lock order: a sandbox's key lock (s.locks), then s.mu (the sandbox
// index, held only to read or swap it), then the services it calls,
// which never call back; s.events' lock is a leaf.
package cri

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/containerd/errdefs/pkg/errgrpc"
	"google.golang.org/grpc"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	"k8s.io/cri-streaming/pkg/streaming"

	"github.com/wharf/wharf/internal/keylock"
	"github.com/wharf/wharf/internal/version"
)

// Namespace is the store namespace of the containers made through the CRI.
const Namespace = "k8s.io"

// runtimeName is what Version reports as the runtime's name.
const runtimeName = "wharf"

// Config is the server's configuration.
type Config struct {
	Root    string // persistent sandbox records: <data root>/cri
	RunRoot string // namespace mounts: <exec root>/cri
	// ImageRoot is the image store's directory, ImageFsInfo's mount point.
	ImageRoot string
	// CNIConfDir holds the network configuration lists; CNIBinDirs the
	// plugins (Debian's containernetworking-plugins: /usr/lib/cni).
	CNIConfDir string
	CNIBinDirs []string
	Containers Containers
	Streamer   Streamer  // the container service's resize and attach (streaming.go)
	Resources  Resources // its update, log reopening and stats (stats.go)
	Images     Images
	// Events is the container service's event bus, for
	// GetContainerEvents (events.go); nil streams the pods' own only.
	Events Events
	// StreamAddress is the streaming server's host:port (port 0: any);
	// "" is 127.0.0.1:0, as containerd's default.
	StreamAddress string
	// PauseProgram is wharf-exec-init, which holds a pod's shared PID
	// namespace (podpid.go); "" refuses pods that ask for one.
	PauseProgram string
	// Runtimes are the daemon's OCI runtimes ("runc", "crun"): each is a
	// runtime handler (a RuntimeClass's handler) of its own name, besides
	// the default ("" and "wharf").
	Runtimes []string
	// UserNamespaces: a runtime ID-maps mounts (runc 1.2 or later), so
	// pods may have user namespaces of their own (userns.go).
	UserNamespaces bool
	// UsernsRuntime runs the containers of such pods (on the default
	// handlers): "" the default runtime, else one that ID-maps mounts
	// where the default cannot (runc beside crun).
	UsernsRuntime string
	Log           *slog.Logger
}

// Server implements runtimeapi.RuntimeServiceServer and ImageServiceServer.
type Server struct {
	runtimeapi.UnimplementedRuntimeServiceServer
	runtimeapi.UnimplementedImageServiceServer

	cfg Config
	log *slog.Logger
	cni *cniNetwork
	// stream serves Exec, Attach and PortForward (streaming.go); nil
	// until Serve starts it.
	stream streaming.Server
	locks  keylock.Map // per sandbox id: run, stop, remove of one pod are serial
	events eventHub    // GetContainerEvents' streams (events.go)

	mu        sync.RWMutex
	sandboxes map[string]*sandbox // by id; a record is replaced, never changed in place
}

// New loads the sandboxes recorded under cfg.Root.
func New(cfg Config) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	for _, d := range []string{cfg.Root, cfg.RunRoot} {
		if err := os.MkdirAll(d, 0o711); err != nil {
			return nil, err
		}
	}
	s := &Server{
		cfg:       cfg,
		log:       cfg.Log,
		cni:       newCNINetwork(cfg.CNIConfDir, cfg.CNIBinDirs, filepath.Join(cfg.RunRoot, "cni-cache")),
		sandboxes: map[string]*sandbox{},
	}
	if err := s.loadSandboxes(); err != nil {
		return nil, err
	}
	return s, nil
}

// Listen opens the unix socket at path (replacing a stale one), so that
// a daemon that cannot serve the CRI fails at start.
func Listen(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("cri socket: %w", err)
	}
	if err := os.Chmod(path, 0o660); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// Serve answers CRI calls on ln until ctx ends.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	// Errors go out as gRPC status codes from the errdefs kinds the
	// services give them (NotFound, InvalidArgument, ...).
	g := grpc.NewServer(
		grpc.MaxRecvMsgSize(16<<20),
		grpc.UnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			resp, err := h(ctx, req)
			if err != nil {
				s.log.Debug("cri call failed", "method", info.FullMethod, "err", err)
				return nil, errgrpc.ToGRPC(err)
			}
			return resp, nil
		}),
	)
	addr := s.cfg.StreamAddress
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if err := s.startStreaming(ctx, addr); err != nil {
		return err
	}
	go s.forwardEvents(ctx)
	runtimeapi.RegisterRuntimeServiceServer(g, s)
	runtimeapi.RegisterImageServiceServer(g, s)
	go func() {
		<-ctx.Done()
		stopped := make(chan struct{})
		go func() { g.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-time.After(5 * time.Second):
			g.Stop()
		}
	}()
	s.log.Info("cri listening", "socket", ln.Addr().String())
	if err := g.Serve(ln); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return err
	}
	return nil
}

func nowNano() int64 { return time.Now().UnixNano() }

// Version is the runtime's name and version and the CRI version served.
func (s *Server) Version(ctx context.Context, req *runtimeapi.VersionRequest) (*runtimeapi.VersionResponse, error) {
	return &runtimeapi.VersionResponse{
		Version:           "0.1.0",
		RuntimeName:       runtimeName,
		RuntimeVersion:    version.Version,
		RuntimeApiVersion: "v1",
	}, nil
}

// Status reports RuntimeReady always (the daemon answers) and
// NetworkReady when a CNI configuration list loads and its plugins exist.
func (s *Server) Status(ctx context.Context, req *runtimeapi.StatusRequest) (*runtimeapi.StatusResponse, error) {
	netCond := &runtimeapi.RuntimeCondition{Type: runtimeapi.NetworkReady, Status: true}
	if err := s.cni.ready(); err != nil {
		netCond.Status = false
		netCond.Reason = "NetworkPluginNotReady"
		netCond.Message = err.Error()
	}
	resp := &runtimeapi.StatusResponse{Status: &runtimeapi.RuntimeStatus{Conditions: []*runtimeapi.RuntimeCondition{
		{Type: runtimeapi.RuntimeReady, Status: true},
		netCond,
	}}}
	// The default runtime, under "" and our name, and each OCI runtime
	// under its own: recursive read-only binds are "rro" (mount_setattr,
	// Linux 5.12) in runc and crun alike; user namespaces need the
	// default runtime's ID-mapped mounts (userns.go), so only the default
	// handlers run them.
	features := &runtimeapi.RuntimeHandlerFeatures{RecursiveReadOnlyMounts: true, UserNamespaces: s.cfg.UserNamespaces}
	resp.RuntimeHandlers = []*runtimeapi.RuntimeHandler{{Name: "", Features: features}, {Name: runtimeName, Features: features}}
	named := &runtimeapi.RuntimeHandlerFeatures{RecursiveReadOnlyMounts: true}
	for _, name := range s.cfg.Runtimes {
		resp.RuntimeHandlers = append(resp.RuntimeHandlers, &runtimeapi.RuntimeHandler{Name: name, Features: named})
	}
	resp.Features = &runtimeapi.RuntimeFeatures{SupplementalGroupsPolicy: true}
	if req.GetVerbose() {
		info, err := json.Marshal(map[string]any{"cniConfDir": s.cfg.CNIConfDir, "cniBinDirs": s.cfg.CNIBinDirs})
		if err != nil {
			return nil, err
		}
		resp.Info = map[string]string{"config": string(info)}
	}
	return resp, nil
}

// RuntimeConfig tells the kubelet which cgroup driver to use: wharf puts
// containers in cgroupfs paths.
func (s *Server) RuntimeConfig(ctx context.Context, req *runtimeapi.RuntimeConfigRequest) (*runtimeapi.RuntimeConfigResponse, error) {
	return &runtimeapi.RuntimeConfigResponse{Linux: &runtimeapi.LinuxRuntimeConfiguration{
		CgroupDriver: runtimeapi.CgroupDriver_CGROUPFS,
	}}, nil
}

// UpdateRuntimeConfig accepts the pod CIDR the kubelet sends; the CNI
// configuration list decides addresses, as with containerd's default.
func (s *Server) UpdateRuntimeConfig(ctx context.Context, req *runtimeapi.UpdateRuntimeConfigRequest) (*runtimeapi.UpdateRuntimeConfigResponse, error) {
	return &runtimeapi.UpdateRuntimeConfigResponse{}, nil
}

package cri

import (
	"bytes"
	"context"
	"fmt"
	"time"

	containertypes "github.com/moby/moby/api/types/container"
	"golang.org/x/sys/unix"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/errs"
)

// maxExecSyncOutput bounds what ExecSync keeps of each stream, as the
// kubelet's probes want (16 MiB, like containerd): a chatty command
// cannot make the daemon hold unbounded output.
const maxExecSyncOutput = 16 << 20

// ExecSync runs a command in a running container and returns its output
// and exit code, within the request's timeout (seconds; 0: none).
func (s *Server) ExecSync(ctx context.Context, req *runtimeapi.ExecSyncRequest) (*runtimeapi.ExecSyncResponse, error) {
	if len(req.GetCmd()) == 0 {
		return nil, errs.Invalid("no command given")
	}
	id, err := s.podContainer(ctx, req.GetContainerId())
	if err != nil {
		return nil, err
	}
	if t := req.GetTimeout(); t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(t)*time.Second)
		defer cancel()
	}
	execID, err := s.cfg.Containers.ExecCreate(ctx, id, containertypes.ExecCreateRequest{
		Cmd: req.GetCmd(), AttachStdout: true, AttachStderr: true,
	})
	if err != nil {
		return nil, err
	}
	stdout := &limitedBuffer{max: maxExecSyncOutput}
	stderr := &limitedBuffer{max: maxExecSyncOutput}
	// The container service runs an exec to its end whatever the
	// caller's context (as docker does); the kubelet's probes need the
	// timeout kept, so the process is killed when it passes.
	done := make(chan error, 1)
	go func() {
		done <- s.cfg.Containers.ExecStart(context.WithoutCancel(ctx), execID, backend.ExecStartOptions{Stdout: stdout, Stderr: stderr})
	}()
	select {
	case err := <-done:
		if err != nil {
			return nil, err
		}
	case <-ctx.Done():
		if in, err := s.cfg.Containers.ExecInspect(context.WithoutCancel(ctx), execID); err == nil && in.Pid > 0 {
			unix.Kill(in.Pid, unix.SIGKILL)
		}
		return nil, errs.Wrap(context.DeadlineExceeded, fmt.Errorf("command %q timed out after %ds", req.GetCmd(), req.GetTimeout()))
	}
	in, err := s.cfg.Containers.ExecInspect(ctx, execID)
	if err != nil {
		return nil, err
	}
	resp := &runtimeapi.ExecSyncResponse{Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	if in.ExitCode != nil {
		resp.ExitCode = int32(*in.ExitCode)
	}
	return resp, nil
}

// limitedBuffer keeps the first max bytes written to it and drops the rest.
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

package build

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/moby/api/types/container"

	wcontainer "github.com/wharf/wharf/internal/container"
	"github.com/wharf/wharf/internal/errs"
)

// runStep is RUN: the command runs in a container of the current image;
// its file system changes become the step's layer.
func (r *run) runStep(ctx context.Context, st *stageState, c *instructions.RunCommand) error {
	if len(c.Files) > 0 {
		return errs.Invalid("RUN with heredocs is not supported by this builder")
	}
	argv := cmdLine(&st.cfg, c.ShellDependantCmdLine)
	if len(argv) == 0 {
		return errs.Invalid("RUN requires at least one argument")
	}
	// Build args not overridden by ENV reach the command's environment
	// and, as in docker's history, its CREATED BY.
	var argEnv []string
	keys := append([]string(nil), st.argKeys...)
	sort.Strings(keys)
	for _, k := range keys {
		if !hasEnv(st.cfg.Env, k) {
			argEnv = append(argEnv, k+"="+st.args[k])
		}
	}
	createdBy := strings.Join(argv, " ")
	if len(argEnv) > 0 {
		createdBy = fmt.Sprintf("|%d %s %s", len(argEnv), strings.Join(argEnv, " "), createdBy)
	}
	if st.imageID == "" {
		return errs.Invalid("The command '%s' returned a non-zero code: 127", strings.Join(argv, " "))
	}
	return r.commit(ctx, st, createdBy, func() (io.ReadCloser, error) {
		return r.execRun(ctx, st, argv, argEnv)
	})
}

// execRun runs argv in a container of st's image, writes its output, and
// returns the container's changes as a tar; the container is removed
// when the tar is closed (or at once on failure).
func (r *run) execRun(ctx context.Context, st *stageState, argv, argEnv []string) (io.ReadCloser, error) {
	cs := r.b.containers
	cfg := &container.Config{
		Image:      st.imageID,
		Entrypoint: argv,
		Env:        append(append([]string(nil), st.cfg.Env...), argEnv...),
		WorkingDir: st.cfg.WorkingDir,
		User:       st.cfg.User,
		Labels:     map[string]string{},
	}
	hc := &container.HostConfig{NetworkMode: container.NetworkMode(r.opts.NetworkMode)}
	resp, err := cs.Create(ctx, wcontainer.CreateOptions{Config: cfg, HostConfig: hc})
	if err != nil {
		return nil, err
	}
	id := resp.ID
	remove := func() {
		if err := cs.Remove(context.WithoutCancel(ctx), id, wcontainer.RemoveOptions{Force: true}); err != nil {
			r.b.log.Warn("build: removing RUN container", "id", id, "err", err)
		}
	}
	fmt.Fprintf(r.out, " ---> Running in %s\n", shortID(id))
	code, err := r.startAndWait(ctx, id)
	if err != nil {
		remove()
		return nil, err
	}
	if code != 0 {
		remove()
		return nil, errs.Invalid("The command '%s' returned a non-zero code: %d", strings.Join(argv, " "), code)
	}
	layer, err := cs.LayerTar(ctx, id)
	if err != nil {
		remove()
		return nil, err
	}
	fmt.Fprintf(r.out, "Removing intermediate container %s\n", shortID(id))
	return &closeFunc{ReadCloser: layer, after: remove}, nil
}

// startAndWait starts container id, streams its output and returns its
// exit code.
func (r *run) startAndWait(ctx context.Context, id string) (int64, error) {
	cs := r.b.containers
	waitc, err := cs.Wait(ctx, id, container.WaitConditionNextExit)
	if err != nil {
		return 0, err
	}
	if err := cs.Start(ctx, id); err != nil {
		return 0, err
	}
	logsDone := make(chan struct{})
	logCtx, stopLogs := context.WithCancel(ctx)
	defer stopLogs()
	go func() {
		defer close(logsDone)
		_, _ = cs.Logs(logCtx, id, r.out, r.out, wcontainer.LogsOptions{Stdout: true, Stderr: true, Follow: true, Tail: -1})
	}()
	var res wcontainer.WaitResult
	select {
	case res = <-waitc:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	<-logsDone
	if res.Err != nil {
		return 0, res.Err
	}
	return res.StatusCode, nil
}

func hasEnv(env []string, k string) bool {
	for _, kv := range env {
		if ek, _, _ := strings.Cut(kv, "="); ek == k {
			return true
		}
	}
	return false
}

// closeFunc runs after once the ReadCloser is closed.
type closeFunc struct {
	io.ReadCloser
	after func()
}

func (c *closeFunc) Close() error {
	err := c.ReadCloser.Close()
	c.after()
	return err
}

package container

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/creack/pty"
	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/execinit"
	"github.com/wharf/wharf/internal/runtime"
)

// Exec is a process started in a running container with docker exec.
// Exec records live in memory only, as in docker they go with the daemon.
type Exec struct {
	ID          string
	ContainerID string
	Config      container.ExecCreateRequest

	mu       sync.Mutex
	started  bool
	running  bool
	exitCode *int
	pid      int
	proc     runtime.Process // once started
	done     chan struct{}
}

// ExecCreate registers a command to run in a running container.
func (s *Service) ExecCreate(ctx context.Context, ref string, cfg container.ExecCreateRequest) (string, error) {
	c, err := s.get(ref)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	running, paused := c.State.Running, c.State.Paused
	c.mu.Unlock()
	if !running {
		return "", errs.Conflict("container %s is not running", c.ID)
	}
	if paused {
		return "", errs.Conflict("Container %s is paused, unpause the container before exec", c.ID)
	}
	if len(cfg.Cmd) == 0 {
		return "", errs.Invalid("No exec command specified")
	}
	e := &Exec{ID: newID(), ContainerID: c.ID, Config: cfg, done: make(chan struct{})}
	s.mu.Lock()
	s.execs[e.ID] = e
	s.mu.Unlock()
	s.execEvent(c, e, "exec_create", nil)
	return e.ID, nil
}

func (s *Service) getExec(id string) (*Exec, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if e, ok := s.execs[id]; ok {
		return e, nil
	}
	return nil, errs.NotFound("No such exec instance: %s", id)
}

// execIDs lists the exec instances of a container.
func (s *Service) execIDs(containerID string) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var ids []string
	for id, e := range s.execs {
		if e.ContainerID == containerID {
			ids = append(ids, id)
		}
	}
	return ids
}

// ExecStartOptions carry the client's streams for an exec (the API layer's
// type).
type ExecStartOptions = backend.ExecStartOptions

// ExecStart runs the exec's process and, unless detached, streams its
// stdio until it ends.
func (s *Service) ExecStart(ctx context.Context, id string, o ExecStartOptions) (err error) {
	e, err := s.getExec(id)
	if err != nil {
		return err
	}
	e.mu.Lock()
	if e.started {
		e.mu.Unlock()
		return errs.Conflict("Error: Exec command %s has already run", id)
	}
	e.started = true
	e.mu.Unlock()

	c, err := s.get(e.ContainerID)
	if err != nil {
		return err
	}
	c.mu.Lock()
	running := c.State.Running
	c.mu.Unlock()
	if !running {
		return errs.Conflict("container %s is not running", c.ID)
	}
	// An exec that could not start (an unknown user, a runtime error)
	// exits 126 as in dockerd, whose words the API writes on the stream;
	// the docker CLI exits with that code.
	defer func() {
		if err != nil {
			e.mu.Lock()
			if e.exitCode == nil {
				code := 126
				e.exitCode = &code
			}
			e.mu.Unlock()
		}
	}()
	rt, err := s.runtimeFor(c.Runtime)
	if err != nil {
		return err
	}
	// A short directory: the console socket's path must fit in 108 bytes.
	dir := filepath.Join(s.cfg.RunRoot, "exec", shortID(e.ID))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	// The terminal's size, given to runc too: it sizes the container's
	// pty before the process starts. Otherwise the process can run before
	// runc copies our pty's size over, and see a 0x0 terminal.
	ws := &pty.Winsize{Rows: 24, Cols: 80}
	size := o.ConsoleSize
	if size == nil {
		size = e.Config.ConsoleSize
	}
	if size != nil && size[0] > 0 && size[1] > 0 {
		ws = &pty.Winsize{Rows: uint16(size[0]), Cols: uint16(size[1])}
	}
	procFile := filepath.Join(dir, "process.json")
	logFile := filepath.Join(dir, "runtime.log")
	files, err := s.writeExecProcess(c, e, ws, procFile, logFile)
	if err != nil {
		os.RemoveAll(dir)
		return err
	}
	eo := runtime.ExecOptions{
		ProcessFile: procFile,
		PidFile:     filepath.Join(dir, "pid"),
		LogFile:     logFile,
		Files:       files,
		Stdout:      writerOrDiscard(o.Stdout, (e.Config.Tty || e.Config.AttachStdout) && !o.Detach),
		Stderr:      runtimeErrorFilter{writerOrDiscard(o.Stderr, e.Config.AttachStderr && !o.Detach)},
	}
	if e.Config.AttachStdin && !o.Detach {
		eo.Stdin = o.Stdin
	}
	if e.Config.Tty {
		eo.ConsoleSize = &specs.Box{Height: uint(ws.Rows), Width: uint(ws.Cols)}
	}
	proc, err := rt.Exec(context.WithoutCancel(ctx), c.ID, eo)
	// The runtime has its own copies once started (or failed to start).
	for _, f := range files {
		f.Close()
	}
	if err != nil {
		os.RemoveAll(dir)
		return err
	}
	e.mu.Lock()
	e.proc = proc
	e.running = true
	e.mu.Unlock()
	s.execEvent(c, e, "exec_start", nil)

	if pid := proc.Pid(); pid > 0 {
		e.mu.Lock()
		e.pid = pid
		e.mu.Unlock()
	}
	finish := func() error {
		code, startErr := proc.Wait()
		if startErr != nil {
			// On stdout, where dockerd writes the error of an exec that
			// could not start.
			io.WriteString(writerOrDiscard(o.Stdout, !o.Detach), startErr.Error()+"\r\n")
		}
		e.mu.Lock()
		e.running = false
		e.exitCode = &code
		e.mu.Unlock()
		close(e.done)
		s.execEvent(c, e, "exec_die", map[string]string{"exitCode": strconv.Itoa(code)})
		os.RemoveAll(dir)
		return nil
	}
	if o.Detach {
		go finish()
		return nil
	}
	return finish()
}

// writeExecProcess writes the runtime's process.json for e: the
// container's own process settings with the exec's command, env, user,
// working directory and terminal. Its rlimits are the container's init's,
// all of them, as dockerd gives an exec: a runtime leaves a limit missing
// from the list as it finds it in its own process, which is the daemon's.
// It returns the files the runtime must pass on to the process.
func (s *Service) writeExecProcess(c *Container, e *Exec, ws *pty.Winsize, path, logFile string) ([]*os.File, error) {
	data, err := os.ReadFile(filepath.Join(s.bundle(c.ID), "config.json"))
	if err != nil {
		return nil, err
	}
	var spec specs.Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		return nil, err
	}
	p := spec.Process
	p.Args = e.Config.Cmd
	p.Terminal = e.Config.Tty
	p.ConsoleSize = nil
	if e.Config.Tty {
		p.ConsoleSize = &specs.Box{Height: uint(ws.Rows), Width: uint(ws.Cols)}
	}
	p.Env = mergeEnv(p.Env, e.Config.Env)
	if e.Config.Tty && !hasEnv(p.Env, "TERM") {
		p.Env = append(p.Env, "TERM=xterm")
	}
	if e.Config.WorkingDir != "" {
		p.Cwd = e.Config.WorkingDir
	}
	if e.Config.User != "" {
		c.mu.Lock()
		groupAdd := c.HostConfig.GroupAdd
		c.mu.Unlock()
		_, su, err := processUser(s.rootfsPath(c.ID), e.Config.User, groupAdd, c.strictGroups())
		if err != nil {
			return nil, err
		}
		p.User = su
	}
	if e.Config.Privileged {
		caps := privilegedCaps()
		p.Capabilities = &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps}
	}
	var files []*os.File
	if soft, hard, ok := nofileBelowHard(p.Rlimits); ok && s.cfg.ExecInit != "" && !s.cfg.ExecInitSkip[c.Runtime] {
		// The runtime may raise the soft limit to the hard one (package
		// execinit): wharf-exec-init sets it again, then runs the command.
		if files, err = execinit.Files(s.cfg.ExecInit, logFile); err != nil {
			return nil, err
		}
		p.Args = execinit.Args(soft, hard, p.Args)
	}
	out, err := json.Marshal(p)
	if err == nil {
		err = os.WriteFile(path, out, 0o600)
	}
	if err != nil {
		for _, f := range files {
			f.Close()
		}
		return nil, err
	}
	return files, nil
}

// nofileBelowHard returns the RLIMIT_NOFILE of rlimits if its soft limit
// is below the hard one.
func nofileBelowHard(rlimits []specs.POSIXRlimit) (soft, hard uint64, ok bool) {
	for _, r := range rlimits {
		if r.Type == "RLIMIT_NOFILE" {
			return r.Soft, r.Hard, r.Soft < r.Hard
		}
	}
	return 0, 0, false
}

// ExecInspect reports an exec's state.
func (s *Service) ExecInspect(ctx context.Context, id string) (container.ExecInspectResponse, error) {
	e, err := s.getExec(id)
	if err != nil {
		return container.ExecInspectResponse{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	// The runtime may not have written the pid file yet when the exec
	// started: read it now (the CRI's ExecSync kills a timed-out exec by it).
	if e.pid == 0 && e.running && e.proc != nil {
		e.pid = e.proc.Pid()
	}
	args := []string{}
	if len(e.Config.Cmd) > 1 {
		args = e.Config.Cmd[1:]
	}
	priv := e.Config.Privileged
	return container.ExecInspectResponse{
		ID:       e.ID,
		Running:  e.running,
		ExitCode: e.exitCode,
		ProcessConfig: &container.ExecProcessConfig{
			Tty: e.Config.Tty, Entrypoint: e.Config.Cmd[0], Arguments: args,
			Privileged: &priv, User: e.Config.User,
		},
		OpenStdin:   e.Config.AttachStdin,
		OpenStdout:  e.Config.AttachStdout,
		OpenStderr:  e.Config.AttachStderr,
		CanRemove:   e.exitCode != nil,
		ContainerID: e.ContainerID,
		DetachKeys:  []byte(e.Config.DetachKeys),
		Pid:         e.pid,
	}, nil
}

// ExecIsTTY tells the API whether to multiplex an exec's output.
func (s *Service) ExecIsTTY(id string) (bool, error) {
	e, err := s.getExec(id)
	if err != nil {
		return false, err
	}
	return e.Config.Tty, nil
}

// ExecResize changes the size of an exec's terminal.
func (s *Service) ExecResize(ctx context.Context, id string, height, width uint) error {
	e, err := s.getExec(id)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.proc == nil || !e.Config.Tty {
		return errs.Conflict("exec %s has no terminal", id)
	}
	return e.proc.Resize(height, width)
}

func writerOrDiscard(w io.Writer, want bool) io.Writer {
	if w == nil || !want {
		return io.Discard
	}
	return w
}

// runtimeErrorFilter drops the line runc prints on its stderr (which is
// the process's stderr) when the process cannot be started at all: the
// daemon reports that failure itself, in docker's words.
type runtimeErrorFilter struct{ w io.Writer }

func (f runtimeErrorFilter) Write(p []byte) (int, error) {
	if bytes.HasPrefix(p, []byte(execinit.StartFailure)) {
		return len(p), nil
	}
	return f.w.Write(p)
}

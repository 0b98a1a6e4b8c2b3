// Package runtime drives an OCI runtime (runc, or crun: through
// wharf-crun on hybrid cgroup hosts, see cmd/wharf-crun) through conmon,
// the per-container monitor that podman and CRI-O use. conmon holds the
// container's stdio, writes its log and records its exit code, so
// containers outlive a restart of wharfd.
//
// The contract with conmon is the one podman relies on
// (libpod/oci_conmon_common.go), verified for conmon 2.1.6: see
// pitfall 19 in shared/docs/dependencies.md.
package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/containerd/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wharf/wharf/internal/errs"
)

// Runtime is one OCI runtime binary with its own state directory.
type Runtime struct {
	Name   string // as given to --runtime: "runc", "crun"
	Path   string // the runtime binary
	Root   string // the runtime's state directory (--root)
	Conmon string // the conmon binary
	Log    *slog.Logger
	// Args go before every command's own (daemon.json's runtimeArgs).
	Args []string
	// Env is added to the runtime's environment (wharf-crun's WHARF_CRUN).
	Env []string
}

// globalArgs are the runtime's arguments before a command's: its
// configured ones, then its state directory.
func (r *Runtime) globalArgs() []string {
	return append(append([]string{}, r.Args...), "--root", r.Root)
}

// command runs the runtime with args after its global ones.
func (r *Runtime) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, r.Path, append(r.globalArgs(), args...)...)
	if len(r.Env) > 0 {
		cmd.Env = append(os.Environ(), r.Env...)
	}
	return cmd
}

// CreateOptions describe one container for Create.
type CreateOptions struct {
	ID        string
	Bundle    string // holds config.json; conmon puts attach, ctl and winsz here
	LogPath   string // k8s-file log written by conmon
	Log       LogOptions
	ExitDir   string // conmon writes <ExitDir>/<ID> holding the exit code
	Terminal  bool
	Stdin     bool // keep a stdin pipe open for attach
	StdinOnce bool // close stdin when the first attached client leaves
	// Prepare, if set, completes the bundle (config.json, and what it
	// names) while conmon starts: conmon is a dynamically linked program
	// that takes milliseconds to load, and it runs the runtime's create
	// only once it is told to, after Prepare returns. An error from
	// Prepare ends conmon before it has made anything and is Create's.
	Prepare func() error
}

// Create starts conmon, which runs "<runtime> create": the container's
// process exists, stopped before exec, when Create returns its pid.
func (r *Runtime) Create(ctx context.Context, o CreateOptions) (int, error) {
	persist := filepath.Join(o.Bundle, "persist")
	if err := os.MkdirAll(persist, 0o700); err != nil {
		return 0, err
	}
	args := []string{
		"--api-version", "1",
		"-c", o.ID, "-u", o.ID, "-n", o.Log.nameOr(o.ID),
		"-r", r.Path,
		"-b", o.Bundle,
		"-p", filepath.Join(o.Bundle, "pidfile"),
		"--exit-dir", o.ExitDir,
		"--persist-dir", persist,
		"--full-attach",
		"--socket-dir-path", o.Bundle,
		"-l", "k8s-file:" + o.LogPath,
		"--conmon-pidfile", filepath.Join(o.Bundle, "conmon.pid"),
		// conmon otherwise calls sync(2) on exit, flushing every disk.
		"--no-sync-log",
	}
	for _, a := range r.Args {
		args = append(args, "--runtime-arg", a)
	}
	args = append(args, "--runtime-arg", "--root="+r.Root)
	args = append(args, o.Log.args()...)
	if o.Terminal {
		args = append(args, "-t")
	}
	if o.Stdin {
		args = append(args, "-i")
		if !o.StdinOnce {
			args = append(args, "--leave-stdin-open")
		}
	}
	syncR, syncW, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	defer syncR.Close()
	startR, startW, err := os.Pipe()
	if err != nil {
		syncW.Close()
		return 0, err
	}
	defer startW.Close()

	cmd := exec.Command(r.Conmon, args...)
	cmd.Dir = o.Bundle
	cmd.Env = append([]string{"_OCI_SYNCPIPE=3", "_OCI_STARTPIPE=4", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, r.Env...)
	cmd.ExtraFiles = []*os.File{syncW, startR}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	// conmon must not die with the daemon: its own session, no signals from us.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	start := time.Now()
	err = cmd.Start()
	syncW.Close()
	startR.Close()
	if err != nil {
		return 0, fmt.Errorf("starting conmon: %w", err)
	}
	if o.Prepare != nil {
		if err := o.Prepare(); err != nil {
			// conmon waits for the start pipe before it forks or runs
			// anything: killed now, it leaves no process behind.
			cmd.Process.Kill()
			cmd.Wait()
			return 0, err
		}
	}
	prepared := time.Since(start)
	if _, err := startW.Write([]byte{0}); err != nil {
		_ = cmd.Wait()
		return 0, fmt.Errorf("starting conmon: %w: %s", err, stderr.String())
	}
	// conmon double-forks: Wait returns once the monitor is detached.
	if err := cmd.Wait(); err != nil {
		return 0, fmt.Errorf("conmon: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	detached := time.Since(start)
	pid, err := readSync(ctx, syncR, filepath.Join(o.Bundle, "pidfile"))
	r.Log.Debug("runtime create", "id", o.ID, "pid", pid, "took", time.Since(start), "prepared", prepared, "conmon-detached", detached)
	return pid, err
}

// syncMessage is what conmon writes on the sync pipe after "create".
type syncMessage struct {
	Data    int    `json:"data"`
	Message string `json:"message"`
}

// syncGrace is how long conmon may take to report a create once the
// runtime has written the container's pid file. A runtime killed by a
// signal right after it (a crash, the OOM killer) leaves conmon waiting
// for ever without a word.
const syncGrace = 5 * time.Second

// readSync reads conmon's report of the create: the container's pid, or
// the runtime's error. It gives up when ctx ends, or when pidFile has
// been written for syncGrace without a report.
func readSync(ctx context.Context, f *os.File, pidFile string) (int, error) {
	done := make(chan struct{})
	defer close(done)
	var stuck atomic.Bool
	go func() {
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				f.SetReadDeadline(time.Now())
				return
			case <-done:
				return
			case <-tick.C:
				if st, err := os.Stat(pidFile); err == nil && time.Since(st.ModTime()) > syncGrace {
					stuck.Store(true)
					f.SetReadDeadline(time.Now())
					return
				}
			}
		}
	}()
	var m syncMessage
	if err := json.NewDecoder(f).Decode(&m); err != nil {
		if stuck.Load() {
			return 0, fmt.Errorf("failed to create task for container: OCI runtime create failed: the runtime ended without conmon reporting the container (killed?): unknown")
		}
		return 0, fmt.Errorf("reading conmon sync pipe: %w", err)
	}
	if m.Data < 0 {
		return 0, createError(m.Message)
	}
	return m.Data, nil
}

var logrusMsg = regexp.MustCompile(`msg="((?:[^"\\]|\\.)*)"`)

// createError turns the runtime's log line into docker's wording. The
// docker CLI maps "not found" and "permission denied" in it to exit
// codes 127 and 126, so the runtime's own message must survive intact.
func createError(raw string) error {
	msg := strings.TrimSpace(raw)
	if m := logrusMsg.FindStringSubmatch(msg); m != nil {
		if s, err := strconv.Unquote(`"` + m[1] + `"`); err == nil {
			msg = s
		}
	}
	msg = runcWords(msg)
	err := fmt.Errorf("failed to create task for container: OCI runtime create failed: %s: unknown", msg)
	lower := strings.ToLower(msg)
	if notFound(msg) || strings.Contains(lower, "permission denied") || strings.Contains(lower, "is a directory") {
		return errs.Wrap(errdefs.ErrInvalidArgument, err)
	}
	return err
}

// crunNotFound is crun's message for a missing command.
var crunNotFound = regexp.MustCompile("executable file `([^`]*)` not found in \\$PATH: No such file or directory")

// crunNotExecutable are crun's words for a command it cannot run: EACCES,
// or EPERM for one that is not a regular file (a directory).
var crunNotExecutable = strings.NewReplacer(
	"open executable: Permission denied", "open executable: permission denied",
	"open executable: Operation not permitted", "open executable: permission denied: not a regular file",
)

// runcWords rewrites crun's messages for a command that is missing or
// cannot be run in runc's words, which docker's CLI and SDK users match
// (the CLI's exit code 127 looks for "executable file not found", 126
// for "permission denied").
func runcWords(msg string) string {
	msg = crunNotFound.ReplaceAllString(msg, `exec: "$1": executable file not found in $$PATH`)
	msg = crunNoCwd.ReplaceAllString(msg, `chdir to cwd ("$1") set in config.json failed: no such file or directory`)
	return crunNotExecutable.Replace(msg)
}

// crunNoCwd is crun's message for a missing working directory.
var crunNoCwd = regexp.MustCompile("^chdir `([^`]*)`: No such file or directory$")

// notFound reports whether a runtime's error says the command is missing:
// runc's "executable file not found in $PATH", crun's "executable file
// `x` not found in $PATH: No such file or directory".
func notFound(msg string) bool {
	lower := strings.ToLower(msg)
	return strings.Contains(lower, "executable file not found") || strings.Contains(lower, "no such file or directory") ||
		strings.Contains(lower, "executable file `") && strings.Contains(lower, "` not found")
}

// Start lets the created container's process exec its entrypoint.
func (r *Runtime) Start(ctx context.Context, id string) error {
	if ok, err := r.startByFifo(ctx, id); ok {
		return err
	}
	if ok, err := r.startCrun(id); ok {
		return err
	}
	return r.run(ctx, "start", id)
}

// Exists reports whether the runtime still holds state for id (a
// created, running or stopped-but-not-deleted container).
func (r *Runtime) Exists(id string) bool {
	_, err := os.Stat(filepath.Join(r.Root, id))
	return err == nil
}

// Kill sends sig to the container's init (or all its processes). A
// signal to the init of a running runc container is sent in-process
// (killInProcess); the rest goes through the runtime's "kill".
func (r *Runtime) Kill(ctx context.Context, id string, sig syscall.Signal, all bool) error {
	if !all && r.killInProcess(id, sig) {
		return nil
	}
	args := []string{"kill"}
	if all {
		args = append(args, "--all")
	}
	if err := r.run(ctx, append(args, id, strconv.Itoa(int(sig)))...); err != nil {
		return err
	}
	// runc thaws a paused container it sends SIGKILL, so that it dies
	// (docker kill of a paused container ends it); crun does not.
	if sig == syscall.SIGKILL && r.crunPaused(id) {
		return r.Resume(ctx, id)
	}
	return nil
}

// Pause freezes all of the container's processes.
func (r *Runtime) Pause(ctx context.Context, id string) error { return r.run(ctx, "pause", id) }

// Resume thaws them.
func (r *Runtime) Resume(ctx context.Context, id string) error { return r.run(ctx, "resume", id) }

// Pids lists the host pids of the container's processes.
func (r *Runtime) Pids(ctx context.Context, id string) ([]int, error) {
	if pids, ok, err := r.crunPids(id); ok {
		return pids, err
	}
	out, err := r.output(ctx, "ps", "--format", "json", id)
	if err != nil {
		return nil, err
	}
	var pids []int
	if err := json.Unmarshal(out, &pids); err != nil {
		return nil, fmt.Errorf("runtime ps: %w", err)
	}
	return pids, nil
}

// State is the runtime's view of a container.
type State struct {
	Status string `json:"status"` // created, running, paused, stopped
	Pid    int    `json:"pid"`
}

// stateByRuntime runs the runtime's own "state".
func (r *Runtime) stateByRuntime(ctx context.Context, id string) (State, error) {
	var s State
	out, err := r.output(ctx, "state", id)
	if err != nil {
		if strings.Contains(err.Error(), "does not exist") {
			return s, errs.NotFound("container %s does not exist in the runtime", id)
		}
		return s, err
	}
	err = json.Unmarshal(out, &s)
	return s, err
}

// Update changes the resource limits of a running container.
func (r *Runtime) Update(ctx context.Context, id string, res *specs.LinuxResources) error {
	if ok, err := r.crunUpdate(ctx, id, res); ok {
		return err
	}
	return r.update(ctx, id, res)
}

// update runs the runtime's own "update" with res.
func (r *Runtime) update(ctx context.Context, id string, res *specs.LinuxResources) error {
	data, err := json.Marshal(res)
	if err != nil {
		return err
	}
	_, err = r.outputWithInput(ctx, bytes.NewReader(data), "update", "-r", "-", id)
	return err
}

func (r *Runtime) run(ctx context.Context, args ...string) error {
	_, err := r.output(ctx, args...)
	return err
}

func (r *Runtime) output(ctx context.Context, args ...string) ([]byte, error) {
	return r.outputWithInput(ctx, nil, args...)
}

func (r *Runtime) outputWithInput(ctx context.Context, stdin io.Reader, args ...string) ([]byte, error) {
	start := time.Now()
	cmd := r.command(ctx, args...)
	cmd.Stdin = stdin
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	r.Log.Debug("runtime", "args", args, "took", time.Since(start))
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if m := logrusMsg.FindStringSubmatch(msg); m != nil {
			if s, uerr := strconv.Unquote(`"` + m[1] + `"`); uerr == nil {
				msg = s
			}
		}
		return out, fmt.Errorf("%s %s: %s", r.Name, args[0], msg)
	}
	return out, nil
}

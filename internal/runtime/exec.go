package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/creack/pty"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/term"
)

// ExecOptions describe a process for Exec to run in a container.
type ExecOptions struct {
	ProcessFile string // the process's runtime-spec JSON
	PidFile     string // where the runtime records the process's host pid
	LogFile     string // where the runtime writes its own messages (JSON lines)
	// ConsoleSize gives the process a terminal of that size; nil: pipes.
	ConsoleSize *specs.Box
	Stdin       io.Reader // nil: no input
	// Files are passed on to the process as fds 3 and on; the caller
	// closes them once Exec has returned.
	Files []*os.File
	// Stdout and Stderr receive the output (nil: discard it); a
	// terminal's all goes to Stdout.
	Stdout, Stderr io.Writer
}

// Process is a process that Exec started in a container.
type Process interface {
	// Pid is the process's host pid, 0 while the runtime has not said.
	Pid() int
	// Resize changes the size of the process's terminal.
	Resize(height, width uint) error
	// Kill sends sig to the process.
	Kill(sig syscall.Signal) error
	// Wait waits for the process to end and its output to be copied, and
	// returns its exit code. A process the runtime could not start at
	// all gives 127 (missing command) or 126 and an error saying why in
	// docker's words.
	Wait() (int, error)
}

// Exec starts "<runtime> exec" for the process described in
// o.ProcessFile, in the foreground: the runtime exits with the process's
// exit code. For a terminal process the runtime relays between the
// container's pty and its own stdio, which is then a pty of ours (the
// runtime sets it raw and follows its size on SIGWINCH).
func (r *Runtime) Exec(ctx context.Context, id string, o ExecOptions) (Process, error) {
	args := []string{"--log", o.LogFile, "--log-format", "json",
		"exec", "--process", o.ProcessFile, "--pid-file", o.PidFile}
	if len(o.Files) > 0 {
		args = append(args, "--preserve-fds", strconv.Itoa(len(o.Files)))
	}
	p := &execProcess{cmd: r.command(ctx, append(args, id)...), pidFile: o.PidFile, logFile: o.LogFile}
	p.cmd.ExtraFiles = o.Files
	stdout, stderr := orDiscard(o.Stdout), orDiscard(o.Stderr)
	// The runtime's own error line lands on the process's stderr (crun),
	// or its terminal (crun, and runc, whose stderr it then is), which
	// is a terminal's output: it is the daemon's error's to say.
	if o.ConsoleSize == nil {
		p.runtimeErr = &runtimeErrorFilter{w: stderr}
		stderr = p.runtimeErr
	} else {
		p.runtimeErr = &runtimeErrorFilter{w: stdout}
		stdout = p.runtimeErr
	}
	if o.ConsoleSize == nil {
		p.cmd.Stdout, p.cmd.Stderr = stdout, stderr
		if o.Stdin == nil {
			return p, p.cmd.Start()
		}
		// Stdin goes through a pipe of ours, not exec.Cmd's: its Wait
		// would wait for the client's next write before it returned, so
		// an exec that ended would not end its stream (dockerd ends it).
		// The copy ends when the caller closes the client's connection.
		pr, pw, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		p.cmd.Stdin = pr
		err = p.cmd.Start()
		pr.Close()
		if err != nil {
			pw.Close()
			return nil, err
		}
		go func() {
			io.Copy(pw, o.Stdin)
			pw.Close()
		}()
		return p, nil
	}
	console, err := startRaw(p.cmd, &pty.Winsize{Rows: uint16(o.ConsoleSize.Height), Cols: uint16(o.ConsoleSize.Width)})
	if err != nil {
		return nil, err
	}
	p.console = console
	if o.Stdin != nil {
		go io.Copy(console, o.Stdin)
	}
	p.copies.Add(1)
	go func() {
		defer p.copies.Done()
		io.Copy(stdout, console)
	}()
	return p, nil
}

// startRaw starts cmd on a new pty already in raw mode and returns our
// side of it. The runtime would set it raw itself, but only once running:
// input the client sent before then would be echoed twice, by this pty
// and by the container's.
func startRaw(cmd *exec.Cmd, ws *pty.Winsize) (*os.File, error) {
	console, tty, err := pty.Open()
	if err != nil {
		return nil, err
	}
	defer tty.Close()
	if err := pty.Setsize(console, ws); err != nil {
		console.Close()
		return nil, err
	}
	if _, err := term.MakeRaw(int(tty.Fd())); err != nil {
		console.Close()
		return nil, err
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		console.Close()
		return nil, err
	}
	return console, nil
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// execProcess is "<runtime> exec" running in the foreground.
type execProcess struct {
	cmd        *exec.Cmd
	pidFile    string
	logFile    string
	console    *os.File       // our side of the process's terminal, or nil
	copies     sync.WaitGroup // the terminal's output copy
	runtimeErr *runtimeErrorFilter
}

func (p *execProcess) Pid() int {
	data, err := os.ReadFile(p.pidFile)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	return pid
}

func (p *execProcess) Resize(height, width uint) error {
	if p.console == nil {
		return errors.New("the process has no terminal")
	}
	return pty.Setsize(p.console, &pty.Winsize{Rows: uint16(height), Cols: uint16(width)})
}

// Kill signals the process itself: the runtime in front of it would not
// pass SIGKILL on.
func (p *execProcess) Kill(sig syscall.Signal) error {
	pid := p.Pid()
	if pid <= 0 {
		return errors.New("the process has no pid yet")
	}
	return syscall.Kill(pid, sig)
}

func (p *execProcess) Wait() (int, error) {
	werr := p.cmd.Wait()
	p.copies.Wait()
	if p.console != nil {
		p.console.Close()
	}
	code := 0
	var exitErr *exec.ExitError
	if errors.As(werr, &exitErr) {
		code = exitErr.ExitCode()
		if code < 0 {
			code = 137
		}
	}
	// A process that never started: dockerd's 127 for a missing command,
	// 126 when it cannot be executed.
	msg := runcWords(LogError(p.logFile))
	p.runtimeErr.end(msg != "")
	if msg != "" {
		code = 126
		if notFound(msg) {
			code = 127
		}
		return code, fmt.Errorf("OCI runtime exec failed: %s: unknown", msg)
	}
	return code, nil
}

// LogError returns the last error the runtime wrote to a JSON log file
// (as ExecOptions.LogFile), or "".
func LogError(logFile string) string {
	data, err := os.ReadFile(logFile)
	if err != nil {
		return ""
	}
	msg := ""
	for _, line := range strings.Split(string(data), "\n") {
		var entry struct{ Level, Msg string }
		if json.Unmarshal([]byte(line), &entry) == nil && entry.Level == "error" {
			msg = entry.Msg
		}
	}
	return msg
}

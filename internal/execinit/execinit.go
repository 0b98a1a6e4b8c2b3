// Package execinit is wharf-exec-init, the small static program through
// which wharfd starts an exec'd process whose RLIMIT_NOFILE the runtime
// cannot be trusted to set: it sets that limit itself, then execs the
// command as the runtime would have.
//
// runc before 1.1.13 built with Go 1.19 or later (Debian bookworm has
// 1.1.5) sets an exec's rlimits with prlimit(2) on its "runc init" child
// while the child's Go runtime is raising its own soft RLIMIT_NOFILE to
// the hard one (runc#4195, fixed by runc#4265): most execs in a container
// with nofile=1000:2000 then get 2000:2000, while its init, whose limits
// runc sets later, gets 1000:2000. Only nofile is affected, and only a
// soft limit below the hard one.
//
// The program is not in the container's file system, so the runtime runs
// it from a file descriptor (runc exec --preserve-fds 2): itself at fd 3
// and the runtime's JSON log at fd 4, where it reports a command that
// cannot be started in the runtime's own words.
package execinit

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Name is the program's file name, installed beside wharfd.
const Name = "wharf-exec-init"

// StartFailure begins the runtime's message for a process that could not
// be started (runc's wording, which callers look for).
const StartFailure = "exec failed: unable to start container process: "

// The program's descriptors, in the order Files gives them to the runtime.
const (
	selfFD = 3
	logFD  = 4
)

// Args is the process's argv that runs argv with RLIMIT_NOFILE soft:hard.
func Args(soft, hard uint64, argv []string) []string {
	return append([]string{"/proc/self/fd/" + strconv.Itoa(selfFD), fmt.Sprintf("nofile=%d:%d", soft, hard), "--"}, argv...)
}

// Files opens what the runtime must pass on as fds 3 and 4: the program
// at path and the runtime's log file. The caller closes them once the
// runtime has started.
func Files(path, logFile string) ([]*os.File, error) {
	self, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	log, err := os.OpenFile(logFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		self.Close()
		return nil, err
	}
	return []*os.File{self, log}, nil
}

// Main is the program: it does not return.
func Main() {
	// Neither descriptor is for the command.
	syscall.CloseOnExec(selfFD)
	syscall.CloseOnExec(logFD)
	err := run(os.Args[1:])
	report(err)
	if errors.Is(err, exec.ErrNotFound) {
		os.Exit(127)
	}
	os.Exit(126)
}

// run sets the limit and execs the command; it returns only on failure.
func run(args []string) error {
	lim, argv, err := parse(args)
	if err != nil {
		return err
	}
	// syscall.Setrlimit, not prlimit: it also tells the Go runtime not to
	// put back, at exec, the limit it found when it started.
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("setting RLIMIT_NOFILE %d:%d: %w", lim.Cur, lim.Max, err)
	}
	// As runc: the command is looked up in the process's own $PATH.
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return err
	}
	err = syscall.Exec(path, argv, os.Environ())
	return &os.PathError{Op: "exec", Path: path, Err: err}
}

// parse reads Args' "nofile=soft:hard -- argv...".
func parse(args []string) (syscall.Rlimit, []string, error) {
	var lim syscall.Rlimit
	if len(args) < 3 || args[1] != "--" {
		return lim, nil, fmt.Errorf("%s: usage: nofile=SOFT:HARD -- COMMAND [ARG...]", Name)
	}
	soft, hard, ok := strings.Cut(strings.TrimPrefix(args[0], "nofile="), ":")
	var errSoft, errHard error
	lim.Cur, errSoft = strconv.ParseUint(soft, 10, 64)
	lim.Max, errHard = strconv.ParseUint(hard, 10, 64)
	if !ok || !strings.HasPrefix(args[0], "nofile=") || errSoft != nil || errHard != nil {
		return lim, nil, fmt.Errorf("%s: bad limit %q", Name, args[0])
	}
	return lim, args[2:], nil
}

// report writes err to the runtime's log as the runtime logs its own
// failure to start a process, for the daemon to find there.
func report(err error) {
	line, _ := json.Marshal(map[string]string{
		"level": "error",
		"msg":   StartFailure + err.Error(),
		"time":  time.Now().UTC().Format(time.RFC3339),
	})
	log := os.NewFile(logFD, "log")
	log.Write(append(line, '\n'))
}

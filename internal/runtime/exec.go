package runtime

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// ExecCommand returns "<runtime> exec" for the process described in
// processFile, run in the foreground: the command exits with the
// process's exit code. For a terminal process the runtime relays between
// the container's pty and its own stdio, which must then be a terminal
// too (the runtime sets it raw and follows its size on SIGWINCH). The
// runtime's own messages go to logFile (JSON lines), not into the
// process's stderr. The process also gets files, as fds 3 and on.
func (r *Runtime) ExecCommand(ctx context.Context, id, processFile, pidFile, logFile string, files ...*os.File) *exec.Cmd {
	args := []string{"--root", r.Root, "--log", logFile, "--log-format", "json",
		"exec", "--process", processFile, "--pid-file", pidFile}
	if len(files) > 0 {
		args = append(args, "--preserve-fds", strconv.Itoa(len(files)))
	}
	cmd := exec.CommandContext(ctx, r.Path, append(args, id)...)
	cmd.ExtraFiles = files
	return cmd
}

// LogError returns the last error the runtime wrote to a JSON log file
// (as ExecCommand's logFile), or "".
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

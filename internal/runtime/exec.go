package runtime

import (
	"context"
	"os/exec"
)

// ExecCommand returns "<runtime> exec" for the process described in
// processFile, run in the foreground: the command exits with the
// process's exit code. With a console socket the runtime sends the pty
// master there instead of using the command's stdio.
func (r *Runtime) ExecCommand(ctx context.Context, id, processFile, consoleSocket, pidFile string) *exec.Cmd {
	args := []string{"--root", r.Root, "exec", "--process", processFile, "--pid-file", pidFile}
	if consoleSocket != "" {
		args = append(args, "--tty", "--console-socket", consoleSocket)
	}
	return exec.CommandContext(ctx, r.Path, append(args, id)...)
}

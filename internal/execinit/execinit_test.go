package execinit

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/wharf/wharf/internal/runtime"
)

// The test binary is the program when this is set (see runProgram).
const asProgram = "WHARF_EXECINIT_TEST_PROGRAM"

func TestMain(m *testing.M) {
	if os.Getenv(asProgram) != "" {
		Main()
	}
	os.Exit(m.Run())
}

func TestParseReadsArgs(t *testing.T) {
	args := Args(1000, 2000, []string{"sh", "-c", "ulimit -n", "--"})
	if args[0] != "/proc/self/fd/3" {
		t.Fatalf("program path %q", args[0])
	}
	lim, argv, err := parse(args[1:])
	if err != nil || lim != (syscall.Rlimit{Cur: 1000, Max: 2000}) || !slices.Equal(argv, []string{"sh", "-c", "ulimit -n", "--"}) {
		t.Fatalf("parse: %+v %q %v", lim, argv, err)
	}
	for _, bad := range [][]string{nil, {"nofile=1:2", "sh"}, {"nofile=1:2", "--"}, {"nofile=1", "--", "sh"}, {"nproc=1:2", "--", "sh"}, {"nofile=a:2", "--", "sh"}} {
		if _, _, err := parse(bad); err == nil {
			t.Errorf("parse(%q) accepted", bad)
		}
	}
}

// runProgram runs the test binary as the program, as the runtime would
// (minus the path: the binary is not reached through its own fd here).
func runProgram(t *testing.T, soft, hard uint64, argv ...string) (string, string, int) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(t.TempDir(), "runtime.log")
	files, err := Files(self, logFile)
	if err != nil {
		t.Fatal(err)
	}
	defer files[0].Close()
	defer files[1].Close()
	cmd := exec.Command(self, Args(soft, hard, argv)[1:]...)
	cmd.Env = append(os.Environ(), asProgram+"=1")
	cmd.ExtraFiles = files
	out, err := cmd.Output()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), runtime.LogError(logFile), code
}

func TestProgramSetsNofileAndExecs(t *testing.T) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Max < 64 {
		t.Skip("RLIMIT_NOFILE", lim, err)
	}
	// Lower than ours, so that no privilege is needed; soft below hard,
	// as the Go runtime would not leave it.
	// The shell also checks that neither of the program's descriptors is
	// left to the command.
	out, msg, code := runProgram(t, 40, 60, "sh", "-c", "ulimit -Sn; ulimit -Hn; for fd in 3 4; do [ -e /proc/$$/fd/$fd ] && echo fd $fd; done; true")
	if code != 0 || msg != "" || out != "40\n60\n" {
		t.Fatalf("exit %d, log %q, output %q", code, msg, out)
	}
}

func TestProgramReportsLikeTheRuntime(t *testing.T) {
	_, msg, code := runProgram(t, 40, 60, "no-such-command")
	if code != 127 || msg != StartFailure+`exec: "no-such-command": executable file not found in $PATH` {
		t.Fatalf("exit %d, log %q", code, msg)
	}
	_, msg, code = runProgram(t, 40, 60, "/etc/passwd")
	if code != 126 || msg != StartFailure+`exec: "/etc/passwd": permission denied` {
		t.Fatalf("exit %d, log %q", code, msg)
	}
}

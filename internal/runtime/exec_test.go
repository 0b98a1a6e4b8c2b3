package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// scriptRuntime is a Runtime whose binary is a shell script: body runs
// with $pidfile, $log and $root taken from the arguments runc would get.
func scriptRuntime(t *testing.T, body string) *Runtime {
	t.Helper()
	dir := t.TempDir()
	script := `#!/bin/sh
while [ $# -gt 0 ]; do
	case $1 in
	--root) root=$2; shift ;;
	--log) log=$2; shift ;;
	--pid-file) pidfile=$2; shift ;;
	esac
	shift
done
` + body + "\n"
	path := filepath.Join(dir, "runc")
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return &Runtime{Name: "runc", Path: path, Root: filepath.Join(dir, "root"), Log: slog.New(slog.DiscardHandler)}
}

func execOptions(t *testing.T) ExecOptions {
	dir := t.TempDir()
	return ExecOptions{
		ProcessFile: filepath.Join(dir, "process.json"),
		PidFile:     filepath.Join(dir, "pid"),
		LogFile:     filepath.Join(dir, "runtime.log"),
	}
}

func TestExecPassesOutputAndExitCode(t *testing.T) {
	rt := scriptRuntime(t, `echo $$ > "$pidfile"; echo out; echo err >&2; exit 3`)
	o := execOptions(t)
	var stdout, stderr bytes.Buffer
	o.Stdout, o.Stderr = &stdout, &stderr
	p, err := rt.Exec(context.Background(), "c1", o)
	if err != nil {
		t.Fatal(err)
	}
	code, err := p.Wait()
	if err != nil || code != 3 {
		t.Fatalf("Wait: %d, %v; want 3, nil", code, err)
	}
	if stdout.String() != "out\n" || stderr.String() != "err\n" {
		t.Fatalf("stdout %q stderr %q", stdout.String(), stderr.String())
	}
	if p.Pid() <= 0 {
		t.Fatal("no pid from the pid file")
	}
	if p.Resize(10, 10) == nil {
		t.Fatal("resized the terminal of a process without one")
	}
}

func TestExecReportsARuntimeFailureInDockersWords(t *testing.T) {
	rt := scriptRuntime(t, `echo '{"level":"error","msg":"exec: \"nope\": executable file not found in $PATH"}' > "$log"
echo 'exec failed: unable to start container process: exec: "nope"' >&2
exit 255`)
	p, err := rt.Exec(context.Background(), "c1", execOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	code, err := p.Wait()
	want := `OCI runtime exec failed: exec: "nope": executable file not found in $PATH: unknown`
	if code != 127 || err == nil || err.Error() != want {
		t.Fatalf("Wait: %d, %v; want 127, %s", code, err, want)
	}
}

func TestExecOnATerminal(t *testing.T) {
	rt := scriptRuntime(t, `stty size; read line; echo "got $line"`)
	o := execOptions(t)
	var out bytes.Buffer
	o.ConsoleSize = &specs.Box{Height: 30, Width: 100}
	o.Stdin, o.Stdout = strings.NewReader("hello\n"), &out
	p, err := rt.Exec(context.Background(), "c1", o)
	if err != nil {
		t.Fatal(err)
	}
	if code, err := p.Wait(); code != 0 || err != nil {
		t.Fatalf("Wait: %d, %v", code, err)
	}
	if s := out.String(); !strings.Contains(s, "30 100") || !strings.Contains(s, "got hello") {
		t.Fatalf("terminal output %q", s)
	}
}

func TestUpdateSendsResourcesOnStdin(t *testing.T) {
	got := filepath.Join(t.TempDir(), "stdin")
	rt := scriptRuntime(t, `cat > `+got)
	limit := int64(64)
	if err := rt.Update(context.Background(), "c1", &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}}); err != nil {
		t.Fatal(err)
	}
	var res specs.LinuxResources
	data, _ := os.ReadFile(got)
	if err := json.Unmarshal(data, &res); err != nil || res.Pids == nil || *res.Pids.Limit != 64 {
		t.Fatalf("runtime got %q (%v)", data, err)
	}

	rt = scriptRuntime(t, `echo 'time="x" level=error msg="invalid value"' >&2; exit 1`)
	err := rt.Update(context.Background(), "c1", &specs.LinuxResources{})
	if err == nil || err.Error() != "runc update: invalid value" {
		t.Fatalf("Update error: %v", err)
	}
}

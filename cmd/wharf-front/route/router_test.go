package route

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRouterAgrees builds the C router (cmd/wharf/wharf.c) with the
// system's cc and checks that it runs wharf-front exactly for the command
// lines Command names and environments without the variables Env refuses
// by name, wharf-cli for the rest, from its own directory and with argv
// as given.
func TestRouterAgrees(t *testing.T) {
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no cc")
	}
	dir := t.TempDir()
	router := filepath.Join(dir, "wharf")
	if out, err := exec.Command(cc, "-std=c11", "-Os", "-static", "-Wall", "-Wextra", "-Werror", "-o", router, "../../wharf/wharf.c").CombinedOutput(); err != nil {
		t.Fatalf("cc: %v\n%s", err, out)
	}
	// Stand-ins that say who they are and what argv they got.
	for _, name := range []string{"wharf-front", "wharf-cli"} {
		script := "#!/bin/sh\necho " + name + " \"$0\" \"$@\"\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	run := func(env []string, args ...string) string {
		cmd := exec.Command(router, args...)
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		return strings.TrimSpace(string(out))
	}
	plain := []string{"HOME=/root", "DOCKER_HOST=unix:///x.sock", "DOCKER_CONFIG=/c", "PATH=/bin"}
	for _, args := range [][]string{
		{"--version"}, {"-v"}, {"--version", "ps"}, {"-v", "x"}, {"version"}, {},
		{"ps"}, {"ps", "-a"}, {"inspect", "x"}, {"exec", "-i", "c", "sh"}, {"exec"},
		{"container", "ls"}, {"container", "list"}, {"container", "ps"}, {"container", "inspect", "x"},
		{"container", "exec", "c", "true"}, {"container"}, {"container", "rm", "x"},
		{"run", "--rm", "busybox"}, {"create", "busybox"}, {"compose", "ps"}, {"-H", "unix:///x", "ps"},
		{"--debug", "ps"}, {"PS"}, {"image", "inspect", "x"}, {""},
	} {
		want := "wharf-cli"
		if _, _, ok := Command(args); ok || (len(args) == 1 && (args[0] == "--version" || args[0] == "-v")) {
			want = "wharf-front"
		}
		got := run(plain, args...)
		if wantOut := strings.TrimSpace(strings.Join(append([]string{want, filepath.Join(dir, want)}, args...), " ")); got != wantOut {
			t.Errorf("%q: ran %q, want %q", args, got, wantOut)
		}
	}
	for _, env := range [][]string{
		{"HOME=/root", "DOCKER_CONTEXT=x"}, {"DOCKER_TLS_VERIFY=1"}, {"OTEL_X=1"}, {"DOCKER_HOSTS=x"},
	} {
		if got := run(env, "ps"); !strings.HasPrefix(got, "wharf-cli ") {
			t.Errorf("env %q: ran %q, want wharf-cli", env, got)
		}
	}
	// Without wharf-front beside it, wharf-cli answers everything.
	os.Remove(filepath.Join(dir, "wharf-front"))
	if got := run(plain, "ps"); !strings.HasPrefix(got, "wharf-cli ") {
		t.Errorf("without wharf-front: ran %q", got)
	}
	// Without either, it says what is missing.
	os.Remove(filepath.Join(dir, "wharf-cli"))
	out, err := exec.Command(router, "ps").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "wharf-cli, must be installed beside wharf") {
		t.Errorf("without wharf-cli: %v %s", err, out)
	}
}

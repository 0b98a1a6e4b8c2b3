//go:build integration

package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// stallFirewall makes a directory to put first in wharfd's PATH, whose
// iptables and iptables-restore wait while the file hold exists when a
// rule change uses one of ops ("-A", "-D"): in iptables' arguments, or in
// iptables-restore's input. A waiting wrapper touches reached.
func stallFirewall(t *testing.T, ops ...string) (dir, hold, reached string) {
	t.Helper()
	dir = t.TempDir()
	hold, reached = filepath.Join(dir, "hold"), filepath.Join(dir, "reached")
	stall := "while [ -e " + hold + " ]; do : > " + reached + "; sleep 0.05; done"
	var argCases, inputCases string
	for _, op := range ops {
		argCases += "*\" " + op + " \"*) " + stall + ";;\n"
		inputCases += "*\"" + op + " \"*) " + stall + ";;\n"
	}
	for _, name := range []string{"iptables", "iptables-restore"} {
		real, err := exec.LookPath(name)
		if err != nil {
			t.Skip("no " + name)
		}
		script := "#!/bin/sh\ncase \" $* \" in\n" + argCases + "esac\nexec " + real + " \"$@\"\n"
		if name == "iptables-restore" {
			script = "#!/bin/sh\ninput=$(cat)\ncase \"$input\" in\n" + inputCases + "esac\nprintf '%s\\n' \"$input\" | exec " + real + " \"$@\"\n"
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir, hold, reached
}

// holdFirewall makes stallFirewall's wrappers wait from now on; the
// returned func lets them go (defer it before anything that needs the
// firewall on the way out, such as removing the test's containers).
func holdFirewall(t *testing.T, hold string) (release func()) {
	t.Helper()
	if err := os.WriteFile(hold, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return func() { os.Remove(hold) }
}

//go:build integration

package integration

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// pythonSDK runs a python3 script with the Docker SDK for Python (Debian's
// python3-docker) against the test daemon, as a user's script would, and
// returns what it printed. The script finds a client in `client` (API
// 1.41, the version Debian's SDK negotiates) and its low-level API in
// `api`; args are its sys.argv[1:]. The test is skipped when the SDK is
// not installed (apt-get install python3-docker).
func pythonSDK(t *testing.T, script string, args ...string) string {
	t.Helper()
	// Debian's package first, should pip have put another version
	// ahead of it.
	env := append(os.Environ(), "DOCKER_HOST=unix://"+testEnv.sock, "PYTHONPATH=/usr/lib/python3/dist-packages")
	probe := exec.Command("python3", "-c", "import docker")
	probe.Env = env
	if err := probe.Run(); err != nil {
		t.Skip("python3-docker is not installed (apt-get install -y python3-docker; make deps installs it)")
	}
	prelude := "import os, sys, time, docker\n" +
		"client = docker.DockerClient(base_url=os.environ['DOCKER_HOST'], version='1.41', timeout=60)\n" +
		"api = client.api\n"
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "python3", append([]string{"-c", prelude + script}, args...)...)
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3-docker script: %v\nstdout: %s\nstderr: %s", err, out, stderr.String())
	}
	return string(out)
}

//go:build integration

package integration

import (
	"strings"
	"testing"
	"time"
)

// docker-compose 1.29's logs -f follows a project until its containers
// have stopped, and ends at once for one already stopped; it reads the
// events' pre-1.22 status/id/from fields, which dockerd sends up to API
// 1.51 (without them its event thread dies on KeyError: 'id').
func TestComposeLegacyLogsFollowEnds(t *testing.T) {
	name := strings.ToLower(uniqueName(t, "p"))
	p := newProject(t, "docker-compose", name, map[string]string{"docker-compose.yml": `services:
  a:
    image: busybox
    command: sh -c 'echo from-a; sleep 2'
  b:
    image: busybox
    command: sh -c 'echo from-b; sleep 3'
`})
	p.must("up", "-d")
	start := time.Now()
	r := p.run("logs", "-f")
	if r.code != 0 || !strings.Contains(r.stdout, "from-a") || !strings.Contains(r.stdout, "from-b") || strings.Contains(r.stderr, "Traceback") {
		t.Fatalf("logs -f of running containers: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("logs -f took %s", took)
	}
	// All stopped now: logs -f prints and ends.
	start = time.Now()
	r = p.run("logs", "-f")
	if r.code != 0 || !strings.Contains(r.stdout, "from-b") || time.Since(start) > 20*time.Second {
		t.Fatalf("logs -f of stopped containers: exit %d after %s\nstdout: %s\nstderr: %s", r.code, time.Since(start), r.stdout, r.stderr)
	}
}

// down --rmi local removes the images the project built, and only those
// (docker-compose 1.29).
func TestComposeLegacyDownRmiLocal(t *testing.T) {
	noBuildkit(t)
	name := strings.ToLower(uniqueName(t, "p"))
	named := name + "-named:1"
	cleanupImages(t, named, name+"_web")
	p := newProject(t, "docker-compose", name, map[string]string{
		"Dockerfile": "FROM busybox\nRUN echo " + name + " > /built\n",
		"docker-compose.yml": `services:
  web:
    build: .
    command: "true"
  named:
    build: .
    image: ` + named + `
    command: "true"
`})
	p.must("up", "-d", "--build")
	if r := testEnv.run("docker", "image", "inspect", name+"_web"); r.code != 0 {
		t.Fatalf("the built image %s_web is missing: %s", name, r.stderr)
	}
	p.must("down", "--rmi", "local")
	if r := testEnv.run("docker", "image", "inspect", name+"_web"); r.code == 0 {
		t.Errorf("down --rmi local left the built image %s_web", name)
	}
	if r := testEnv.run("docker", "image", "inspect", named); r.code != 0 {
		t.Errorf("down --rmi local removed %s, which has a name of its own", named)
	}
}

//go:build integration

package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// composeTools are the compose clients every compose test runs with:
// `wharf compose` and the docker CLI's compose v2 plugin (built from the
// same compose module; setup puts it in the suite's DOCKER_CONFIG).
var composeTools = []string{"wharf", "docker"}

// project is a compose project in its own directory.
type project struct {
	t    *testing.T
	dir  string
	name string
	tool string // "wharf", "docker" or "docker-compose"
}

// newProject writes files (relative path → content) into a new directory
// and removes everything the project made when the test ends.
func newProject(t *testing.T, tool, name string, files map[string]string) *project {
	t.Helper()
	p := &project{t: t, dir: t.TempDir(), name: name, tool: tool}
	for rel, content := range files {
		path := filepath.Join(p.dir, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		testEnv.runDir(p.dir, nil, "wharf", "compose", "-p", name, "down", "-v", "--remove-orphans", "-t", "1")
	})
	return p
}

// run runs a compose command of the project's tool.
func (p *project) run(args ...string) result {
	args = append([]string{"-p", p.name}, args...)
	if p.tool != "docker-compose" {
		args = append([]string{"compose"}, args...)
	}
	return testEnv.runDir(p.dir, nil, p.tool, args...)
}

// must runs a compose command and fails the test unless it exits 0.
func (p *project) must(args ...string) string {
	p.t.Helper()
	r := p.run(args...)
	if r.code != 0 {
		p.t.Fatalf("%s compose %s: exit %d\nstdout: %s\nstderr: %s", p.tool, strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// ids is `ps -q` (all containers with -a) as a sorted list.
func (p *project) ids(args ...string) []string {
	p.t.Helper()
	ids := strings.Fields(p.must(append([]string{"ps", "-q"}, args...)...))
	slices.Sort(ids)
	return ids
}

const composeApp = `services:
  web:
    image: busybox
    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
    ports: ["127.0.0.1:${WEB_PORT}:8080"]
    volumes: ["data:/www"]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
      interval: 1s
      timeout: 2s
      retries: 20
    depends_on:
      init:
        condition: service_completed_successfully
  init:
    image: busybox
    command: ["sh", "-c", "echo hello from ${GREETING:-nowhere} > /www/index.html"]
    volumes:
      - type: volume
        source: data
        target: /www
  worker:
    build:
      context: ./worker
      args:
        MESSAGE: built by compose
    environment:
      MODE: ${MODE:-one}
    volumes: ["/cache"]
    command: ["sh", "-c", "cat /built; while true; do wget -q -O- http://web:8080/; sleep 1; done"]
    depends_on:
      web:
        condition: service_healthy
volumes:
  data:
    labels:
      purpose: test
`

const composeWorkerDockerfile = `FROM busybox
ARG MESSAGE
RUN echo "$MESSAGE" > /built
`

// TestComposeApp runs a three-service application through its life: build,
// dependency order with conditions, health, DNS by service name, published
// ports, .env interpolation, labels, convergence, scaling and down -v.
func TestComposeApp(t *testing.T) {
	for _, tool := range composeTools {
		t.Run(tool, func(t *testing.T) {
			port := freePort(t)
			name := "ca-" + tool
			p := newProject(t, tool, name, map[string]string{
				"compose.yaml":      composeApp,
				".env":              fmt.Sprintf("WEB_PORT=%d\nGREETING=dotenv\n", port),
				"worker/Dockerfile": composeWorkerDockerfile,
			})
			p.must("up", "-d", "--build", "--wait")

			running := p.must("ps", "--format", "{{.Name}} {{.Service}} {{.State}}")
			for _, want := range []string{name + "-web-1 web running", name + "-worker-1 worker running"} {
				if !strings.Contains(running, want) {
					t.Errorf("ps: want %q in\n%s", want, running)
				}
			}
			if strings.Contains(running, "init") {
				t.Errorf("ps without -a lists the exited init service:\n%s", running)
			}
			if got := strings.Fields(p.must("ps", "-a", "--services")); sorted(got) != "init web worker" {
				t.Errorf("ps -a --services = %v", got)
			}
			if got := inspectField(t, name+"-init-1", "{{.State.Status}} {{.State.ExitCode}}"); got != "exited 0" {
				t.Errorf("init: %s, want exited 0", got)
			}
			if got := inspectField(t, name+"-web-1", "{{.State.Health.Status}}"); got != "healthy" {
				t.Errorf("web health %q after up --wait", got)
			}
			if body := httpGet(t, fmt.Sprintf("127.0.0.1:%d", port)); !strings.Contains(body, "hello from dotenv") {
				t.Errorf("published port answered %q", body)
			}

			// docker compose's labels and names.
			labels := inspectField(t, name+"-worker-1", `{{index .Config.Labels "com.docker.compose.project"}} {{index .Config.Labels "com.docker.compose.service"}} {{index .Config.Labels "com.docker.compose.container-number"}} {{index .Config.Labels "com.docker.compose.oneoff"}}`)
			if labels != name+" worker 1 False" {
				t.Errorf("labels: %q", labels)
			}
			for _, l := range []string{"com.docker.compose.config-hash", "com.docker.compose.version", "com.docker.compose.project.working_dir"} {
				if inspectField(t, name+"-worker-1", fmt.Sprintf("{{index .Config.Labels %q}}", l)) == "" {
					t.Errorf("label %s missing", l)
				}
			}
			if got := inspectField(t, name+"_default", `{{index .Labels "com.docker.compose.network"}} {{index .Labels "com.docker.compose.project"}}`); got != "default "+name {
				t.Errorf("network labels: %q", got)
			}
			if got := inspectField(t, name+"_data", `{{index .Labels "com.docker.compose.volume"}} {{index .Labels "purpose"}}`); got != "data test" {
				t.Errorf("volume labels: %q", got)
			}

			// The worker reaches web by its service name, and its image was built.
			waitFor(t, 20*time.Second, "worker logs", func() bool {
				logs := p.run("logs", "--no-color", "worker").stdout
				return strings.Contains(logs, "worker-1  | built by compose") && strings.Contains(logs, "worker-1  | hello from dotenv")
			})
			if got := strings.TrimSpace(p.must("exec", "-T", "worker", "sh", "-c", "cat /built; echo $MODE")); got != "built by compose\none" {
				t.Errorf("exec: %q", got)
			}

			// Unchanged: nothing is recreated.
			before := p.ids()
			cache := inspectField(t, name+"-worker-1", `{{range .Mounts}}{{if eq .Destination "/cache"}}{{.Name}}{{end}}{{end}}`)
			p.must("up", "-d")
			if after := p.ids(); !slices.Equal(before, after) {
				t.Errorf("up -d on an unchanged project recreated containers: %v -> %v", before, after)
			}
			// One service's configuration changes: only it is recreated,
			// keeping its anonymous volume.
			webID := inspectField(t, name+"-web-1", "{{.Id}}")
			workerID := inspectField(t, name+"-worker-1", "{{.Id}}")
			if err := os.WriteFile(filepath.Join(p.dir, ".env"), []byte(fmt.Sprintf("WEB_PORT=%d\nGREETING=dotenv\nMODE=two\n", port)), 0o644); err != nil {
				t.Fatal(err)
			}
			p.must("up", "-d")
			if got := inspectField(t, name+"-web-1", "{{.Id}}"); got != webID {
				t.Errorf("web was recreated though unchanged")
			}
			if got := inspectField(t, name+"-worker-1", "{{.Id}}"); got == workerID {
				t.Errorf("worker was not recreated after its environment changed")
			}
			if got := strings.TrimSpace(p.must("exec", "-T", "worker", "sh", "-c", "echo $MODE")); got != "two" {
				t.Errorf("MODE after recreation: %q", got)
			}
			if got := inspectField(t, name+"-worker-1", `{{range .Mounts}}{{if eq .Destination "/cache"}}{{.Name}}{{end}}{{end}}`); got != cache || cache == "" {
				t.Errorf("anonymous volume /cache: %q before, %q after recreation", cache, got)
			}

			// Scale out and back.
			p.must("up", "-d", "--scale", "worker=2")
			if got := p.must("ps", "--format", "{{.Name}}", "worker"); !strings.Contains(got, name+"-worker-2") {
				t.Errorf("after --scale worker=2: %q", got)
			}
			p.must("up", "-d", "--scale", "worker=1")
			if got := len(strings.Fields(p.must("ps", "-q", "worker"))); got != 1 {
				t.Errorf("after --scale worker=1: %d containers", got)
			}

			p.must("down", "-v", "-t", "1")
			if got := cli(t, "wharf", "ps", "-aq", "--filter", "label=com.docker.compose.project="+name); got != "" {
				t.Errorf("containers left after down: %s", got)
			}
			if got := cli(t, "wharf", "network", "ls", "-q", "--filter", "name="+name+"_default"); got != "" {
				t.Errorf("network left after down: %s", got)
			}
			if r := testEnv.run("wharf", "volume", "inspect", name+"_data"); r.code == 0 {
				t.Errorf("named volume left after down -v")
			}
			// Like dockerd, rm -v keeps the inherited anonymous volume: the
			// recreated container mounts it by name.
			testEnv.run("wharf", "volume", "rm", cache)
		})
	}
}

// TestComposeInterop: wharf compose and docker compose manage the same
// project in turn.
func TestComposeInterop(t *testing.T) {
	files := map[string]string{"compose.yaml": "services:\n  a:\n    image: busybox\n    command: sleep 300\n    volumes: [/data]\n  b:\n    image: busybox\n    command: sleep 300\n"}
	w := newProject(t, "wharf", "interop", files)
	d := &project{t: t, dir: w.dir, name: w.name, tool: "docker"}
	w.must("up", "-d")
	ids := w.ids()
	if len(ids) != 2 {
		t.Fatalf("up: %v", ids)
	}
	if got := d.ids(); !slices.Equal(got, ids) {
		t.Errorf("docker compose ps -q = %v, wharf compose ps -q = %v", got, ids)
	}
	d.must("up", "-d")
	if got := w.ids(); !slices.Equal(got, ids) {
		t.Errorf("docker compose up recreated wharf compose's containers: %v -> %v", ids, got)
	}
	d.must("stop", "-t", "1", "b")
	if got := w.must("ps", "--services"); strings.TrimSpace(got) != "a" {
		t.Errorf("after docker compose stop b, wharf compose ps --services = %q", got)
	}
	anon := inspectField(t, "interop-a-1", "{{range .Mounts}}{{.Name}}{{end}}")
	d.must("down", "-v", "-t", "1")
	if got := w.ids("-a"); len(got) != 0 {
		t.Errorf("containers left: %v", got)
	}
	if r := testEnv.run("wharf", "volume", "inspect", anon); anon == "" || r.code == 0 {
		t.Errorf("anonymous volume %q left after down -v", anon)
	}
}

// TestComposeRun: one-off containers, their environment, entrypoint and
// exit code, and --rm.
func TestComposeRun(t *testing.T) {
	for _, tool := range composeTools {
		t.Run(tool, func(t *testing.T) {
			p := newProject(t, tool, "crun-"+tool, map[string]string{
				"compose.yaml": "services:\n  app:\n    image: busybox\n    environment:\n      FROM_FILE: yes\n    command: echo default\n",
			})
			r := p.run("run", "--rm", "-T", "-e", "X=42", "app", "sh", "-c", "echo $X $FROM_FILE; exit 3")
			if r.code != 3 || strings.TrimSpace(r.stdout) != "42 yes" {
				t.Errorf("run: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
			}
			if out := strings.TrimSpace(p.must("run", "--rm", "-T", "--entrypoint", "echo", "app", "from", "entrypoint")); out != "from entrypoint" {
				t.Errorf("run --entrypoint: %q", out)
			}
			if got := cli(t, "wharf", "ps", "-aq", "--filter", "label=com.docker.compose.project="+p.name); got != "" {
				t.Errorf("run --rm left containers: %s", got)
			}
			p.must("run", "-T", "--name", p.name+"-kept", "app")
			if got := inspectField(t, p.name+"-kept", `{{index .Config.Labels "com.docker.compose.oneoff"}} {{.State.ExitCode}}`); got != "True 0" {
				t.Errorf("one-off container: %q", got)
			}
		})
	}
}

// TestComposeExitCodeFrom: up --abort-on-container-exit stops everything
// when one container exits and --exit-code-from returns its code.
func TestComposeExitCodeFrom(t *testing.T) {
	p := newProject(t, "wharf", "cexit", map[string]string{
		"compose.yaml": "services:\n  long:\n    image: busybox\n    command: sleep 300\n  short:\n    image: busybox\n    command: sh -c 'sleep 1; echo bye; exit 5'\n",
	})
	r := p.run("up", "--abort-on-container-exit", "--exit-code-from", "short", "-t", "1")
	if r.code != 5 {
		t.Errorf("up --exit-code-from short: exit %d, want 5\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "bye") {
		t.Errorf("up did not stream the service's output:\n%s", r.stdout)
	}
	if got := inspectField(t, "cexit-long-1", "{{.State.Running}}"); got != "false" {
		t.Errorf("long still running after abort")
	}
}

// TestComposeConfig: the file is normalised, interpolated from .env and
// the environment, and a required variable that is unset is an error.
func TestComposeConfig(t *testing.T) {
	p := newProject(t, "wharf", "cconfig", map[string]string{
		"compose.yaml": "services:\n  b:\n    image: busybox:${TAG:-latest}\n    ports: [\"8081-8082:80-81\"]\n  a:\n    image: busybox\n    environment:\n      GREETING: ${GREETING}\n    profiles: [extra]\n",
		".env":         "GREETING=hi\n",
	})
	if got := strings.Fields(p.must("config", "--services")); !slices.Equal(got, []string{"b"}) {
		t.Errorf("config --services without profile = %v", got)
	}
	if got := strings.Fields(p.must("--profile", "extra", "config", "--services")); sorted(got) != "a b" {
		t.Errorf("config --services --profile extra = %v", got)
	}
	out := p.must("--profile", "extra", "config")
	for _, want := range []string{"image: busybox:latest", "GREETING: hi", "published: \"8082\"", "name: cconfig"} {
		if !strings.Contains(out, want) {
			t.Errorf("config: want %q in\n%s", want, out)
		}
	}
	if err := os.WriteFile(filepath.Join(p.dir, "compose.yaml"), []byte("services:\n  a:\n    image: ${IMAGE:?set IMAGE please}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := p.run("config")
	if r.code == 0 || !strings.Contains(r.stderr, "required variable IMAGE is missing a value: set IMAGE please") {
		t.Errorf("config with a missing required variable: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestComposeLegacy: Debian's docker-compose 1.29 (Python, docker-py)
// against wharfd.
func TestComposeLegacy(t *testing.T) {
	if _, err := os.Stat("/usr/bin/docker-compose"); err != nil {
		t.Fatal("docker-compose 1.29 is not installed (make deps installs it)")
	}
	port := freePort(t)
	p := newProject(t, "docker-compose", "clegacy", map[string]string{
		"docker-compose.yml": fmt.Sprintf(`version: "3.8"
services:
  web:
    image: busybox
    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
    ports: ["127.0.0.1:%d:8080"]
    volumes: ["data:/www"]
  worker:
    build: ./worker
    command: ["sh", "-c", "echo hello > /www/index.html; cat /built; sleep 300"]
    volumes: ["data:/www"]
volumes:
  data: {}
`, port),
		"worker/Dockerfile": composeWorkerDockerfile,
	})
	t.Cleanup(func() { p.run("down", "-v", "-t", "1") })
	p.must("up", "-d", "--build")
	ps := p.must("ps")
	for _, want := range []string{"clegacy_web_1", "clegacy_worker_1", "Up"} {
		if !strings.Contains(ps, want) {
			t.Errorf("ps: want %q in\n%s", want, ps)
		}
	}
	if body := httpGet(t, fmt.Sprintf("127.0.0.1:%d", port)); !strings.Contains(body, "hello") {
		t.Errorf("published port answered %q", body)
	}
	if got := strings.TrimSpace(p.must("exec", "-T", "web", "cat", "/www/index.html")); got != "hello" {
		t.Errorf("exec: %q", got)
	}
	if got := p.must("logs", "--no-color", "worker"); !strings.Contains(got, "worker_1  | ") {
		t.Errorf("logs: %q", got)
	}
	p.must("up", "-d", "--scale", "worker=2")
	if got := len(strings.Fields(p.must("ps", "-q", "worker"))); got != 2 {
		t.Errorf("after --scale worker=2: %d worker containers", got)
	}
	p.must("down", "-v", "-t", "1")
	if got := cli(t, "wharf", "ps", "-aq", "--filter", "label=com.docker.compose.project=clegacy"); got != "" {
		t.Errorf("containers left after down: %s", got)
	}
	if r := testEnv.run("wharf", "volume", "inspect", "clegacy_data"); r.code == 0 {
		t.Errorf("volume left after down -v")
	}
}

// composeOptions is a file that uses most service and network options of
// the Compose specification.
const composeOptions = `services:
  a:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
    hostname: alpha
    user: "1000:1000"
    working_dir: /tmp
    labels: {tier: front}
    extra_hosts: ["myhost:10.9.9.9"]
    init: true
    stop_signal: SIGTERM
    stop_grace_period: 3s
    tty: true
    stdin_open: true
    cap_add: [NET_ADMIN]
    cap_drop: [MKNOD]
    read_only: true
    tmpfs: [/run]
    sysctls: {net.ipv4.ip_forward: "1"}
    ulimits:
      nofile: {soft: 1024, hard: 2048}
    mem_limit: 64m
    cpus: 0.5
    logging:
      driver: json-file
      options: {max-size: 1m}
    restart: unless-stopped
    networks:
      front:
        aliases: [alpha-alias]
        ipv4_address: 172.31.250.10
      back: {}
  b:
    image: busybox
    command: sleep 300
    privileged: true
    deploy:
      replicas: 2
      resources:
        limits: {memory: 32M, cpus: "0.25"}
    networks: [back, front]
networks:
  front:
    ipam:
      config: [{subnet: 172.31.250.0/24}]
  back:
    internal: true
`

// TestComposeServiceOptions: service and network options reach the
// containers.
func TestComposeServiceOptions(t *testing.T) {
	p := newProject(t, "wharf", "copts", map[string]string{"compose.yaml": composeOptions})
	p.must("up", "-d", "--wait")
	got := strings.TrimSpace(p.must("exec", "-T", "a", "sh", "-c",
		"hostname; id -u; pwd; grep -c myhost /etc/hosts; ulimit -n; ulimit -Hn; cat /proc/sys/net/ipv4/ip_forward; touch /ro 2>/dev/null || echo ro; touch /run/x && echo tmpfs; ip -4 -o addr show | grep -c 172.31.250.10; cat /proc/1/cmdline | tr '\\0' ' '"))
	want := "alpha\n1000\n/tmp\n1\n1024\n2048\n1\nro\ntmpfs\n1\n/sbin/docker-init -- sh -c"
	if !strings.HasPrefix(got, want) {
		t.Errorf("inside a:\n%s\nwant prefix:\n%s", got, want)
	}
	if got := inspectField(t, "copts-a-1", `{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.LogConfig.Type}} {{index .HostConfig.LogConfig.Config "max-size"}} {{.Config.StopSignal}} {{.Config.StopTimeout}} {{.Config.Tty}} {{.Config.OpenStdin}} {{.HostConfig.CapAdd}} {{.HostConfig.CapDrop}} {{index .Config.Labels "tier"}}`); got != "67108864 500000000 unless-stopped json-file 1m SIGTERM 3 true true [CAP_NET_ADMIN] [CAP_MKNOD] front" {
		t.Errorf("a's config: %s", got)
	}
	if got := inspectField(t, "copts-b-2", "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.Privileged}} {{.State.Running}}"); got != "33554432 250000000 true true" {
		t.Errorf("b's config: %s", got)
	}
	// DNS by service name and by alias on a shared network.
	if got := p.must("exec", "-T", "--index", "2", "b", "ping", "-c1", "-W2", "alpha-alias"); !strings.Contains(got, "172.31.250.10") {
		t.Errorf("alias alpha-alias: %s", got)
	}
	if got := inspectField(t, "copts_back", "{{.Internal}}"); got != "true" {
		t.Errorf("back network internal = %s", got)
	}
}

// TestComposeBuildPushPull: compose build tags the service image, push
// sends it to a registry (ours, on loopback) and pull brings it back for
// the services that only name it.
func TestComposeBuildPushPull(t *testing.T) {
	for _, tool := range composeTools {
		t.Run(tool, func(t *testing.T) {
			reg := startRegistry(t, "")
			ref := reg + "/compose/app:v1"
			p := newProject(t, tool, "cpush-"+tool, map[string]string{
				"compose.yaml":   fmt.Sprintf("services:\n  app:\n    image: %s\n    build: ./app\n    command: cat /p\n  user:\n    image: %s\n    command: cat /p\n", ref, ref),
				"app/Dockerfile": "FROM busybox\nRUN echo pushed-" + tool + " > /p\n",
			})
			t.Cleanup(func() { testEnv.run("wharf", "rmi", "-f", ref) })
			p.must("build")
			p.must("push", "app")
			cli(t, "wharf", "rmi", ref)
			p.must("pull", "user")
			if got := strings.TrimSpace(p.must("run", "--rm", "-T", "user")); got != "pushed-"+tool {
				t.Errorf("pulled image runs %q", got)
			}
		})
	}
}

// TestComposeExternalAndOrphans: external networks and volumes are used,
// not made or removed; a service dropped from the file is an orphan that
// --remove-orphans removes.
func TestComposeExternalAndOrphans(t *testing.T) {
	cli(t, "wharf", "network", "create", "cext-net")
	t.Cleanup(func() { testEnv.run("wharf", "network", "rm", "cext-net") })
	cli(t, "wharf", "volume", "create", "cext-vol")
	t.Cleanup(func() { testEnv.run("wharf", "volume", "rm", "cext-vol") })
	p := newProject(t, "wharf", "cext", map[string]string{
		"compose.yaml": "services:\n  a:\n    image: busybox\n    command: sleep 300\n    networks: [outside]\n    volumes: [shared:/data]\n  b:\n    image: busybox\n    command: sleep 300\n    networks: [outside]\nnetworks:\n  outside:\n    external: true\n    name: cext-net\nvolumes:\n  shared:\n    external: true\n    name: cext-vol\n",
	})
	p.must("up", "-d")
	if got := inspectField(t, "cext-a-1", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}} {{range .Mounts}}{{.Name}}{{end}}"); got != "cext-net cext-vol" {
		t.Errorf("a's network and volume: %q", got)
	}
	if err := os.WriteFile(filepath.Join(p.dir, "compose.yaml"), []byte("services:\n  a:\n    image: busybox\n    command: sleep 300\n    networks: [outside]\n    volumes: [shared:/data]\nnetworks:\n  outside:\n    external: true\n    name: cext-net\nvolumes:\n  shared:\n    external: true\n    name: cext-vol\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := p.run("up", "-d")
	if r.code != 0 || !strings.Contains(r.stderr, "orphan") {
		t.Errorf("up without b: exit %d, want an orphan warning:\n%s", r.code, r.stderr)
	}
	p.must("up", "-d", "--remove-orphans")
	if r := testEnv.run("wharf", "inspect", "cext-b-1"); r.code == 0 {
		t.Errorf("orphan cext-b-1 still there after --remove-orphans")
	}
	p.must("down", "-v", "-t", "1")
	cli(t, "wharf", "network", "inspect", "cext-net")
	cli(t, "wharf", "volume", "inspect", "cext-vol")
}

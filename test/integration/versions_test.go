//go:build integration

package integration

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Every API version gets its own shape: the gates of internal/api/compat,
// seen through raw HTTP at the versions clients speak (1.24: the oldest;
// 1.41: Debian's python3-docker and docker-compose 1.29; 1.44, 1.45: the
// edges of ContainerConfig and VirtualSize; the newest).

// getJSON GETs path and decodes the answer into a generic value.
func getJSON(t *testing.T, path string) any {
	t.Helper()
	resp, body := apiCall(t, "GET", path, "")
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, body)
	}
	return v
}

func field(v any, path ...string) (any, bool) {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

func TestVersionsImageInspect(t *testing.T) {
	ref := uniqueName(t, "img") + ":v"
	importImage(t, ref, `CMD ["sh"]`)
	t.Cleanup(func() { testEnv.run("wharf", "rmi", "-f", ref) })
	cases := []struct {
		version                       string
		containerConfig, virtualSize  bool
		configHostname, parentPresent bool
	}{
		{"1.24", true, true, true, true},
		{"1.41", true, true, true, true},
		{"1.43", true, true, true, true},
		{"1.44", true, false, true, true},
		// ContainerConfig stays at every version, for docker-compose 1.29
		// (see internal/api/compat).
		{"1.45", true, false, true, true},
		{"1.50", true, false, false, true},
		{"1.52", true, false, false, false},
	}
	for _, c := range cases {
		img := getJSON(t, "/v"+c.version+"/images/"+ref+"/json")
		cc, hasCC := field(img, "ContainerConfig")
		_, hasVS := field(img, "VirtualSize")
		_, hasHostname := field(img, "Config", "Hostname")
		_, hasParent := field(img, "Parent")
		if hasCC != c.containerConfig || hasVS != c.virtualSize || hasHostname != c.configHostname || hasParent != c.parentPresent {
			t.Errorf("v%s: ContainerConfig %v VirtualSize %v Config.Hostname %v Parent %v", c.version, hasCC, hasVS, hasHostname, hasParent)
		}
		if hasCC {
			// docker-compose 1.29 reads image['ContainerConfig'].get('Volumes').
			if _, ok := field(cc, "Volumes"); !ok {
				t.Errorf("v%s: ContainerConfig without Volumes: %v", c.version, cc)
			}
		}
	}
	list := getJSON(t, "/v1.43/images/json").([]any)
	for _, im := range list {
		if _, ok := field(im, "VirtualSize"); !ok {
			t.Fatalf("v1.43 images/json without VirtualSize: %v", im)
		}
		if c, _ := field(im, "Containers"); c != -1.0 {
			t.Fatalf("v1.43 images/json Containers %v, want -1", c)
		}
	}
	for _, im := range getJSON(t, "/images/json").([]any) {
		if _, ok := field(im, "VirtualSize"); ok {
			t.Fatalf("newest images/json with VirtualSize: %v", im)
		}
	}
	// Since 1.51 Containers counts the image's containers.
	ctr := uniqueName(t, "user")
	cleanupContainers(t, ctr)
	cli(t, "wharf", "create", "--name", ctr, ref)
	for _, im := range getJSON(t, `/images/json?filters={"reference":["`+ref+`"]}`).([]any) {
		if n, _ := field(im, "Containers"); n != 1.0 {
			t.Fatalf("images/json Containers %v, want 1: %v", n, im)
		}
	}
}

func TestVersionsVolumePrune(t *testing.T) {
	for _, c := range []struct {
		version   string
		named     bool // the named volume is pruned too
		anonymous bool
	}{{"1.41", true, true}, {"1.42", false, true}} {
		named := uniqueName(t, "vol")
		resp, body := apiCall(t, "POST", "/volumes/create", `{"Name":"`+named+`"}`)
		if resp.StatusCode != 201 {
			t.Fatalf("create volume: %d %s", resp.StatusCode, body)
		}
		// An anonymous volume: one a container made, then removed without -v.
		ctr := uniqueName(t, "anon")
		cli(t, "wharf", "create", "--name", ctr, "-v", "/data", "busybox")
		anon := strings.TrimSpace(inspectField(t, ctr, "{{range .Mounts}}{{.Name}}{{end}}"))
		cli(t, "wharf", "rm", ctr)
		t.Cleanup(func() { testEnv.run("wharf", "volume", "rm", "-f", named, anon) })

		resp, body = apiCall(t, "POST", "/v"+c.version+"/volumes/prune", "")
		if resp.StatusCode != 200 {
			t.Fatalf("v%s prune: %d %s", c.version, resp.StatusCode, body)
		}
		var report struct{ VolumesDeleted []string }
		json.Unmarshal([]byte(body), &report)
		got := strings.Join(report.VolumesDeleted, " ")
		if strings.Contains(got, named) != c.named || strings.Contains(got, anon) != c.anonymous {
			t.Errorf("v%s prune removed %q; named %s removed: want %v; anonymous %s removed: want %v", c.version, got, named, c.named, anon, c.anonymous)
		}
	}
}

func TestVersionsContainerInspect(t *testing.T) {
	name := uniqueName(t, "insp")
	cleanupContainers(t, name)
	id := runDetached(t, "wharf", name, "busybox", "sleep", "60")
	old := getJSON(t, "/v1.41/containers/"+name+"/json")
	ip, _ := field(old, "NetworkSettings", "IPAddress")
	bridgeIP, _ := field(old, "NetworkSettings", "Networks", "bridge", "IPAddress")
	if ip == nil || ip == "" || ip != bridgeIP {
		t.Errorf("v1.41 NetworkSettings.IPAddress %v, bridge network's %v", ip, bridgeIP)
	}
	if _, ok := field(old, "HostConfig", "KernelMemory"); !ok {
		t.Errorf("v1.41 HostConfig without KernelMemory")
	}
	cur := getJSON(t, "/containers/"+name+"/json")
	if _, ok := field(cur, "NetworkSettings", "IPAddress"); ok {
		t.Errorf("newest NetworkSettings has the legacy IPAddress")
	}

	// Aliases on a user-defined network carry the short ID before 1.45.
	net := uniqueName(t, "net")
	cli(t, "wharf", "network", "create", net)
	t.Cleanup(func() {
		// The container goes first: a connected network cannot be removed.
		testEnv.run("wharf", "rm", "-f", name)
		testEnv.run("wharf", "network", "rm", net)
	})
	cli(t, "wharf", "network", "connect", "--alias", "web", net, name)
	aliases := func(v string) string {
		a, _ := field(getJSON(t, "/v"+v+"/containers/"+name+"/json"), "NetworkSettings", "Networks", net, "Aliases")
		b, _ := json.Marshal(a)
		return string(b)
	}
	if got := aliases("1.44"); !strings.Contains(got, `"web"`) || !strings.Contains(got, `"`+id[:12]+`"`) {
		t.Errorf("v1.44 aliases %s, want web and %s", got, id[:12])
	}
	if got := aliases("1.45"); got != `["web"]` {
		t.Errorf("v1.45 aliases %s, want [\"web\"]", got)
	}
}

func TestVersionsEvents(t *testing.T) {
	since := time.Now().Add(-time.Second).Unix()
	name := uniqueName(t, "ev")
	cleanupContainers(t, name)
	cli(t, "wharf", "create", "--name", name, "busybox")
	until := time.Now().Add(time.Second).Unix()
	filter := `&filters={"container":["` + name + `"]}`
	q := "/events?since=" + strconv.FormatInt(since, 10) + "&until=" + strconv.FormatInt(until, 10) + filter
	// API 1.52 dropped status, id and from; Wharf keeps them at every
	// version, since docker-compose 1.29 negotiates the newest and reads
	// them (router/events/legacy.go).
	for _, c := range []struct {
		version string
		legacy  bool
	}{{"1.24", true}, {"1.41", true}, {"1.51", true}, {"1.52", true}} {
		_, body := apiCall(t, "GET", "/v"+c.version+q, "")
		first := strings.SplitN(body, "\n", 2)[0]
		var ev map[string]any
		if err := json.Unmarshal([]byte(first), &ev); err != nil {
			t.Fatalf("v%s events: %v %q", c.version, err, body)
		}
		_, hasStatus := ev["status"]
		if hasStatus != c.legacy || (c.legacy && (ev["status"] != "create" || ev["from"] != "busybox" || ev["id"] == nil)) {
			t.Errorf("v%s event %s: want legacy fields %v", c.version, first, c.legacy)
		}
	}
}

// TestVersionsRoutes: the routes dockerd has for features wharfd lacks
// answer as dockerd without them, never a bare 404.
func TestVersionsRoutes(t *testing.T) {
	for _, v := range []string{"/v1.24", "/v1.41", ""} {
		resp, body := apiCall(t, "GET", v+"/plugins", "")
		if resp.StatusCode != 200 || strings.TrimSpace(body) != "[]" {
			t.Errorf("GET %s/plugins: %d %s", v, resp.StatusCode, body)
		}
	}
	for _, c := range []struct {
		method, path string
		status       int
		message      string
	}{
		{"GET", "/v1.41/plugins/vieux/sshfs:latest/json", 404, `plugin "vieux/sshfs:latest" not found`},
		{"DELETE", "/v1.41/plugins/sshfs", 404, `plugin "sshfs" not found`},
		{"GET", "/v1.41/containers/x/checkpoints", 501, "This experimental feature is disabled by default. Start the Docker daemon in experimental mode in order to enable it."},
		{"POST", "/v1.41/session", 400, "no upgrade proto in request"},
		{"POST", "/v1.41/grpc", 400, "no upgrade proto in request"},
		{"POST", "/v1.41/build/cancel", 400, "build ID not provided"},
		{"PUT", "/v1.42/volumes/x", 503, "volume update only valid for cluster volumes, but swarm is unavailable"},
	} {
		resp, body := apiCall(t, c.method, c.path, "")
		wantError(t, resp, body, c.status, c.message)
	}
	if resp, body := apiCall(t, "GET", "/v1.41/networks/", ""); resp.StatusCode != 200 || !strings.HasPrefix(body, "[") {
		t.Errorf("GET /networks/: %d %s", resp.StatusCode, body)
	}

	// GET /distribution/{name}/json asks the registry.
	host := startRegistry(t, "")
	ref := host + "/it/dist:1"
	cli(t, "wharf", "tag", "busybox", ref)
	t.Cleanup(func() { testEnv.run("wharf", "rmi", ref) })
	cli(t, "wharf", "push", ref)
	var info struct {
		Descriptor struct {
			MediaType, Digest string
			Size              int64
		}
		Platforms []struct{ OS, Architecture string }
	}
	resp, body := apiCall(t, "GET", "/v1.41/distribution/"+ref+"/json", "")
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &info) != nil || !strings.HasPrefix(info.Descriptor.Digest, "sha256:") ||
		info.Descriptor.Size == 0 || len(info.Platforms) != 1 || info.Platforms[0].OS != "linux" {
		t.Errorf("distribution inspect: %d %s", resp.StatusCode, body)
	}
	digests := repoDigests(t, ref, host+"/it/dist")
	if len(digests) == 0 || !strings.HasSuffix(digests[0], info.Descriptor.Digest) {
		t.Errorf("distribution digest %s, pushed %v", info.Descriptor.Digest, digests)
	}
	resp, body = apiCall(t, "GET", "/v1.41/distribution/"+host+"/it/nope:1/json", "")
	if resp.StatusCode != 404 {
		t.Errorf("distribution of a missing image: %d %s", resp.StatusCode, body)
	}
}

// TestVersionsErrors: errors in docker's words and statuses.
func TestVersionsErrors(t *testing.T) {
	name := uniqueName(t, "rmrun")
	cleanupContainers(t, name)
	id := runDetached(t, "wharf", name, "busybox", "sleep", "60")
	resp, body := apiCall(t, "DELETE", "/v1.41/containers/"+name, "")
	wantError(t, resp, body, 409, "You cannot remove a running container "+id+". Stop the container before attempting removal or force remove")
	resp, body = apiCall(t, "DELETE", "/v1.44/containers/"+name, "")
	wantError(t, resp, body, 409, `cannot remove container "/`+name+`": container is running: stop the container before removing or force remove`)

	// A commit right after the start of a container that exits at once
	// (docker-py's test_commit): no 500 from pausing what has just ended.
	quick := uniqueName(t, "quick")
	cleanupContainers(t, quick)
	for i := 0; i < 5; i++ {
		cli(t, "wharf", "rm", "-f", quick)
		cli(t, "wharf", "create", "--name", quick, "busybox", "touch", "/test")
		if resp, body := apiCall(t, "POST", "/v1.41/containers/"+quick+"/start", ""); resp.StatusCode != 204 {
			t.Fatalf("start: %d %s", resp.StatusCode, body)
		}
		resp, body := apiCall(t, "POST", "/v1.41/commit?container="+quick+"&repo="+quick, "")
		if resp.StatusCode != 201 {
			t.Fatalf("commit of a container exiting: %d %s", resp.StatusCode, body)
		}
	}
	t.Cleanup(func() { testEnv.run("wharf", "rmi", "-f", quick) })

	// A platform the local image is not for: dockerd's 404 (the CLI then pulls).
	resp, body = apiCall(t, "POST", "/v1.41/containers/create?platform=linux/s390x", `{"Image":"busybox"}`)
	wantError(t, resp, body, 404, "image with reference busybox was found but does not match the specified platform: wanted linux/s390x, actual: linux/"+runtime.GOARCH)
	resp, body = apiCall(t, "POST", "/v1.40/containers/create?platform=linux/s390x", `{"Image":"busybox"}`)
	if resp.StatusCode != 201 {
		t.Errorf("v1.40 create with a platform (ignored then): %d %s", resp.StatusCode, body)
	} else {
		var created struct{ Id string }
		json.Unmarshal([]byte(body), &created)
		apiCall(t, "DELETE", "/containers/"+created.Id, "")
	}

	resp, body = apiCall(t, "GET", `/v1.41/networks?filters={"bogus":["x"]}`, "")
	wantError(t, resp, body, 400, "invalid filter 'bogus'")

	// A truncated archive: dockerd's stream error under a 200.
	saved := cli(t, "wharf", "save", "busybox")
	resp, body = apiCall(t, "POST", "/v1.41/images/load", saved[:len(saved)/2+100])
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(body) != `{"errorDetail":{"message":"unexpected EOF"},"error":"unexpected EOF"}` {
		t.Errorf("truncated load: %d %s", resp.StatusCode, body)
	}
}

// pythonDocker runs a python snippet with Debian's python3-docker against
// the test daemon; the snippet finds the socket in SOCK. It skips the test
// when python3-docker is not installed.
func pythonDocker(t *testing.T, script string, env ...string) string {
	t.Helper()
	if err := exec.Command("python3", "-c", "import docker").Run(); err != nil {
		t.Skip("python3-docker is not installed (apt-get install python3-docker)")
	}
	cmd := exec.Command("python3", "-c", script)
	cmd.Env = append(os.Environ(), append(env, "SOCK="+testEnv.sock)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3-docker: %v\n%s", err, out)
	}
	return string(out)
}

// TestVersionsPythonSDK: what Debian's python3-docker 5.0.3 does at API
// 1.41, the version it speaks to dockerd 20.10 (left to itself it takes
// the server's version, wharfd's newest, as it does with any dockerd).
func TestVersionsPythonSDK(t *testing.T) {
	name := uniqueName(t, "py")
	vol := uniqueName(t, "pyvol")
	img := uniqueName(t, "pyimg")
	cleanupContainers(t, name)
	t.Cleanup(func() {
		testEnv.run("wharf", "volume", "rm", "-f", vol)
		testEnv.run("wharf", "rmi", "-f", img+":c1", img+":c2")
	})
	out := pythonDocker(t, `
import os, time, docker
from docker.errors import APIError, ImageLoadError
c = docker.DockerClient(base_url="unix://" + os.environ["SOCK"], version="1.41")
api = c.api
name, vol, img = os.environ["NAME"], os.environ["VOL"], os.environ["IMG"]

# image inspect carries ContainerConfig (docker-compose 1.29 reads it)
assert "Volumes" in api.inspect_image("busybox")["ContainerConfig"]

# plugins: an empty list, not an error
assert c.plugins.list() == []

# events keep status, id and from
since = int(time.time()) - 1
ctr = c.containers.run("busybox", "sleep 60", name=name, detach=True)
evs = list(api.events(since=since, until=int(time.time()) + 1, decode=True, filters={"container": name}))
assert evs and evs[0]["status"] == "create" and evs[0]["id"] == ctr.id and evs[0]["from"] == "busybox", evs[:1]

# removing a running container: 409 in dockerd 20.10's words
try:
    ctr.remove()
    raise SystemExit("removed a running container")
except APIError as e:
    assert e.status_code == 409 and "You cannot remove a running container" in e.explanation, (e.status_code, e.explanation)

# commit, with changes, of a running container and of a stopped one
i1 = ctr.commit(repository=img, tag="c1", changes=["EXPOSE 8000", 'CMD ["sh"]'])
assert "8000/tcp" in api.inspect_image(i1.id)["Config"]["ExposedPorts"]
ctr.stop(timeout=1)
i2 = ctr.commit(repository=img, tag="c2", message="m", author="a", conf={"Labels": {"k": "v"}})
assert api.inspect_image(i2.id)["Config"]["Labels"]["k"] == "v"
try:
    ctr.commit(repository="Bad Name")
    raise SystemExit("committed to an invalid name")
except APIError as e:
    assert e.status_code == 400, (e.status_code, e.explanation)
ctr.remove()

# volume prune at 1.41 removes every unused volume, named ones too
c.volumes.create(vol)
assert vol in (c.volumes.prune()["VolumesDeleted"] or [])

# a truncated archive: ImageLoadError with dockerd's words
data = b"".join(api.get_image("busybox"))
try:
    c.images.load(data[:len(data)//2 + 100])
    raise SystemExit("loaded a truncated archive")
except ImageLoadError as e:
    assert "unexpected EOF" in str(e), str(e)
print("OK")
`, "NAME="+name, "VOL="+vol, "IMG="+img)
	if strings.TrimSpace(out) != "OK" {
		t.Fatalf("python3-docker: %s", out)
	}
}

// TestVersionsOracleScript runs test/oracle/api_versions.py, the checks
// proved against Debian's dockerd 20.10 (test/oracle/run-dockerd.sh),
// against wharfd.
func TestVersionsOracleScript(t *testing.T) {
	out, err := exec.Command("python3", "../oracle/api_versions.py", testEnv.sock).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Logf("%s", out)
}

// TestVersionsComposeLegacyRecreate: docker-compose 1.29 speaks the API
// version of its file's format and, recreating a service, reads the
// image's ContainerConfig (it crashed with KeyError 'ContainerConfig'
// when wharfd sent the newest shape to every version).
func TestVersionsComposeLegacyRecreate(t *testing.T) {
	if _, err := os.Stat("/usr/bin/docker-compose"); err != nil {
		t.Skip("docker-compose 1.29 is not installed (make deps installs it)")
	}
	file := func(word string) string {
		return `version: "3.8"
services:
  app:
    image: busybox
    command: ["sh", "-c", "echo ` + word + `; sleep 300"]
    volumes: ["/data"]
`
	}
	p := newProject(t, "docker-compose", "crecreate", map[string]string{"docker-compose.yml": file("one")})
	t.Cleanup(func() { p.run("down", "-v", "-t", "1") })
	p.must("up", "-d")
	first := p.ids("app")
	if err := os.WriteFile(p.dir+"/docker-compose.yml", []byte(file("two")), 0o644); err != nil {
		t.Fatal(err)
	}
	p.must("up", "-d")
	second := p.ids("app")
	if len(first) != 1 || len(second) != 1 || first[0] == second[0] {
		t.Fatalf("recreate: %v then %v", first, second)
	}
	p.must("up", "-d", "--force-recreate")
	if got := p.must("logs", "--no-color", "app"); !strings.Contains(got, "two") {
		t.Errorf("logs after recreate: %q", got)
	}
}

// TestSDKOracleScript runs test/oracle/sdk_checks.py, the SDK tests'
// expectations (issue 15's points 3, 5, 6, 8, 9) proved against Debian's
// dockerd 20.10 (test/oracle/run-dockerd.sh), against wharfd.
func TestSDKOracleScript(t *testing.T) {
	pythonSDK(t, "") // skips without python3-docker
	out, err := exec.Command("python3", "../oracle/sdk_checks.py", testEnv.sock).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Logf("%s", out)
}

// TestVersionsComposeLegacyV1File: docker-compose 1.29 speaks API 1.21
// for a version-1 file (no "version", services at the top level), which
// dockerd 20.10 accepted (its minimum was 1.12); wharfd answers it in
// 1.24's shape. Legacy links on the default bridge work.
func TestVersionsComposeLegacyV1File(t *testing.T) {
	if _, err := os.Stat("/usr/bin/docker-compose"); err != nil {
		t.Skip("docker-compose 1.29 is not installed (make deps installs it)")
	}
	name := strings.ToLower(uniqueName(t, "v1"))
	p := newProject(t, "docker-compose", name, map[string]string{"docker-compose.yml": `db:
  image: busybox
  command: sleep 300
web:
  image: busybox
  command: sh -c 'echo v1-ok; sleep 300'
  links: [db]
`})
	t.Cleanup(func() { p.run("down", "-t", "1") })
	// compose/const.py: API_VERSIONS[V1] = '1.21' (refused before as
	// "client version 1.21 is too old").
	if r := p.run("up", "-d"); r.code != 0 {
		t.Fatalf("up -d of a version-1 file: exit %d\n%s", r.code, r.stderr)
	}
	if got := p.must("ps", "-q"); len(strings.Fields(got)) != 2 {
		t.Fatalf("ps -q: %q", got)
	}
	if got := p.must("exec", "-T", "web", "ping", "-c1", "-W2", "db"); !strings.Contains(got, "1 packets received") {
		t.Errorf("web pings db through its link: %s", got)
	}
	waitFor(t, 10*time.Second, "web's output", func() bool { return strings.Contains(p.run("logs", "--no-color", "web").stdout, "v1-ok") })
	p.must("down", "-t", "1")
	if got := p.must("ps", "-q"); strings.TrimSpace(got) != "" {
		t.Errorf("after down: %q", got)
	}
}

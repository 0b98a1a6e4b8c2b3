// Command table prints issue 22's whole table in one run: each figure
// (run --rm, exec, ps, inspect, rm -f) through raw API calls, through
// wharf and through the official docker CLI, beside runc run and runc exec
// on the same spec and root file system and the floor (unshare + chroot,
// with and without an overlay mount). With -base it times a second daemon
// (another build) in the same rounds, one after the other, so a drift in
// the machine's speed moves both alike. Medians with min and max.
//
// bench/all.sh sets it up (private daemons, busybox, a running container
// named by -container, the spec); run it through that script.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// engine is one daemon under test.
type engine struct {
	name string // row label: "wharfd", "base"
	host string
	api  *client.Client
}

// probe is one timed operation, run once per round.
type probe struct {
	name string
	run  func() error
	ds   []time.Duration
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	host := flag.String("host", "", "the daemon's API socket (unix://...)")
	baseHost := flag.String("base", "", "another daemon's socket, timed in the same rounds (a before/after)")
	wharf := flag.String("wharf", "bin/wharf", "the wharf CLI")
	docker := flag.String("docker", "/usr/local/bin/docker", "the official docker CLI (\"\": skip it)")
	var runcs multiFlag
	flag.Var(&runcs, "runc", "name=path of a runc to time on the same spec (repeatable)")
	rootfs := flag.String("rootfs", "", "busybox root file system")
	spec := flag.String("config", "", "config.json of one of the daemon's bundles (the same spec for runc)")
	ctr := flag.String("container", "", "a running container in each daemon, for exec and inspect")
	runs := flag.Int("runs", 15, "rounds")
	sections := flag.String("sections", "run,exec,ps,inspect", "which figures to time")
	waitRunning := flag.Int("wait-running", 0, "only wait until the daemon answers and lists this many running containers, and print how long that took")
	flag.Parse()
	ctx := context.Background()

	if *waitRunning > 0 {
		waitForRunning(ctx, *host, *waitRunning)
		return
	}
	var engines []*engine
	for _, e := range []struct{ name, host string }{{"wharfd", *host}, {"base", *baseHost}} {
		if e.host == "" {
			continue
		}
		c, err := client.New(client.WithHost(e.host))
		if err != nil {
			log.Fatal(err)
		}
		engines = append(engines, &engine{name: e.name, host: e.host, api: c})
	}
	label := func(e *engine, what string) string {
		if len(engines) == 1 {
			return what
		}
		return what + " [" + e.name + "]"
	}
	cli := func(path string, e *engine, args ...string) func() error {
		return func() error {
			cmd := exec.Command(path, append([]string{"-H", e.host}, args...)...)
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("%s %s: %v: %s", path, strings.Join(args, " "), err, out)
			}
			return nil
		}
	}

	// Probes in the order they print; each round runs every probe once.
	var probes []*probe
	add := func(name string, f func() error) { probes = append(probes, &probe{name: name, run: f}) }
	for _, section := range strings.Split(*sections, ",") {
		for _, e := range engines {
			switch section {
			case "run":
				add(label(e, "API: run --rm busybox true"), func() error { return apiRunRm(ctx, e.api) })
			case "exec":
				add(label(e, "API: exec "+*ctr+" true (create, start, inspect)"), func() error { return apiExec(ctx, e.api, *ctr) })
			case "ps":
				add(label(e, "API: ps"), func() error {
					_, err := e.api.ContainerList(ctx, client.ContainerListOptions{})
					return err
				})
			case "inspect":
				add(label(e, "API: inspect"), func() error {
					_, err := e.api.ContainerInspect(ctx, *ctr, client.ContainerInspectOptions{})
					return err
				})
			}
			for _, c := range []struct{ name, path string }{{"wharf", *wharf}, {"docker", *docker}} {
				if c.path == "" {
					continue
				}
				args := map[string][]string{
					"run": {"run", "--rm", "busybox", "true"}, "exec": {"exec", *ctr, "true"},
					"ps": {"ps"}, "inspect": {"inspect", *ctr},
				}[section]
				add(label(e, c.name+" "+strings.Join(args, " ")), cli(c.path, e, args...))
			}
		}
		if section == "run" || section == "exec" {
			for _, r := range runcs {
				name, path, _ := strings.Cut(r, "=")
				if section == "run" {
					add(name+" run (same spec and rootfs)", func() error { return runcRun(path, *rootfs, *spec) })
				} else {
					c, err := runcContainer(path, *rootfs, *spec)
					if err != nil {
						log.Fatal(err)
					}
					defer c.remove()
					add(name+" exec true (same container spec)", c.exec)
				}
			}
		}
		if section == "run" && *rootfs != "" {
			add("floor: unshare + chroot true", func() error { return floor(*rootfs, false) })
			add("floor: unshare + overlay mount + chroot true", func() error { return floor(*rootfs, true) })
		}
	}

	load := func() string { b, _ := os.ReadFile("/proc/loadavg"); return strings.Join(strings.Fields(string(b))[:3], " ") }
	fmt.Printf("load average before: %s\n\n", load())
	for round := -1; round < *runs; round++ { // round -1 warms up
		for _, p := range probes {
			start := time.Now()
			if err := p.run(); err != nil {
				log.Fatalf("%s: %v", p.name, err)
			}
			if round >= 0 {
				p.ds = append(p.ds, time.Since(start))
			}
		}
	}
	fmt.Printf("| measurement | median | min | max | runs |\n|---|---|---|---|---|\n")
	for _, p := range probes {
		ds := p.ds
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		fmt.Printf("| %s | %s | %s | %s | %d |\n", p.name, ms(ds[len(ds)/2]), ms(ds[0]), ms(ds[len(ds)-1]), len(ds))
	}
	fmt.Printf("\nload average after: %s\n", load())
}

// waitForRunning polls the daemon at host until it lists n running
// containers (a restart's end, as a user sees it) and prints the time
// from this program's start, within 60 s.
func waitForRunning(ctx context.Context, host string, n int) {
	start := time.Now()
	c, err := client.New(client.WithHost(host))
	if err != nil {
		log.Fatal(err)
	}
	answered := time.Duration(0)
	for time.Since(start) < time.Minute {
		if _, err := c.Ping(ctx, client.PingOptions{}); err == nil {
			if answered == 0 {
				answered = time.Since(start)
			}
			if l, err := c.ContainerList(ctx, client.ContainerListOptions{}); err == nil && len(l.Items) >= n {
				fmt.Printf("API answers after %s, lists %d running after %s\n", ms(answered), len(l.Items), ms(time.Since(start)))
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	log.Fatalf("the daemon did not list %d running containers within a minute", n)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// apiRunRm does what `docker run --rm busybox true` does through the API.
func apiRunRm(ctx context.Context, c *client.Client) error {
	created, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config:     &container.Config{Image: "busybox", Cmd: []string{"true"}},
		HostConfig: &container.HostConfig{AutoRemove: true},
	})
	if err != nil {
		return err
	}
	wait := c.ContainerWait(ctx, created.ID, client.ContainerWaitOptions{Condition: container.WaitConditionRemoved})
	if _, err := c.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		return err
	}
	select {
	case res := <-wait.Result:
		if res.StatusCode != 0 {
			return fmt.Errorf("exit status %d", res.StatusCode)
		}
		return nil
	case err := <-wait.Error:
		return err
	}
}

// apiExec does what `docker exec c true` does through the API: create,
// start attached (until the stream ends), inspect for the exit code.
func apiExec(ctx context.Context, c *client.Client, ctr string) error {
	created, err := c.ExecCreate(ctx, ctr, client.ExecCreateOptions{Cmd: []string{"true"}, AttachStdout: true, AttachStderr: true})
	if err != nil {
		return err
	}
	att, err := c.ExecAttach(ctx, created.ID, client.ExecAttachOptions{})
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, att.Reader)
	att.Close()
	if err != nil {
		return err
	}
	res, err := c.ExecInspect(ctx, created.ID, client.ExecInspectOptions{})
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("exec exit code %d", res.ExitCode)
	}
	return nil
}

// bundle writes a runc bundle of rootfs with the daemon's spec running
// args, in its own new network namespace (the daemon's is its container's).
func bundle(rootfs, template string, args []string) (string, string, error) {
	dir, err := os.MkdirTemp("", "bench-bundle-")
	if err != nil {
		return "", "", err
	}
	id := filepath.Base(dir)
	var spec map[string]any
	data, err := os.ReadFile(template)
	if err == nil {
		err = json.Unmarshal(data, &spec)
	}
	if err != nil {
		return "", "", err
	}
	spec["root"] = map[string]any{"path": rootfs}
	proc := spec["process"].(map[string]any)
	proc["args"], proc["terminal"] = args, false
	linux := spec["linux"].(map[string]any)
	linux["cgroupsPath"] = "/wharf-bench/" + id
	var nss []any
	for _, ns := range linux["namespaces"].([]any) {
		nss = append(nss, map[string]any{"type": ns.(map[string]any)["type"]})
	}
	linux["namespaces"] = nss
	var mounts []any // only the kernel's; the daemon's /etc files and volumes are its container's
	for _, m := range spec["mounts"].([]any) {
		if src, _ := m.(map[string]any)["source"].(string); !strings.HasPrefix(src, "/") {
			mounts = append(mounts, m)
		}
	}
	spec["mounts"] = mounts
	if data, err = json.Marshal(spec); err == nil {
		err = os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644)
	}
	return dir, id, err
}

// runcRoot keeps the runc state of these runs away from the daemon's and
// off the binary's directory (runc 1.2+ seals itself with an overlay of
// that directory, which must not hold its state).
const runcRoot = "/run/wharf-bench-runc"

func runcRun(runc, rootfs, template string) error {
	dir, id, err := bundle(rootfs, template, []string{"true"})
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if out, err := exec.Command(runc, "--root", runcRoot, "run", "--bundle", dir, id).CombinedOutput(); err != nil {
		return fmt.Errorf("runc run: %v: %s", err, out)
	}
	return nil
}

type runcCtr struct{ runc, dir, id string }

// runcContainer starts a `sleep` container with runc alone, for runc exec.
func runcContainer(runc, rootfs, template string) (*runcCtr, error) {
	dir, id, err := bundle(rootfs, template, []string{"sleep", "3600"})
	if err != nil {
		return nil, err
	}
	c := &runcCtr{runc, dir, id}
	// No pipes: the container would hold them open and Wait never return.
	logFile := filepath.Join(dir, "runc.log")
	cmd := exec.Command(runc, "--root", runcRoot, "--log", logFile, "run", "--detach", "--bundle", dir, id)
	if err := cmd.Run(); err != nil {
		out, _ := os.ReadFile(logFile)
		os.RemoveAll(dir)
		return nil, fmt.Errorf("runc run -d: %v: %s", err, out)
	}
	return c, nil
}

func (c *runcCtr) exec() error {
	if out, err := exec.Command(c.runc, "--root", runcRoot, "exec", c.id, "true").CombinedOutput(); err != nil {
		return fmt.Errorf("runc exec: %v: %s", err, out)
	}
	return nil
}

func (c *runcCtr) remove() {
	exec.Command(c.runc, "--root", runcRoot, "delete", "--force", c.id).Run()
	os.RemoveAll(c.dir)
}

// floor is the least a container start can cost: new namespaces and a
// chroot into the root file system (over a fresh overlay with overlay).
func floor(rootfs string, overlay bool) error {
	script := `exec chroot "$1" /bin/true`
	var dir string
	if overlay {
		var err error
		if dir, err = os.MkdirTemp("", "bench-floor-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		script = `mkdir "$2/u" "$2/w" "$2/m" && mount -t overlay overlay -o "lowerdir=$1,upperdir=$2/u,workdir=$2/w" "$2/m" && exec chroot "$2/m" /bin/true`
	}
	cmd := exec.Command("unshare", "--mount", "--pid", "--fork", "--uts", "--ipc", "--net", "sh", "-c", script, "sh", rootfs, dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("floor: %v: %s", err, out)
	}
	return nil
}

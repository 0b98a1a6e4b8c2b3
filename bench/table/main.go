// Command table prints issue 22's whole table in one run: each figure
// (run --rm, exec, ps, inspect, rm -f of a running container) through raw
// API calls, through wharf and through the official docker CLI, beside
// runc run and runc exec on the same spec and root file system and the
// floor (unshare + chroot, with and without an overlay mount). With -base
// it times a second daemon (another build) in the same rounds, one after
// the other, so a drift in the machine's speed moves both alike. Medians
// with min and max.
//
// bench/all.sh sets it up (private daemons, busybox, a running container
// named by -container, the spec); run it through that script.
package main

import (
	"cmp"
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
	"github.com/wharf/wharf/bench/internal/cpuacct"
)

// engine is one daemon under test.
type engine struct {
	name    string // row label: "wharfd", "base"
	host    string
	api     *client.Client
	cgroups []string // cpuacct cgroups holding the daemon and its containers
}

// probe is one timed operation, run once per round. run returns the CPU
// time its own child processes took; cpu adds what the engine's cgroups
// took meanwhile (the daemon, its monitors and runtimes, the containers).
type probe struct {
	name string
	prep func() error // untimed, before each run (nil: none)
	run  func() (time.Duration, error)
	eng  *engine // nil: the probe's own processes are all of it
	ds   []time.Duration
	cpu  []time.Duration
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	host := flag.String("host", "", "the daemon's API socket (unix://...)")
	baseHost := flag.String("base", "", "another daemon's socket, timed in the same rounds (a before/after)")
	wharf := flag.String("wharf", "bin/wharf", "the wharf CLI")
	docker := flag.String("docker", "/usr/local/bin/docker", "the official docker CLI (\"\": skip it)")
	var runcs, altRuntimes multiFlag
	flag.Var(&runcs, "runc", "name=path of a runc (or crun) to time on the same spec (repeatable)")
	flag.Var(&altRuntimes, "runtime", "another of the daemon's runtimes (crun) to time run and exec with, through the API and wharf (--runtime); exec goes to <container>-<runtime> (repeatable)")
	rootfs := flag.String("rootfs", "", "busybox root file system")
	spec := flag.String("config", "", "config.json of one of the daemon's bundles (the same spec for runc)")
	ctr := flag.String("container", "", "a running container in each daemon, for exec and inspect")
	cgroups := flag.String("cgroups", "", "cpuacct cgroup directories (comma-separated) holding the daemon and its containers, for CPU figures")
	baseCgroups := flag.String("base-cgroups", "", "the same for -base")
	runs := flag.Int("runs", 15, "rounds")
	sections := flag.String("sections", "run,exec,ps,inspect,rm", "which figures to time")
	waitRunning := flag.Int("wait-running", 0, "only wait until the daemon answers and lists this many running containers, and print how long that took")
	flag.Parse()
	ctx := context.Background()

	if *waitRunning > 0 {
		waitForRunning(ctx, *host, *waitRunning)
		return
	}
	var engines []*engine
	for _, e := range []struct{ name, host, cgroups string }{{"wharfd", *host, *cgroups}, {"base", *baseHost, *baseCgroups}} {
		if e.host == "" {
			continue
		}
		c, err := client.New(client.WithHost(e.host))
		if err != nil {
			log.Fatal(err)
		}
		var cgs []string
		if e.cgroups != "" {
			cgs = strings.Split(e.cgroups, ",")
		}
		engines = append(engines, &engine{name: e.name, host: e.host, api: c, cgroups: cgs})
	}
	label := func(e *engine, what string) string {
		if len(engines) == 1 {
			return what
		}
		return what + " [" + e.name + "]"
	}
	// The other runtimes are timed in the daemon under test (not -base,
	// an older build that may not run them).
	alts := func(e *engine) []string {
		if e.name != "wharfd" {
			return nil
		}
		return altRuntimes
	}
	// The daemon is named by DOCKER_HOST, as a user's shell names one that
	// is not at the default socket: a -H before the command would send
	// wharf's router to docker's whole tree for every command.
	cli := func(path string, e *engine, args ...string) func() (time.Duration, error) {
		return func() (time.Duration, error) {
			cmd := exec.Command(path, args...)
			cmd.Env = append(os.Environ(), "DOCKER_HOST="+e.host)
			return run(cmd)
		}
	}

	// Probes in the order they print; each round runs every probe once.
	var probes []*probe
	var cur *engine // the engine of the probes being added
	add := func(name string, f func() (time.Duration, error)) {
		probes = append(probes, &probe{name: name, run: f, eng: cur})
	}
	api := func(f func() error) func() (time.Duration, error) {
		return func() (time.Duration, error) { return 0, f() }
	}
	for _, section := range strings.Split(*sections, ",") {
		for _, e := range engines {
			cur = e
			first := len(probes)
			switch section {
			case "run":
				add(label(e, "API: run --rm busybox true"), api(func() error { return apiRunRm(ctx, e.api, "") }))
				for _, rt := range alts(e) {
					add(label(e, "API: run --rm --runtime "+rt+" busybox true"), api(func() error { return apiRunRm(ctx, e.api, rt) }))
					add(label(e, "wharf run --rm --runtime "+rt+" busybox true"), cli(*wharf, e, "run", "--rm", "--runtime", rt, "busybox", "true"))
				}
			case "exec":
				add(label(e, "API: exec "+*ctr+" true (create, start, inspect)"), api(func() error { return apiExec(ctx, e.api, *ctr) }))
				for _, rt := range alts(e) {
					c := *ctr + "-" + rt
					add(label(e, "API: exec "+c+" true ("+rt+")"), api(func() error { return apiExec(ctx, e.api, c) }))
					add(label(e, "wharf exec "+c+" true ("+rt+")"), cli(*wharf, e, "exec", c, "true"))
				}
			case "ps":
				add(label(e, "API: ps"), api(func() error {
					_, err := e.api.ContainerList(ctx, client.ContainerListOptions{})
					return err
				}))
			case "inspect":
				add(label(e, "API: inspect"), api(func() error {
					_, err := e.api.ContainerInspect(ctx, *ctr, client.ContainerInspectOptions{})
					return err
				}))
			case "rm":
				add(label(e, "API: rm -f (running)"), api(func() error {
					_, err := e.api.ContainerRemove(ctx, rmName, client.ContainerRemoveOptions{Force: true})
					return err
				}))
			}
			for _, c := range []struct{ name, path string }{{"wharf", *wharf}, {"docker", *docker}} {
				if c.path == "" {
					continue
				}
				args := map[string][]string{
					"run": {"run", "--rm", "busybox", "true"}, "exec": {"exec", *ctr, "true"},
					"ps": {"ps"}, "inspect": {"inspect", *ctr}, "rm": {"rm", "-f", rmName},
				}[section]
				add(label(e, c.name+" "+strings.Join(args, " ")), cli(c.path, e, args...))
			}
			if section == "rm" {
				// Each rm -f removes a running container started for it.
				for _, p := range probes[first:] {
					p.prep = func() error { return apiRunDetached(ctx, e.api, rmName) }
				}
			}
		}
		cur = nil
		if section == "run" || section == "exec" {
			for _, r := range runcs {
				name, path, _ := strings.Cut(r, "=")
				if section == "run" {
					add(name+" run (same spec and rootfs)", func() (time.Duration, error) { return runcRun(name, path, *rootfs, *spec) })
				} else {
					c, err := runcContainer(name, path, *rootfs, *spec)
					if err != nil {
						log.Fatal(err)
					}
					defer c.remove()
					add(name+" exec true (same container spec)", c.exec)
				}
			}
		}
		if section == "run" && *rootfs != "" {
			add("floor: unshare + chroot true", func() (time.Duration, error) { return floor(*rootfs, false) })
			add("floor: unshare + overlay mount + chroot true", func() (time.Duration, error) { return floor(*rootfs, true) })
		}
	}

	load := func() string {
		b, _ := os.ReadFile("/proc/loadavg")
		return strings.Join(strings.Fields(string(b))[:3], " ")
	}
	fmt.Printf("load average before: %s\n\n", load())
	for round := -1; round < *runs; round++ { // round -1 warms up
		for _, p := range probes {
			if p.prep != nil {
				if err := p.prep(); err != nil {
					log.Fatalf("%s: %v", p.name, err)
				}
			}
			var cg0 time.Duration
			if p.eng != nil {
				cg0 = cpuacct.Usage(p.eng.cgroups)
			}
			start := time.Now()
			cpu, err := p.run()
			if err != nil {
				log.Fatalf("%s: %v", p.name, err)
			}
			wall := time.Since(start)
			if p.eng != nil {
				cpu += cpuacct.Usage(p.eng.cgroups) - cg0
			}
			if round >= 0 {
				p.ds, p.cpu = append(p.ds, wall), append(p.cpu, cpu)
			}
		}
	}
	fmt.Printf("| measurement | median | min | max | CPU median | CPU min | CPU max | runs |\n|---|---|---|---|---|---|---|---|\n")
	for _, p := range probes {
		ds, cpu := p.ds, p.cpu
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		sort.Slice(cpu, func(i, j int) bool { return cpu[i] < cpu[j] })
		cpuCols := " | |"
		if p.eng == nil || len(p.eng.cgroups) > 0 || !strings.HasPrefix(p.name, "API") {
			cpuCols = fmt.Sprintf("%s | %s | %s", ms(cpu[len(cpu)/2]), ms(cpu[0]), ms(cpu[len(cpu)-1]))
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %d |\n", p.name, ms(ds[len(ds)/2]), ms(ds[0]), ms(ds[len(ds)-1]), cpuCols, len(ds))
	}
	fmt.Printf("\nCPU: user+system of the processes the measurement ran, plus (with -cgroups) all the daemon, its monitors, runtimes and containers used meanwhile.\n")
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

// run runs cmd to its end and returns the CPU time it and the children
// it waited for used.
func run(cmd *exec.Cmd) (time.Duration, error) {
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("%s: %v: %s", strings.Join(cmd.Args, " "), err, out)
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// apiRunRm does what `docker run --rm busybox true` does through the API.
// rmName is the container the rm -f probes remove.
const rmName = "bench-rm"

// apiRunDetached starts `sleep 3600` in a container named name.
func apiRunDetached(ctx context.Context, c *client.Client, name string) error {
	created, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name:   name,
		Config: &container.Config{Image: "busybox", Cmd: []string{"sleep", "3600"}},
	})
	if err != nil {
		return err
	}
	_, err = c.ContainerStart(ctx, created.ID, client.ContainerStartOptions{})
	return err
}

// The runtime is the daemon's default for "".
func apiRunRm(ctx context.Context, c *client.Client, runtime string) error {
	created, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config:     &container.Config{Image: "busybox", Cmd: []string{"true"}},
		HostConfig: &container.HostConfig{AutoRemove: true, Runtime: runtime},
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
// that directory, which must not hold its state); each runtime (named as
// in -runc) has its own under it.
// all.sh names it apart for a BENCH_PREFIX (WHARF_BENCH_RUNC_ROOT).
var runcRoot = cmp.Or(os.Getenv("WHARF_BENCH_RUNC_ROOT"), "/run/wharf-bench-runc")

func runcRun(name, runc, rootfs, template string) (time.Duration, error) {
	dir, id, err := bundle(rootfs, template, []string{"true"})
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	return run(exec.Command(runc, "--root", filepath.Join(runcRoot, name), "run", "--bundle", dir, id))
}

type runcCtr struct{ runc, root, dir, id string }

// runcContainer starts a `sleep` container with runc alone, for runc exec.
func runcContainer(name, runc, rootfs, template string) (*runcCtr, error) {
	dir, id, err := bundle(rootfs, template, []string{"sleep", "3600"})
	if err != nil {
		return nil, err
	}
	c := &runcCtr{runc, filepath.Join(runcRoot, name), dir, id}
	// No pipes: the container would hold them open and Wait never return.
	logFile := filepath.Join(dir, "runc.log")
	cmd := exec.Command(runc, "--root", c.root, "--log", logFile, "run", "--detach", "--bundle", dir, id)
	if err := cmd.Run(); err != nil {
		out, _ := os.ReadFile(logFile)
		os.RemoveAll(dir)
		return nil, fmt.Errorf("runc run -d: %v: %s", err, out)
	}
	return c, nil
}

func (c *runcCtr) exec() (time.Duration, error) {
	return run(exec.Command(c.runc, "--root", c.root, "exec", c.id, "true"))
}

func (c *runcCtr) remove() {
	exec.Command(c.runc, "--root", c.root, "delete", "--force", c.id).Run()
	os.RemoveAll(c.dir)
}

// floor is the least a container start can cost: new namespaces and a
// chroot into the root file system (over a fresh overlay with overlay).
func floor(rootfs string, overlay bool) (time.Duration, error) {
	script := `exec chroot "$1" /bin/true`
	var dir string
	if overlay {
		var err error
		if dir, err = os.MkdirTemp("", "bench-floor-"); err != nil {
			return 0, err
		}
		defer os.RemoveAll(dir)
		script = `mkdir "$2/u" "$2/w" "$2/m" && mount -t overlay overlay -o "lowerdir=$1,upperdir=$2/u,workdir=$2/w" "$2/m" && exec chroot "$2/m" /bin/true`
	}
	return run(exec.Command("unshare", "--mount", "--pid", "--fork", "--uts", "--ipc", "--net", "sh", "-c", script, "sh", rootfs, dir))
}

// Command engine measures the hot paths of a Docker-API engine end to end
// through its API: `run --rm busybox true`, starting 50 detached
// containers, and the memory each running container adds (daemon plus
// monitor RSS). The same run times `runc run` directly on a bundle of the
// same busybox root file system, as the floor the engine builds on.
//
//	go run ./bench/engine -host unix:///run/wharf/wharf.sock -rootfs /path/to/busybox-rootfs
//
// It prints medians (and min/max) as a Markdown table.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"golang.org/x/sync/errgroup"
)

func main() {
	host := flag.String("host", "unix:///run/wharf/wharf.sock", "engine API socket")
	rootfs := flag.String("rootfs", "", "busybox root file system for the direct runc runs")
	bundleConfig := flag.String("config", "", "config.json of one of the engine's own bundles, so runc runs the very same spec (seccomp profile included)")
	runs := flag.Int("runs", 20, "runs of each single-container measurement")
	detached := flag.Int("detached", 50, "detached containers to start")
	daemonName := flag.String("daemon", "wharfd", "daemon process name, for its RSS")
	monitorName := flag.String("monitor", "conmon", "per-container monitor process name, for its RSS")
	cliPath := flag.String("cli", "", "also time `<cli> run --rm busybox true` (e.g. bin/wharf)")
	parallel := flag.Int("parallel", 0, "only measure this many concurrent create+starts (and one alone), -runs rounds")
	flag.Parse()
	ctx := context.Background()

	c, err := client.New(client.WithHost(*host))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("| measurement | median | min | max | runs |\n|---|---|---|---|---|\n")
	if *parallel > 0 {
		parallelStarts(ctx, c, *parallel, *runs)
		return
	}
	if *rootfs != "" {
		report("runc run (direct, same spec and rootfs)", timeN(*runs, func(i int) error { return runcRun(*rootfs, *bundleConfig, i) }))
	}
	report("API: run --rm busybox true", timeN(*runs, func(int) error { return apiRunRm(ctx, c) }))
	if *cliPath != "" {
		report("CLI: "+filepath.Base(*cliPath)+" run --rm busybox true", timeN(*runs, func(int) error {
			cmd := exec.Command(*cliPath, "-H", *host, "run", "--rm", "busybox", "true")
			return cmd.Run()
		}))
	}
	detachedStarts(ctx, c, *detached, *daemonName, *monitorName)
}

// timeN runs f n times after one warm-up and returns the durations.
func timeN(n int, f func(i int) error) []time.Duration {
	if err := f(-1); err != nil {
		log.Fatal(err)
	}
	var ds []time.Duration
	for i := 0; i < n; i++ {
		start := time.Now()
		if err := f(i); err != nil {
			log.Fatal(err)
		}
		ds = append(ds, time.Since(start))
	}
	return ds
}

func report(name string, ds []time.Duration) {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	fmt.Printf("| %s | %s | %s | %s | %d |\n", name, ms(ds[len(ds)/2]), ms(ds[0]), ms(ds[len(ds)-1]), len(ds))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// runcRun runs `runc run` on a throw-away bundle whose root is rootfs,
// with the engine's own spec when template is set (else `runc spec`'s).
func runcRun(rootfs, template string, i int) error {
	dir, err := os.MkdirTemp("", "bench-bundle-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	id := fmt.Sprintf("bench-%d-%d", os.Getpid(), i+1)
	var spec map[string]any
	if template == "" {
		if out, err := exec.Command("runc", "spec", "--bundle", dir).CombinedOutput(); err != nil {
			return fmt.Errorf("runc spec: %v: %s", err, out)
		}
		template = filepath.Join(dir, "config.json")
	}
	data, err := os.ReadFile(template)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, &spec); err != nil {
		return err
	}
	spec["root"] = map[string]any{"path": rootfs}
	proc := spec["process"].(map[string]any)
	proc["args"], proc["terminal"] = []string{"true"}, false
	spec["linux"].(map[string]any)["cgroupsPath"] = "/wharf-bench/" + id
	if data, err = json.Marshal(spec); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644); err != nil {
		return err
	}
	cmd := exec.Command("runc", "--root", filepath.Join(os.TempDir(), "bench-runc"), "run", "--bundle", dir, id)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("runc run: %v: %s", err, out)
	}
	return nil
}

// apiRunRm does what `docker run --rm busybox true` does through the API:
// create, wait for removal, start, and read the exit status.
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

// detachedStarts starts n `sleep` containers one after another, timing
// each create+start, then measures the memory they added.
func detachedStarts(ctx context.Context, c *client.Client, n int, daemonName, monitorName string) {
	daemonBefore := memOf(daemonName)
	monitorsBefore := memOf(monitorName)
	var ids []string
	defer func() {
		for _, id := range ids {
			c.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true})
		}
	}()
	ds := timeN(n, func(i int) error {
		created, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{
			Config: &container.Config{Image: "busybox", Cmd: []string{"sleep", "3600"}},
		})
		if err != nil {
			return err
		}
		ids = append(ids, created.ID)
		_, err = c.ContainerStart(ctx, created.ID, client.ContainerStartOptions{})
		return err
	})
	report(fmt.Sprintf("API: create+start detached (each of %d)", n), ds)
	time.Sleep(time.Second) // let the monitors settle
	daemonAfter, monitorsAfter := memOf(daemonName), memOf(monitorName)
	per := func(before, after [2]int64, i int) float64 {
		return float64(after[i]-before[i]) / float64(len(ids)) / 1024
	}
	fmt.Printf("| memory added per running container, RSS (daemon + monitor) | %.2f MiB (%.2f + %.2f) | | | %d |\n",
		per(daemonBefore, daemonAfter, 0)+per(monitorsBefore, monitorsAfter, 0), per(daemonBefore, daemonAfter, 0), per(monitorsBefore, monitorsAfter, 0), len(ids))
	fmt.Printf("| memory added per running container, PSS (daemon + monitor) | %.2f MiB (%.2f + %.2f) | | | %d |\n",
		per(daemonBefore, daemonAfter, 1)+per(monitorsBefore, monitorsAfter, 1), per(daemonBefore, daemonAfter, 1), per(monitorsBefore, monitorsAfter, 1), len(ids))
	var total int64
	for _, id := range ids {
		start := time.Now()
		if _, err := c.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true}); err != nil {
			log.Fatal(err)
		}
		total += int64(time.Since(start))
	}
	fmt.Printf("| API: rm -f of a running container (mean of %d) | %s | | | %d |\n", len(ids), ms(time.Duration(total/int64(len(ids)))), len(ids))
	ids = nil
}

// startDetached creates and starts one `sleep` container and returns its id.
func startDetached(ctx context.Context, c *client.Client) (string, error) {
	created, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &container.Config{Image: "busybox", Cmd: []string{"sleep", "3600"}},
	})
	if err != nil {
		return "", err
	}
	_, err = c.ContainerStart(ctx, created.ID, client.ContainerStartOptions{})
	return created.ID, err
}

// parallelStarts times n concurrent create+starts on the default bridge
// (the whole batch, until the last has started) beside one alone, over
// rounds rounds after a warm-up, removing the containers between rounds
// (untimed).
func parallelStarts(ctx context.Context, c *client.Client, n, rounds int) {
	batchOf := func(k int) (time.Duration, error) {
		var mu sync.Mutex
		var ids []string
		defer func() {
			for _, id := range ids {
				c.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true})
			}
		}()
		var g errgroup.Group
		start := time.Now()
		for range k {
			g.Go(func() error {
				id, err := startDetached(ctx, c)
				mu.Lock()
				ids = append(ids, id)
				mu.Unlock()
				return err
			})
		}
		err := g.Wait()
		return time.Since(start), err
	}
	var one, batch []time.Duration
	for i := -1; i < rounds; i++ {
		d1, err := batchOf(1)
		if err != nil {
			log.Fatal(err)
		}
		dn, err := batchOf(n)
		if err != nil {
			log.Fatal(err)
		}
		if i >= 0 {
			one, batch = append(one, d1), append(batch, dn)
		}
	}
	report("API: create+start, one alone", one)
	report(fmt.Sprintf("API: %d concurrent create+starts, the whole batch", n), batch)
	// report sorted both: the middle elements are the medians.
	fmt.Printf("| batch / one alone (medians) | %.1f× | | | %d |\n", float64(batch[len(batch)/2])/float64(one[len(one)/2]), rounds)
}

// memOf sums the resident (RSS) and proportional (PSS: shared pages
// divided among their users) memory, in KiB, of all processes named name.
// PSS is what a process really adds: conmon's RSS is mostly libc and glib
// pages that every conmon shares.
func memOf(name string) [2]int64 {
	entries, _ := os.ReadDir("/proc")
	var total [2]int64
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		comm, err := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		if err != nil || strings.TrimSpace(string(comm)) != name {
			continue
		}
		rollup, err := os.ReadFile(filepath.Join("/proc", e.Name(), "smaps_rollup"))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(rollup), "\n") {
			for i, key := range []string{"Rss:", "Pss:"} {
				if v, ok := strings.CutPrefix(line, key); ok {
					kb, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
					total[i] += kb
				}
			}
		}
	}
	return total
}

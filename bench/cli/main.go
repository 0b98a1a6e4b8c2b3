// Command cli times whole CLI invocations, side by side, against one
// daemon: `--version`, `ps`, `inspect`, `exec` and `create` through each client
// given (wharf, the official docker CLI, another build of wharf). Each
// round runs every command through every client in turn, so a machine
// that slows down or speeds up during the run weighs on all of them
// alike. It prints, per command and client, the median wall time with
// min and max, and the median CPU time (user+sys) of the process, which
// other load on the machine disturbs less.
//
//	go run ./bench/cli -host unix:///run/wharf/wharf.sock -inspect web \
//		-cli wharf=bin/wharf -cli docker=/usr/local/bin/docker
//
// Each client runs with DOCKER_HOST set to -host and no other option, so
// both parse the same command line. `create` leaves created containers
// behind (`container prune` removes them).
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"
)

// client is one CLI binary under test.
type client struct{ name, path string }

type clients []client

func (c *clients) String() string { return fmt.Sprint(*c) }

func (c *clients) Set(v string) error {
	name, path, ok := strings.Cut(v, "=")
	if !ok {
		return fmt.Errorf("want name=path, got %q", v)
	}
	*c = append(*c, client{name, path})
	return nil
}

// sample is one timed run.
type sample struct{ wall, cpu time.Duration }

func main() {
	host := flag.String("host", "unix:///run/wharf/wharf.sock", "daemon socket, given to every client as DOCKER_HOST")
	runs := flag.Int("runs", 20, "counted runs of each command through each client (after one warm-up)")
	inspect := flag.String("inspect", "", "container to inspect (the inspect figure is left out without one)")
	label := flag.String("ps-label", "ps", "name of the ps figure in the table (say how many containers run)")
	image := flag.String("image", "busybox", "image for `create`")
	execIn := flag.String("exec", "", "running container to exec `true` in (the exec figure is left out without one)")
	var cs clients
	flag.Var(&cs, "cli", "name=path of a client; repeat for each (the first is the base of the ratios)")
	flag.Parse()
	if len(cs) == 0 {
		log.Fatal("no -cli given")
	}

	type figure struct {
		name string
		args []string
	}
	figures := []figure{{"--version", []string{"--version"}}, {*label, []string{"ps"}}}
	if *inspect != "" {
		figures = append(figures, figure{"inspect", []string{"inspect", *inspect}})
	}
	if *execIn != "" {
		figures = append(figures, figure{"exec " + *execIn + " true", []string{"exec", *execIn, "true"}})
	}
	figures = append(figures, figure{"create " + *image + " true", []string{"create", *image, "true"}})
	env := append(os.Environ(), "DOCKER_HOST="+*host)
	times := make([][][]sample, len(figures))
	for f := range figures {
		times[f] = make([][]sample, len(cs))
	}
	for r := -1; r < *runs; r++ {
		for f, fig := range figures {
			for c, cl := range cs {
				s, err := timeRun(env, cl.path, fig.args)
				if err != nil {
					log.Fatalf("%s %s: %v", cl.name, strings.Join(fig.args, " "), err)
				}
				if r >= 0 {
					times[f][c] = append(times[f][c], s)
				}
			}
		}
	}

	fmt.Printf("Medians of %d runs each, min–max in brackets; ratios are to %s.\n\n", *runs, cs[0].name)
	fmt.Print("| command |")
	for _, cl := range cs {
		fmt.Printf(" %s wall | %s cpu |", cl.name, cl.name)
	}
	fmt.Print("\n|---|")
	fmt.Print(strings.Repeat("---|---|", len(cs)))
	fmt.Println()
	for f, fig := range figures {
		fmt.Printf("| %s |", fig.name)
		base, _, _ := stats(times[f][0], wallOf)
		for c := range cs {
			wall, lo, hi := stats(times[f][c], wallOf)
			fmt.Printf(" %s (%s–%s)", ms(wall), ms(lo), ms(hi))
			if c > 0 {
				fmt.Printf(" ×%.2f", float64(wall)/float64(base))
			}
			cpu, lo, hi := stats(times[f][c], cpuOf)
			fmt.Printf(" | %s (%s–%s) |", ms(cpu), ms(lo), ms(hi))
		}
		fmt.Println()
	}
}

// timeRun runs path with args once, its output discarded, and returns its
// wall and CPU time; a non-zero exit is an error.
func timeRun(env []string, path string, args []string) (sample, error) {
	cmd := exec.Command(path, args...)
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return sample{}, fmt.Errorf("%v: %s", err, stderr.String())
	}
	return sample{wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}, nil
}

func wallOf(s sample) time.Duration { return s.wall }
func cpuOf(s sample) time.Duration  { return s.cpu }

// stats returns the median, minimum and maximum of one measure of ss.
func stats(ss []sample, of func(sample) time.Duration) (med, lo, hi time.Duration) {
	ds := make([]time.Duration, len(ss))
	for i, s := range ss {
		ds[i] = of(s)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2], ds[0], ds[len(ds)-1]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

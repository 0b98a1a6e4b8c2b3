// Command trace times the client's side of one `run --rm busybox true`
// through the API, call by call (create, start, the wait's answer after
// the start), so that the daemon's debug log (wharfd -D) and an strace
// of it can be read against it.
//
//	go run ./bench/trace -host unix:///run/wharf/wharf.sock -runs 20 [-runtime crun]
//
// With -host given more than once (a before/after), the daemons take
// turns run by run, so that a loaded machine weighs on each alike.
//
// It prints the median [min-max] of each phase.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"sort"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

func main() {
	var hosts multiFlag
	flag.Var(&hosts, "host", "engine API socket (repeat to compare daemons, run by run)")
	runs := flag.Int("runs", 20, "runs")
	runtime := flag.String("runtime", "", "HostConfig.Runtime (the daemon's default if empty)")
	network := flag.String("network", "", "HostConfig.NetworkMode (the default bridge if empty)")
	flag.Parse()
	if len(hosts) == 0 {
		hosts = multiFlag{"unix:///run/wharf/wharf.sock"}
	}
	var clients []*client.Client
	for _, h := range hosts {
		c, err := client.New(client.WithHost(h))
		if err != nil {
			log.Fatal(err)
		}
		clients = append(clients, c)
	}
	ctx := context.Background()
	names := []string{"create", "start", "exit+rm", "total"}
	times := make([][][]time.Duration, len(hosts))
	for i := range times {
		times[i] = make([][]time.Duration, len(names))
	}
	for i := 0; i < *runs*len(hosts); i++ {
		h := i % len(hosts)
		c := clients[h]
		t0 := time.Now()
		created, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{
			Config:     &container.Config{Image: "busybox", Cmd: []string{"true"}},
			HostConfig: &container.HostConfig{AutoRemove: true, Runtime: *runtime, NetworkMode: container.NetworkMode(*network)},
		})
		if err != nil {
			log.Fatal(err)
		}
		t1 := time.Now()
		wait := c.ContainerWait(ctx, created.ID, client.ContainerWaitOptions{Condition: container.WaitConditionRemoved})
		t2 := time.Now()
		if _, err := c.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
			log.Fatal(err)
		}
		t3 := time.Now()
		select {
		case res := <-wait.Result:
			if res.StatusCode != 0 {
				log.Fatalf("exit status %d", res.StatusCode)
			}
		case err := <-wait.Error:
			log.Fatal(err)
		}
		t4 := time.Now()
		for j, d := range []time.Duration{t1.Sub(t0), t3.Sub(t2), t4.Sub(t3), t4.Sub(t0)} {
			times[h][j] = append(times[h][j], d)
		}
	}
	for h, host := range hosts {
		fmt.Println(host)
		for j, name := range names {
			ds := times[h][j]
			sort.Slice(ds, func(a, b int) bool { return ds[a] < ds[b] })
			fmt.Printf("  %-8s %6.1f ms [%.1f-%.1f]\n", name, ms(ds[len(ds)/2]), ms(ds[0]), ms(ds[len(ds)-1]))
		}
	}
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

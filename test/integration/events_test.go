//go:build integration

package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestEventsSinceUntil(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			name := uniqueName(t, "ev")
			since := strconv.FormatInt(time.Now().Unix(), 10)
			cli(t, c, "run", "--rm", "--name", name, "busybox", "true")
			until := strconv.FormatInt(time.Now().Unix()+1, 10)
			out := cli(t, c, "events", "--since", since, "--until", until, "--filter", "container="+name, "--format", "{{.Type}} {{.Action}}")
			want := []string{"container create", "container start", "container die", "container destroy"}
			if got := lines(out); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("events:\n%s\nwant:\n%s", out, strings.Join(want, "\n"))
			}
			out = cli(t, c, "events", "--since", since, "--until", until, "--filter", "container="+name, "--filter", "event=die", "--format", "{{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}")
			if out != name+" 0\n" {
				t.Errorf("die event: %q", out)
			}
		})
	}
}

func TestEventsStream(t *testing.T) {
	a, b := uniqueName(t, "a"), uniqueName(t, "b")
	cleanupContainers(t, a, b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/usr/local/bin/docker", "events", "--since", strconv.FormatInt(time.Now().Unix(), 10),
		"--filter", "event=die", "--filter", "container="+a, "--filter", "container="+b,
		"--format", "{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}")
	cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+testEnv.sock, "DOCKER_CONFIG="+filepath.Join(filepath.Dir(testEnv.root), "dockercfg"))
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		cmd.Wait()
	}()
	// a's event may come from the replay; once it is shown the stream is
	// open, so b's comes live.
	if r := testEnv.run("docker", "run", "--name", a, "busybox", "sh", "-c", "exit 3"); r.code != 3 {
		t.Fatalf("run: %+v", r)
	}
	waitFor(t, 10*time.Second, "a's die event", func() bool { return strings.Contains(out.String(), "die "+a+" 3\n") })
	cli(t, "docker", "run", "--name", b, "busybox", "true")
	waitFor(t, 10*time.Second, "b's die event", func() bool { return strings.Contains(out.String(), "die "+b+" 0\n") })
	if n := strings.Count(out.String(), "\n"); n != 2 {
		t.Errorf("want two events:\n%s", out.String())
	}
}

func TestEventsImagesNetworksVolumes(t *testing.T) {
	tag := "wharf-test/events:" + strconv.FormatInt(time.Now().UnixNano(), 10)
	net, vol := uniqueName(t, "net"), uniqueName(t, "vol")
	t.Cleanup(func() {
		testEnv.run("wharf", "rmi", tag)
		testEnv.run("wharf", "network", "rm", net)
		testEnv.run("wharf", "volume", "rm", vol)
	})
	since := strconv.FormatInt(time.Now().Unix(), 10)
	cli(t, "wharf", "tag", "busybox", tag)
	cli(t, "wharf", "rmi", tag)
	cli(t, "wharf", "network", "create", net)
	cli(t, "wharf", "network", "rm", net)
	cli(t, "wharf", "volume", "create", vol)
	cli(t, "wharf", "volume", "rm", vol)
	until := strconv.FormatInt(time.Now().Unix()+1, 10)
	out := cli(t, "docker", "events", "--since", since, "--until", until, "--filter", "type=image", "--filter", "type=network", "--filter", "type=volume",
		"--format", "{{.Type}} {{.Action}} {{or .Actor.Attributes.name .Actor.ID}}")
	for _, want := range []string{
		"image tag " + tag, "image untag " + tag,
		"network create " + net, "network destroy " + net,
		"volume create " + vol, "volume destroy " + vol,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	out = cli(t, "docker", "events", "--since", since, "--until", until, "--filter", "volume="+vol, "--format", "{{.Action}} {{.Actor.ID}}")
	if out != "create "+vol+"\ndestroy "+vol+"\n" {
		t.Errorf("volume events: %q", out)
	}
}

// TestEventsBuildTags: as with dockerd, each -t of a build sends an image
// tag event (the builder tags through the image service, which publishes).
func TestEventsBuildTags(t *testing.T) {
	stamp := strconv.FormatInt(time.Now().UnixNano(), 10)
	a, b := "wharf-test/build-events:"+stamp, "wharf-test/build-events-b:"+stamp
	t.Cleanup(func() { testEnv.run("wharf", "rmi", a, b) })
	dir := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nLABEL wharf.test=build-events-" + stamp + "\n"})
	since := strconv.FormatInt(time.Now().Unix(), 10)
	cli(t, "wharf", "build", "-t", a, "-t", b, dir)
	until := strconv.FormatInt(time.Now().Unix()+1, 10)
	out := cli(t, "docker", "events", "--since", since, "--until", until, "--filter", "type=image", "--filter", "event=tag",
		"--format", "{{.Action}} {{.Actor.Attributes.name}}")
	for _, want := range []string{"tag " + a + "\n", "tag " + b + "\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
}

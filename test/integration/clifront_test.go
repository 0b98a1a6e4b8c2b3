//go:build integration

package integration

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCLIFrontParity runs command lines through wharf (bin/wharf, the
// router, which runs wharf-front or wharf-cli) and through wharf-cli,
// docker's whole command tree, and wants the same output, messages and
// exit code byte for byte. Each case also says whether the front answers
// it itself: a copy of the router and the front alone (no wharf-cli beside
// them) must then print the same, and must otherwise fail for want of
// wharf-cli, which proves the line went to docker's code.
func TestCLIFrontParity(t *testing.T) {
	label := "it=" + uniqueName(t, "front")
	up, exited, created := uniqueName(t, "up"), uniqueName(t, "exited"), uniqueName(t, "created")
	// The exec cases' container: an exec is listed in its container's
	// inspect (ExecIDs), which the other cases print.
	runner := uniqueName(t, "runner")
	cleanupContainers(t, up, exited, created, runner)
	cli(t, "wharf", "run", "-d", "-l", label, "-l", "k=v1", "--expose", "80", "-v", "/data", "--name", up, "busybox", "sleep", "300")
	cli(t, "wharf", "run", "-d", "-l", label, "--name", exited, "busybox", "sh", "-c", "echo hi >/f; exit 3")
	cli(t, "wharf", "wait", exited)
	cli(t, "wharf", "create", "-l", label, "-l", "k=v2", "--name", created, "busybox", "true")
	cli(t, "wharf", "run", "-d", "--name", runner, "busybox", "sleep", "300")

	alone := t.TempDir()
	for _, f := range []string{"wharf", "wharf-front"} {
		copyFile(t, filepath.Join(testEnv.bin, f), filepath.Join(alone, f))
	}
	cfg := filepath.Join(filepath.Dir(testEnv.root), "dockercfg")
	// Config directories: one with a psFormat (the front's), one with
	// aliases (wharf-cli's).
	psFormatCfg := filepath.Dir(writeFile(t, "config.json", `{"psFormat": "table {{.Names}}\t{{.Label \"k\"}}\t{{.State}}"}`))
	aliasCfg := filepath.Dir(writeFile(t, "config.json", `{"aliases": {"builder": "buildx"}}`))
	f := "label=" + label
	// .Networks lists a map's keys, in no order (in docker too): where
	// the output has it, only the running container, on one network.
	one := "name=" + up
	stopped := "unix://" + filepath.Join(t.TempDir(), "no.sock")

	for _, c := range []struct {
		args  []string
		front bool   // the front answers it itself
		code  int    // its exit code, when the front answers
		host  string // DOCKER_HOST, when not the suite's daemon
		cfg   string // DOCKER_CONFIG, when not the suite's
	}{
		{args: []string{"--version"}, front: true},
		{args: []string{"-v"}, front: true},
		{args: []string{"ps"}, front: true},
		{args: []string{"ps", "-a"}, front: true},
		{args: []string{"ps", "-aq"}, front: true},
		{args: []string{"ps", "-a", "--no-trunc", "--filter", f}, front: true},
		{args: []string{"ps", "-as", "--filter", f}, front: true},
		{args: []string{"ps", "-n", "2"}, front: true},
		{args: []string{"ps", "-n2", "-q", "--no-trunc"}, front: true},
		{args: []string{"ps", "--last=3", "-q"}, front: true},
		{args: []string{"ps", "-l"}, front: true},
		{args: []string{"ps", "-lq", "--latest=false"}, front: true},
		{args: []string{"ps", "-a", "--filter", "status=exited", "--filter", f}, front: true},
		{args: []string{"ps", "-af", f, "--filter", "LABEL = k=v2 "}, front: true},
		{args: []string{"ps", "-af" + f, "--format", "{{.Names}}\t{{.Status}}"}, front: true},
		{args: []string{"ps", "-a", "--filter=" + f, "--format", `table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.Label "k"}}\t{{.Labels}}\t{{.Ports}}\t{{.Mounts}}\t{{.LocalVolumes}}\t{{.State}}`}, front: true},
		{args: []string{"ps", "-a", "--filter", one, "--format", "json"}, front: true},
		{args: []string{"ps", "-a", "--filter", one, "--format", "{{json .}} {{.Networks}}"}, front: true},
		{args: []string{"ps", "-a", "--filter", f, "--format", "{{.Names}} {{.Size}}"}, front: true},
		{args: []string{"ps", "-a", "--filter", f, "--size=false", "--format", "{{.Names}} {{.Size}}"}, front: true},
		{args: []string{"ps", "-a", "--filter", f, "--format", `{{upper .Names}} {{lower .Image}} {{title .State}} {{split .Names "-"}} {{join (split .Names "-") "+"}} {{pad .State 1 2}} {{truncate .ID 4}} {{println .CreatedAt | len}}`}, front: true},
		{args: []string{"ps", "--filter", "name=no-such-container-anywhere"}, front: true},
		{args: []string{"container", "ls", "-a", "--filter", f}, front: true},
		{args: []string{"container", "list", "-aq"}, front: true},
		{args: []string{"container", "ps", "--no-trunc"}, front: true},
		{args: []string{"ps", "-a", "--filter", f}, front: true, cfg: psFormatCfg},
		{args: []string{"ps", "-a", "--filter", f, "--format", "{{.ID}}"}, front: true, cfg: psFormatCfg},
		{args: []string{"inspect", up}, front: true},
		{args: []string{"inspect", up, exited, created}, front: true},
		{args: []string{"inspect", "--format", "{{.Name}} {{.State.Status}} {{.State.ExitCode}} {{json .Config.Labels}}", up, exited}, front: true},
		{args: []string{"inspect", "-f", "{{range .Mounts}}{{.Destination}}{{end}} {{.Config.Image}} {{index .Config.Labels \"k\"}}", up}, front: true},
		{args: []string{"inspect", "--format=json", up, created}, front: true},
		{args: []string{"inspect", "-f", "{{json .}}", exited}, front: true},
		{args: []string{"inspect", "-s", exited}, front: true},
		{args: []string{"inspect", "--size", "--format", "{{.SizeRw}} {{.SizeRootFs}}", exited}, front: true},
		{args: []string{"inspect", "--type", "container", up}, front: true},
		{args: []string{"inspect", up, "--type=container", "-f", "{{.Id}}"}, front: true},
		{args: []string{"container", "inspect", up}, front: true},
		{args: []string{"container", "inspect", "-f", "{{.HostConfig.NetworkMode}} {{.Path}} {{.Args}}", up, exited}, front: true},
		{args: []string{"exec", runner, "echo", "hi"}, front: true},
		{args: []string{"exec", runner, "sh", "-c", "echo out; echo err >&2; echo out2; exit 3"}, front: true, code: 3},
		{args: []string{"exec", "-e", "A=1", "-e", "PATH", "-eB=", "-w", "/tmp", "-u", "nobody", runner, "sh", "-c", "echo $A $B $PATH; pwd; id"}, front: true},
		{args: []string{"exec", "--privileged", "-i=false", runner, "ls", "-d", "/proc"}, front: true},
		{args: []string{"exec", runner, "no-such-command"}, front: true, code: 127},
		{args: []string{"exec", runner, "/etc"}, front: true, code: 126},
		{args: []string{"exec", "-u", "no-such-user", runner, "true"}, front: true, code: 126},
		{args: []string{"exec", "-d", runner, "sleep", "1"}, front: true},
		{args: []string{"container", "exec", runner, "sh", "-c", "exit 255"}, front: true, code: 255},

		// wharf-cli's: errors, warnings, other objects and commands,
		// settings the front does not model.
		{args: []string{"ps", "-q", "--format", "{{.ID}}"}},
		{args: []string{"ps", "--format", "{{.NoSuchField}}"}},
		{args: []string{"ps", "--format", "{{"}},
		{args: []string{"ps", "--filter", "bogus"}},
		{args: []string{"ps", "--filter", "nosuchkey=1"}},
		{args: []string{"ps", "-n", "x"}},
		{args: []string{"ps", "extra"}},
		{args: []string{"ps", "--help"}},
		{args: []string{"ps", "--all=maybe"}},
		{args: []string{"ps", "--", "-a"}},
		{args: []string{"ps", "-a", "--filter", f}, cfg: aliasCfg},
		{args: []string{"ps"}, host: stopped},
		{args: []string{"inspect", up}, host: stopped},
		{args: []string{"inspect"}},
		{args: []string{"inspect", "busybox"}},
		{args: []string{"inspect", "no-such-object"}},
		{args: []string{"inspect", up, "no-such-object"}},
		{args: []string{"inspect", "--type", "image", "busybox"}},
		{args: []string{"inspect", "--type", "", up}},
		{args: []string{"inspect", "-f", "{{.NoSuchField}}", up}},
		{args: []string{"inspect", "-f", "{{", up}},
		{args: []string{"container", "inspect", "no-such-object"}},
		{args: []string{"container", "inspect", "busybox"}},
		{args: []string{"exec", "no-such-container", "true"}},
		{args: []string{"exec", exited, "true"}},
		{args: []string{"exec", created, "true"}},
		{args: []string{"exec", runner}},
		{args: []string{"exec", "-i", runner, "true"}},
		{args: []string{"exec", "-t", runner, "true"}},
		{args: []string{"exec", "--env-file", "/dev/null", runner, "true"}},
		{args: []string{"exec", "-e", "=x", runner, "true"}},
		{args: []string{"exec", "--help"}},
		{args: []string{"version", "--format", "{{.Client.Version}}"}},
		{args: []string{"--version", "ps"}},
		{args: []string{"images", "-q"}},
		{args: []string{"-H", "unix://" + testEnv.sock, "ps"}},
	} {
		name := strings.Join(c.args, " ")
		host, dir := "unix://"+testEnv.sock, cfg
		if c.host != "" {
			host = c.host
		}
		if c.cfg != "" {
			dir = c.cfg
		}
		env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + t.TempDir(), "DOCKER_HOST=" + host, "DOCKER_CONFIG=" + dir}
		// Outputs with times ("Up 3 seconds", which the daemon writes
		// when asked) may change between two runs: wharf-cli runs before
		// and after the others, each of which must match one of its two
		// runs, and a few tries.
		var full, front, only result
		var frontSame, onlySame bool
		for try := 0; try < 3; try++ {
			full = runCLI(filepath.Join(testEnv.bin, "wharf-cli"), env, c.args)
			front = runCLI(filepath.Join(testEnv.bin, "wharf"), env, c.args)
			only = runCLI(filepath.Join(alone, "wharf"), env, c.args)
			after := runCLI(filepath.Join(testEnv.bin, "wharf-cli"), env, c.args)
			frontSame, onlySame = front == full || front == after, only == full || only == after
			if frontSame && (!c.front || onlySame) {
				break
			}
		}
		if !frontSame {
			t.Errorf("%s: front and wharf-cli differ\nfront:     %+v\nwharf-cli: %+v", name, front, full)
		}
		if c.front && !onlySame {
			t.Errorf("%s: the front did not answer alone\nfront alone: %+v\nwharf-cli:   %+v", name, only, full)
		}
		if !c.front && (only.code != 1 || !strings.Contains(only.stderr, "wharf-cli, must be installed beside wharf")) {
			t.Errorf("%s: the front answered alone, want it to run wharf-cli: %+v", name, only)
		}
		if c.front && full.code != c.code {
			t.Errorf("%s: exit %d: %s", name, full.code, full.stderr)
		}
	}
}

// runCLI runs the CLI binary path with args in exactly the environment env.
func runCLI(path string, env, args []string) result {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = env
	return collect(cmd)
}

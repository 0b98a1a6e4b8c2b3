// Command wharf-front is the Wharf command-line client's front: a small
// binary that answers the few commands users type most, and hands every
// other command line to wharf-cli, docker's full command tree
// (cmd/wharf-cli), installed beside it. The router users run as wharf
// (cmd/wharf) runs it for those commands, and wharf-cli directly for the
// rest.
//
// It exists because a Go program runs the package initialisation of
// everything it links before main: docker/cli's command tree links
// swarmkit, protobuf descriptors, prometheus and hundreds more packages,
// so every command paid ~40 ms of CPU before doing anything. The front
// links only docker/cli's formatter and templates and the moby API client,
// and prints what wharf-cli prints with docker's own code
// (formatter.ContainerWrite, templates.Parse, the same client calls).
//
// The rule, exactly. The front answers when ALL of this holds, and
// otherwise execs wharf-cli with the same argv and environment, before
// writing anything, so that every other command, flag, message and exit
// code is docker's:
//   - the command line is `--version` or `-v` alone (package route prints
//     it), or `ps` | `container ls|ps|list` with no arguments and only
//     the flags -a -q -s -l -n --no-trunc --format -f/--filter, or
//     `inspect` | `container inspect` with one or more names and only
//     -f/--format, -s/--size (and, for `inspect`, --type container), or
//     `exec` | `container exec` with a container and a command and only
//     the flags -e/--env, -u/--user, -w/--workdir, --privileged,
//     -d/--detach (-i and -t only if false), the flags written in any way
//     pflag takes them (flags.go);
//   - the environment has no DOCKER_* variable but DOCKER_HOST and
//     DOCKER_CONFIG and no OTEL_* variable, and the daemon (WHARF_HOST,
//     else DOCKER_HOST, else wharfd's socket) is a unix socket's path
//     (route.Env);
//   - the config file ($DOCKER_CONFIG or ~/.docker, config.json) is absent,
//     or parses as docker parses it and sets nothing but auths,
//     credsStore, credHelpers, psFormat and a currentContext of "default"
//     (config.go);
//   - every request succeeds, every name is a container, every template
//     parses and runs, and -q comes without --format (docker warns): the
//     front prints nothing until all of that is known.
//
// ps and inspect only read, so running them again in wharf-cli after a
// failure is harmless. exec hands over only when creating the exec
// failed, which changed nothing; once it is created, the front runs it to
// the end and exits as docker does (exec.go). Package route decides the first two points in its
// init, before the heavier packages' initialisation runs.
package main

import (
	"context"
	"os"

	"github.com/wharf/wharf/cmd/wharf-front/route"
)

func main() {
	code, ok := answer(context.Background(), os.Args[1:], os.Environ())
	if !ok {
		route.ExecFull()
	}
	os.Exit(code)
}

// answer runs the command line args itself when the rule above allows,
// and reports whether it did (and printed its whole output), with the
// exit code to leave with.
func answer(ctx context.Context, args []string, environ []string) (code int, ok bool) {
	name, rest, ok := route.Command(args)
	if !ok {
		return 0, false
	}
	host, configDir, ok := route.Env(environ)
	if !ok {
		return 0, false
	}
	psFormat, ok := loadConfig(configDir + "/config.json")
	if !ok {
		return 0, false
	}
	switch name {
	case "ps":
		return 0, ps(ctx, host, psFormat, rest, os.Stdout)
	case "inspect", "container inspect":
		return 0, inspect(ctx, host, name == "inspect", rest, os.Stdout)
	case "exec":
		return execCommand(ctx, host, rest)
	}
	return 0, false
}

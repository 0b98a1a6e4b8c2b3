package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
)

// execFlags are `docker exec`'s flags the front models
// (cli/command/container/exec.go); -i and -t only to see that they are
// false. --env-file, --detach-keys and any other are wharf-cli's.
var execFlags = []flagSpec{
	{"env", 'e', false},
	{"user", 'u', false},
	{"workdir", 'w', false},
	{"privileged", 0, true},
	{"detach", 'd', true},
	{"interactive", 'i', true},
	{"tty", 't', true},
}

// execOptions reads `exec`'s command line (flags before the container, as
// docker's non-interspersed flag set has them) into the exec to create,
// and reports false for what the front leaves to wharf-cli: an
// interactive or terminal exec, an unknown flag, a bad -e, too few
// arguments.
func execOptions(args []string, lookupEnv func(string) (string, bool)) (ref string, opts client.ExecCreateOptions, detach, ok bool) {
	flags, positional, ok := parseFlags(args, execFlags, false)
	if !ok || len(positional) < 2 {
		return "", opts, false, false
	}
	for _, f := range flags {
		switch f.name {
		case "env":
			// opts.ValidateEnv: KEY=VALUE as is, KEY alone takes this
			// environment's value when it has one.
			k, _, hasValue := strings.Cut(f.value, "=")
			if k == "" {
				return "", opts, false, false // docker's flag error
			}
			v := f.value
			if envValue, found := lookupEnv(k); !hasValue && found {
				v = k + "=" + envValue
			}
			opts.Env = append(opts.Env, v)
		case "user":
			opts.User = f.value
		case "workdir":
			opts.WorkingDir = f.value
		case "privileged":
			opts.Privileged = f.value == "true"
		case "detach":
			detach = f.value == "true"
		case "interactive", "tty":
			if f.value == "true" {
				return "", opts, false, false
			}
		}
	}
	// parseExec: without -d, stdout and stderr are attached.
	opts.AttachStdout, opts.AttachStderr = !detach, !detach
	opts.Cmd = positional[1:]
	return positional[0], opts, detach, true
}

// execCommand is `docker exec` without input or terminal (RunExec and
// interactiveExec in docker/cli's cli/command/container/exec.go, and
// wharf-cli's main for errors and exit codes). It reports false, having
// done nothing, when wharf-cli is to run the command line instead: the
// flags say so, or creating the exec failed (a missing or stopped
// container...: wharf-cli meets the same error and says it in docker's
// words). Once the exec exists, the command is the front's: it returns
// the exit code to leave with, having printed what docker prints.
//
// docker inspects the container before creating the exec, only so that
// "No such container" comes first; the front leaves every creation error
// to wharf-cli, which does that, and saves the round trip.
func execCommand(ctx context.Context, host string, args []string) (code int, ok bool) {
	ref, opts, detach, ok := execOptions(args, os.LookupEnv)
	if !ok {
		return 0, false
	}
	// wharf-cli's: SIGINT and SIGTERM end the command with 130.
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	api, err := newClient(host)
	if err != nil {
		return 0, false
	}
	defer api.Close()
	created, err := api.ExecCreate(ctx, ref, opts)
	if err != nil || created.ID == "" {
		return 0, false
	}
	if detach {
		if _, err := api.ExecStart(ctx, created.ID, client.ExecStartOptions{Detach: true}); err != nil {
			return failed(ctx, err), true
		}
		return 0, true
	}

	attached, err := api.ExecAttach(ctx, created.ID, client.ExecAttachOptions{})
	if err != nil {
		return failed(ctx, err), true
	}
	defer attached.Close()
	// No input: docker's input side sends EOF at once.
	_ = attached.CloseWrite()
	copied := make(chan error, 1)
	go func() {
		_, err := stdcopy.StdCopy(os.Stdout, os.Stderr, attached.Reader)
		copied <- err
	}()
	select {
	case err = <-copied:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		return failed(ctx, err), true
	}

	inspected, err := api.ExecInspect(ctx, created.ID, client.ExecInspectOptions{})
	if err != nil {
		if client.IsErrConnectionFailed(err) {
			return -1, true // the daemon probably died: docker exits 255, silent
		}
		return failed(ctx, err), true
	}
	return inspected.ExitCode, true
}

// failed says err as wharf-cli's main does and returns its exit code:
// 130 when a signal cancelled the command, else 1 after the error's text.
func failed(ctx context.Context, err error) int {
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return 130
	}
	if err.Error() != "" && !errdefs.IsCanceled(err) {
		fmt.Fprintln(os.Stderr, err)
	}
	return 1
}

// Command wharf-cli is the Wharf command-line client's body: the wharf
// router (cmd/wharf) runs this binary, installed beside it, for all but
// the few commands wharf-front (cmd/wharf-front) answers itself, and
// wharf-front runs it with the same command line when it does not model a
// flag or setting.
//
// It is the docker CLI's own command tree (github.com/docker/cli), built
// as a library and pointed at wharfd by default. Reusing it, rather than
// re-implementing it, is what makes every command, flag, table column,
// --format template, error message and exit code identical to docker's:
// users' scripts keep working unchanged. wharf stays a pure API client, so
// it drives a real dockerd just as well (set DOCKER_HOST or -H).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/containerd/errdefs"
	"github.com/docker/cli/cli"
	"github.com/docker/cli/cli/command"
	"github.com/docker/cli/cli/command/commands"
	cliversion "github.com/docker/cli/cli/version"
	"github.com/spf13/cobra"

	_ "github.com/wharf/wharf/cmd/wharf-cli/startgc" // no collection while starting
)

// defaultHost is where wharfd listens unless told otherwise.
const defaultHost = "unix:///run/wharf/wharf.sock"

func main() {
	os.Exit(run(context.Background()))
}

func run(ctx context.Context) int {
	useWharfHost()
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	dockerCLI, err := command.NewDockerCli(command.WithBaseContext(ctx))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	err = execute(ctx, dockerCLI)
	if err == nil {
		return 0
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return 130
	}
	if err.Error() != "" && !errdefs.IsCanceled(err) {
		fmt.Fprintln(dockerCLI.Err(), err)
	}
	var status cli.StatusError
	if errors.As(err, &status) && status.StatusCode != 0 {
		return status.StatusCode
	}
	return 1
}

// useWharfHost makes wharfd the default daemon. An explicit DOCKER_HOST,
// WHARF_HOST, -H or --context still wins.
func useWharfHost() {
	if h := os.Getenv("WHARF_HOST"); h != "" {
		os.Setenv("DOCKER_HOST", h)
		return
	}
	if os.Getenv("DOCKER_HOST") == "" && os.Getenv("DOCKER_CONTEXT") == "" {
		os.Setenv("DOCKER_HOST", defaultHost)
	}
}

func execute(ctx context.Context, dockerCLI *command.DockerCli) error {
	root := &cobra.Command{
		Use:              "wharf [OPTIONS] COMMAND [ARG...]",
		Short:            "A self-sufficient runtime for containers",
		SilenceUsage:     true,
		SilenceErrors:    true,
		TraverseChildren: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return command.ShowHelp(dockerCLI.Err())(cmd, args)
			}
			return fmt.Errorf("wharf: unknown command: wharf %s\n\nRun 'wharf --help' for more information", args[0])
		},
		// The CLI is initialized before the command runs (top.Initialize
		// below); docker's `stack` help calls the root's pre-run, which
		// must therefore exist.
		PersistentPreRunE:     func(*cobra.Command, []string) error { return nil },
		Version:               version,
		DisableFlagsInUseLine: true,
	}
	root.SetIn(dockerCLI.In())
	root.SetOut(dockerCLI.Out())
	root.SetErr(dockerCLI.Err())
	opts, _ := cli.SetupRootCommand(root)
	root.SetVersionTemplate("Wharf version {{.Version}}, build " + cliversion.GitCommit + "\n")
	root.Flags().BoolP("version", "v", false, "Print version information and quit")
	commands.AddCommands(root, dockerCLI)
	addWharfCommands(root, dockerCLI)
	fastContext(root)

	top := cli.NewTopLevelCommand(root, dockerCLI, opts, root.Flags())
	cmd, args, err := top.HandleGlobalFlags()
	if err != nil {
		return err
	}
	if err := top.Initialize(); err != nil {
		return err
	}
	cmd.SetArgs(args)
	return cmd.ExecuteContext(ctx)
}

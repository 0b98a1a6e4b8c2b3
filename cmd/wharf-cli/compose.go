package main

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"

	"github.com/docker/cli/cli-plugins/metadata"
	"github.com/docker/cli/cli/command"
	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	"github.com/spf13/cobra"
)

// composePlugin is the file name of the docker compose CLI plugin.
const composePlugin = metadata.NamePrefix + "compose"

// systemPluginDirs are the docker CLI's own plugin directories on Linux, in
// its order of preference (docker/cli keeps its list private).
var systemPluginDirs = []string{
	"/usr/local/lib/docker/cli-plugins",
	"/usr/local/libexec/docker/cli-plugins",
	"/usr/lib/docker/cli-plugins",
	"/usr/libexec/docker/cli-plugins",
}

// composeCommand is `wharf compose`: docker compose itself
// (github.com/docker/compose), run as the docker CLI plugin it ships as,
// `docker-compose`, which `make build` builds beside wharf. Its commands,
// flags, output, labels and convergence rules are docker compose's by
// construction, so a project can be managed by `wharf compose` and `docker
// compose` in turn. It is a plugin rather than built in because Go runs the
// package initialisation of everything linked on every start: compose's
// (compose-go's JSON schemas, buildkit, more OpenTelemetry) made every
// wharf command pay for it.
//
// Like docker, wharf hands the plugin its whole command line (global
// options included) and the environment it resolved (DOCKER_HOST); unlike
// docker it execs the plugin in its own place instead of running it as a
// child, so signals, the terminal and the exit status are the plugin's with
// nothing in between, and it skips docker's metadata query, which would
// start compose a second time.
func composeCommand(dockerCLI command.Cli) *cobra.Command {
	run := func() error {
		path, err := findComposePlugin(composePluginDirs(dockerCLI.ConfigFile()))
		if err != nil {
			return err
		}
		env := append(os.Environ(), metadata.ReexecEnvvar+"="+os.Args[0])
		return syscall.Exec(path, append([]string{path}, os.Args[1:]...), env)
	}
	cmd := &cobra.Command{
		Use:                "compose",
		Short:              "Docker Compose",
		DisableFlagParsing: true,
		// docker's help lists a plugin among the management commands,
		// as "compose*".
		Annotations: map[string]string{metadata.CommandAnnotationPlugin: "true"},
		RunE:        func(*cobra.Command, []string) error { return run() },
		// `wharf help compose` and shell completion are the plugin's too:
		// it gets the same command line.
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			cobra.CompErrorln(run().Error())
			return nil, cobra.ShellCompDirectiveError
		},
	}
	cmd.SetHelpFunc(func(c *cobra.Command, _ []string) {
		c.PrintErrln(run())
	})
	return cmd
}

// composePluginDirs are where wharf looks for docker-compose, in order:
// beside wharf, so that wharf runs the compose it was built with, then
// where the docker CLI looks for its plugins (in the docker CLI's order).
func composePluginDirs(cfg *configfile.ConfigFile) []string {
	var dirs []string
	if exe, err := os.Executable(); err == nil {
		dirs = append(dirs, filepath.Dir(exe))
	}
	dirs = append(dirs, cfg.CLIPluginsExtraDirs...)
	dirs = append(dirs, filepath.Join(config.Dir(), "cli-plugins"))
	return append(dirs, systemPluginDirs...)
}

// findComposePlugin returns the path of the first docker-compose in dirs.
func findComposePlugin(dirs []string) (string, error) {
	for _, d := range dirs {
		path := filepath.Join(d, composePlugin)
		if _, err := os.Stat(path); err == nil {
			return path, nil
		}
	}
	return "", errors.New("wharf compose needs the docker compose CLI plugin, " + composePlugin +
		", beside wharf or in a docker CLI plugin directory (`make build` builds it, `make install` installs it)")
}

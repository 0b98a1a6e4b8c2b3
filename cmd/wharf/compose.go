package main

import (
	"runtime/debug"
	"strings"

	"github.com/docker/cli/cli"
	"github.com/docker/cli/cli/command"
	composecmd "github.com/docker/compose/v5/cmd/compose"
	"github.com/docker/compose/v5/cmd/prompt"
	"github.com/docker/compose/v5/pkg/api"
	"github.com/docker/compose/v5/pkg/compose"
	"github.com/spf13/cobra"
)

// composeCommand is `wharf compose`: docker compose's own command tree
// (github.com/docker/compose), built in as a library, for the same reason
// the rest of wharf is docker/cli's: the commands, flags, output, labels
// and convergence rules are docker compose's by construction, so a
// project can be managed by `wharf compose` and `docker compose` in turn.
// Like docker compose it is a pure Engine API client.
func composeCommand(dockerCLI command.Cli) *cobra.Command {
	backend := &composecmd.BackendOptions{
		Options: []compose.Option{
			compose.WithPrompt(prompt.NewPrompt(dockerCLI.In(), dockerCLI.Out()).Confirm),
		},
	}
	if api.ComposeVersion == "" {
		// The com.docker.compose.version label; without the Makefile's
		// -ldflags it would be empty.
		api.ComposeVersion = composeModuleVersion()
	}
	cmd := composecmd.RootCommand(dockerCLI, backend)
	// As the docker compose plugin does: bad flags exit 1, not 125.
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return cli.StatusError{StatusCode: 1, Status: err.Error()}
	})
	return cmd
}

// composeModuleVersion is the version of the compose module built in,
// without its "v" ("5.6.0").
func composeModuleVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, m := range info.Deps {
			if m.Path == "github.com/docker/compose/v5" {
				return strings.TrimPrefix(m.Version, "v")
			}
		}
	}
	return ""
}

package main

import (
	"github.com/docker/cli/cli/command"
	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// addWharfCommands adds the commands wharf has beyond docker's own tree.
func addWharfCommands(root *cobra.Command, dockerCLI command.Cli) {
	_ = root
	_ = dockerCLI
}

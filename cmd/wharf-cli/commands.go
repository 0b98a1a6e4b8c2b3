package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/docker/cli/cli/command"
	"github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/wharf/wharf/internal/registry"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// addWharfCommands adds the commands wharf has beyond docker's own tree.
func addWharfCommands(root *cobra.Command, dockerCLI command.Cli) {
	root.AddCommand(registryCommand(dockerCLI), composeCommand(dockerCLI), dashboardCommand(dockerCLI))
}

// registryCommand is `wharf registry`: an OCI registry of our own, run
// in-process (no daemon needed).
func registryCommand(dockerCLI command.Cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "registry",
		Short: "Run an image registry",
		Args:  cobra.NoArgs,
		RunE:  command.ShowHelp(dockerCLI.Err()),
	}
	var o registry.Options
	var debug bool
	serve := &cobra.Command{
		Use:   "serve [OPTIONS]",
		Short: "Serve an OCI distribution registry from a directory",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			level := slog.LevelInfo
			if debug {
				level = slog.LevelDebug
			}
			o.Log = slog.New(slog.NewTextHandler(dockerCLI.Err(), &slog.HandlerOptions{Level: level}))
			o.Ready = func(addr string) {
				fmt.Fprintf(dockerCLI.Err(), "registry listening on %s, storage %s\n", addr, o.Root)
			}
			return registry.Serve(cmd.Context(), o)
		},
	}
	f := serve.Flags()
	f.StringVar(&o.Addr, "addr", "127.0.0.1:5000", "Address to listen on")
	f.StringVar(&o.Root, "root", "/var/lib/wharf-registry", "Storage directory")
	f.StringVar(&o.Htpasswd, "htpasswd", "", "htpasswd file (bcrypt) for basic authentication")
	f.StringVar(&o.TLSCert, "tls-cert", "", "TLS certificate file")
	f.StringVar(&o.TLSKey, "tls-key", "", "TLS key file")
	f.BoolVar(&debug, "debug", false, "Log every request")

	var dryRun bool
	var gcRoot string
	gc := &cobra.Command{
		Use:   "garbage-collect [OPTIONS]",
		Short: "Remove blobs no manifest refers to (run while the registry is stopped)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := os.Stat(gcRoot); err != nil {
				return err
			}
			store, err := registry.NewStore(gcRoot)
			if err != nil {
				return err
			}
			res, err := store.GarbageCollect(cmd.Context(), dryRun)
			for _, d := range res.Blobs {
				fmt.Fprintln(dockerCLI.Out(), d)
			}
			verb := "Removed"
			if dryRun {
				verb = "Would remove"
			}
			fmt.Fprintf(dockerCLI.Out(), "%s %d blobs, %s\n", verb, len(res.Blobs), units.HumanSize(float64(res.Bytes)))
			return err
		},
	}
	gc.Flags().StringVar(&gcRoot, "root", "/var/lib/wharf-registry", "Storage directory")
	gc.Flags().BoolVar(&dryRun, "dry-run", false, "Only list what would be removed")
	cmd.AddCommand(serve, gc)
	return cmd
}

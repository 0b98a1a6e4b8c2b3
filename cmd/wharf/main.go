// Command wharf is the Wharf command-line client's entry point: a router
// that links nothing but package route, so that it starts as a bare Go
// program does (~1.5 MB, no package init of note), and runs in its own
// process's place (exec, same argv and environment) one of two binaries
// installed beside it:
//
//   - wharf-front (cmd/wharf-front), which answers `ps` and `inspect` of
//     containers itself with docker/cli's formatter and the moby client,
//     when the command line names them and the environment is one it
//     models (route.Command, route.Env); it runs wharf-cli in turn for
//     every case it does not model (cmd/wharf-front says exactly when);
//   - wharf-cli (cmd/wharf-cli), docker's whole command tree, for
//     everything else.
//
// `wharf --version` (or -v), alone, it answers itself.
//
// Why three binaries: Go runs the package initialisation of everything a
// binary links before main. docker/cli's command tree links swarmkit,
// protobuf descriptors, prometheus and hundreds more packages (~40 ms of
// CPU per command), and even the front's formatter and API client
// (otel, net/http, crypto) cost ~10 ms more than a bare Go start: in one
// binary with the front, every command handed to wharf-cli paid that
// first. The router costs every command about a bare Go start instead.
package main

import (
	"os"

	"github.com/wharf/wharf/cmd/wharf/route"
)

func main() {
	args := os.Args[1:]
	if len(args) == 1 && (args[0] == "--version" || args[0] == "-v") {
		os.Stdout.WriteString(route.VersionLine())
		return
	}
	if _, _, ok := route.Command(args); ok {
		if _, _, ok := route.Env(os.Environ()); ok {
			route.Exec(route.Front)
		}
	}
	route.Exec(route.FullCLI)
}

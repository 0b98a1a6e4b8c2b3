// Package route holds the wharf command's routing rule (see cmd/wharf):
// which command lines wharf-front may answer and which go straight to
// wharf-cli, the environment it models, and running either binary from
// beside the running one. It imports only os, strings, syscall and
// docker/cli's version variables, so that cmd/wharf, which links nothing
// else, starts as fast as a bare Go program.
package route

import (
	"os"
	"strings"
	"syscall"

	cliversion "github.com/docker/cli/cli/version"
)

// version is set at build time with -ldflags "-X
// github.com/wharf/wharf/cmd/wharf/route.version=..." (Makefile), to
// wharf-cli's version.
var version = "dev"

// FullCLI and Front are the file names of docker's full command tree
// (cmd/wharf-cli) and of the front that answers ps and inspect itself
// (cmd/wharf-front), both installed beside wharf.
const (
	FullCLI = "wharf-cli"
	Front   = "wharf-front"
)

// defaultHost is where wharfd listens unless told otherwise (wharf-cli's
// default too).
const defaultHost = "unix:///run/wharf/wharf.sock"

// VersionLine is what wharf-cli prints for --version.
func VersionLine() string {
	return "Wharf version " + version + ", build " + cliversion.GitCommit + "\n"
}

// Command returns which of the front's commands args names ("ps",
// "inspect" or "container inspect") and the arguments after its name.
func Command(args []string) (name string, rest []string, ok bool) {
	switch {
	case len(args) >= 1 && (args[0] == "ps" || args[0] == "inspect"):
		return args[0], args[1:], true
	case len(args) >= 2 && args[0] == "container":
		switch args[1] {
		case "ls", "ps", "list":
			return "ps", args[2:], true
		case "inspect":
			return "container inspect", args[2:], true
		}
	}
	return "", nil, false
}

// Env returns the daemon's address and the config directory from the
// environment, as wharf-cli resolves them, and reports false when the
// environment says more than the front models: a DOCKER_* variable other
// than DOCKER_HOST and DOCKER_CONFIG (a context, TLS, an API version,
// headers...), an OTEL_* variable, a daemon that is not a unix socket's
// absolute path, no home directory.
func Env(environ []string) (host, configDir string, ok bool) {
	vars := map[string]string{}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case k == "DOCKER_HOST" || k == "DOCKER_CONFIG":
		case strings.HasPrefix(k, "DOCKER_") || strings.HasPrefix(k, "OTEL_"):
			return "", "", false
		}
		vars[k] = v
	}
	// wharf-cli's choice: WHARF_HOST, else DOCKER_HOST, else wharfd's.
	host = vars["WHARF_HOST"]
	if host == "" {
		host = vars["DOCKER_HOST"]
	}
	if host == "" {
		host = defaultHost
	}
	if path, ok := strings.CutPrefix(host, "unix://"); !ok || !strings.HasPrefix(path, "/") || strings.TrimSpace(host) != host {
		return "", "", false
	}
	// docker/cli's config.Dir: DOCKER_CONFIG, else ~/.docker.
	configDir = vars["DOCKER_CONFIG"]
	if configDir == "" {
		if vars["HOME"] == "" {
			return "", "", false
		}
		configDir = vars["HOME"] + "/.docker"
	}
	return host, configDir, true
}

// Exec runs the binary name (FullCLI or Front), from the running binary's
// own directory, in this process's place with the same command line and
// environment. It returns only if that cannot be done, having said so, and
// exits 1.
func Exec(name string) {
	self, err := os.Executable()
	if err == nil {
		path := self[:strings.LastIndexByte(self, '/')+1] + name
		err = syscall.Exec(path, os.Args, os.Environ())
		if err != nil {
			err = &os.PathError{Op: "exec", Path: path, Err: err}
		}
	}
	what := "docker's command tree, " + name
	if name == Front {
		what = "wharf's front for ps and inspect, " + name
	}
	os.Stderr.WriteString("wharf: " + what + ", must be installed beside wharf (make build builds it, make install installs it): " + err.Error() + "\n")
	os.Exit(1)
}

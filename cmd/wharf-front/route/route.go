// Package route decides, before Go initialises the front's heavier
// packages, whether the wharf front answers this command line itself, and
// otherwise runs wharf-cli in its place (see cmd/wharf-front for why and
// the whole rule). It answers `--version` itself. The router, cmd/wharf,
// makes the same choice in C, to run wharf-cli without a Go start first.
//
// Go initialises a package as soon as its imports are, taking packages in
// import path order: this one imports only packages that every Go program
// initialises first (os, syscall, strings) and docker/cli's version
// variables, so its init runs before the formatter's, the API client's and
// their regular expressions'. `wharf --version` and every command the
// front passes on then cost about a bare Go program's start.
package route

import (
	"os"
	"strings"
	"syscall"

	cliversion "github.com/docker/cli/cli/version"
)

// version is set at build time with -ldflags "-X
// github.com/wharf/wharf/cmd/wharf-front/route.version=..." (Makefile), to
// wharf-cli's version.
var version = "dev"

// FullCLI is the file name of docker's full command tree (cmd/wharf-cli),
// installed beside the front.
const FullCLI = "wharf-cli"

// defaultHost is where wharfd listens unless told otherwise (wharf-cli's
// default too).
const defaultHost = "unix:///run/wharf/wharf.sock"

func init() {
	args := os.Args[1:]
	if len(args) > 0 && strings.HasPrefix(args[0], "-test.") {
		// A go test binary of this package or main's: the tests run.
		// (Were wharf given such a flag, main passes it on all the same.)
		return
	}
	if len(args) == 1 && (args[0] == "--version" || args[0] == "-v") {
		os.Stdout.WriteString(VersionLine())
		os.Exit(0)
	}
	if _, _, ok := Command(args); !ok {
		ExecFull()
	}
	if _, _, ok := Env(os.Environ()); !ok {
		ExecFull()
	}
}

// VersionLine is what wharf-cli prints for --version.
func VersionLine() string {
	return "Wharf version " + version + ", build " + cliversion.GitCommit + "\n"
}

// Command returns which of the front's commands args names ("ps",
// "inspect", "container inspect" or "exec") and the arguments after its
// name. cmd/wharf/wharf.c's front_command must choose the same.
func Command(args []string) (name string, rest []string, ok bool) {
	switch {
	case len(args) >= 1 && (args[0] == "ps" || args[0] == "inspect" || args[0] == "exec"):
		return args[0], args[1:], true
	case len(args) >= 2 && args[0] == "container":
		switch args[1] {
		case "ls", "ps", "list":
			return "ps", args[2:], true
		case "inspect":
			return "container inspect", args[2:], true
		case "exec":
			return "exec", args[2:], true
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

// ExecFull runs wharf-cli, from the front's own directory, in this
// process's place with the same command line and environment. It returns
// only if that cannot be done, having said so, and exits 1.
func ExecFull() {
	self, err := os.Executable()
	if err == nil {
		path := self[:strings.LastIndexByte(self, '/')+1] + FullCLI
		err = syscall.Exec(path, os.Args, os.Environ())
		if err != nil {
			err = &os.PathError{Op: "exec", Path: path, Err: err}
		}
	}
	os.Stderr.WriteString("wharf: docker's command tree, " + FullCLI + ", must be installed beside wharf (make build builds it, make install installs it): " + err.Error() + "\n")
	os.Exit(1)
}

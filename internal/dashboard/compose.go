package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"time"
)

// Compose up and down run docker compose itself, the CLI plugin `make
// build` puts beside wharfd (or the docker CLI's plugin), against the
// Engine API over the dashboard's private socket (apisocket.go): the
// result is by construction that of `docker compose up -d` and `docker
// compose down`, labels and convergence included. Logs per project need
// nothing here: the page follows each container's logs through /api/.
const (
	composeTimeout  = 30 * time.Minute // pulls and builds can be long
	maxComposeFile  = 1 << 20
	maxComposeRuns  = 4
	composeFileName = "compose.yaml"
)

// composeRequest is the body of POST /compose/up and /compose/down.
type composeRequest struct {
	Project string
	// File is the compose file's text (up only).
	File string
	// Dir is a directory on the daemon's host that relative paths in the
	// file (build contexts, bind mounts, env files) resolve against;
	// empty: a scratch directory holding only the file.
	Dir string
	// Volumes removes the project's named volumes too (down -v).
	Volumes bool
}

// projectName is compose's own rule for project names.
var projectName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

func (r composeRequest) check(up bool) error {
	if !projectName.MatchString(r.Project) {
		return fmt.Errorf("invalid project name %q: must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number", r.Project)
	}
	if up && r.File == "" {
		return errors.New("a compose file is required")
	}
	if r.Dir != "" {
		if !filepath.IsAbs(r.Dir) {
			return fmt.Errorf("project directory %q: must be an absolute path on the daemon's host", r.Dir)
		}
		if st, err := os.Stat(r.Dir); err != nil || !st.IsDir() {
			return fmt.Errorf("project directory %q: not a directory on the daemon's host", r.Dir)
		}
	}
	return nil
}

func (s *Server) composeUp(w http.ResponseWriter, r *http.Request)   { s.compose(w, r, true) }
func (s *Server) composeDown(w http.ResponseWriter, r *http.Request) { s.compose(w, r, false) }

// compose answers with compose's output as the Engine API streams a
// build: JSON lines {"stream": text}, and a last {"error": …,
// "errorDetail": {"message": …}} when compose fails.
func (s *Server) compose(w http.ResponseWriter, r *http.Request, up bool) {
	var req composeRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxComposeFile+4<<10)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "bad compose request: "+err.Error())
		return
	}
	if err := req.check(up); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	plugin, err := findCompose(r.Context(), s.composeDirs)
	if err != nil {
		writeError(w, http.StatusNotImplemented, err.Error())
		return
	}
	release, err := s.composeRuns.acquire(req.Project)
	if err != nil {
		writeError(w, http.StatusConflict, err.Error())
		return
	}
	defer release()
	host, err := s.apiSocket.path()
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	work, err := os.MkdirTemp("", "wharf-compose-")
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	defer os.RemoveAll(work)

	// Run standalone (as `docker-compose`, without the docker CLI's plugin
	// hand-over), so no "compose" word leads the arguments.
	args := []string{"--ansi", "never", "--progress", "plain", "--project-name", req.Project}
	if up {
		file := filepath.Join(work, composeFileName)
		if err := os.WriteFile(file, []byte(req.File), 0o600); err != nil {
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
		dir := req.Dir
		if dir == "" {
			dir = work
		}
		args = append(args, "--file", file, "--project-directory", dir, "up", "--detach")
	} else {
		// down needs no file: compose finds the project by its labels.
		args = append(args, "down")
		if req.Volumes {
			args = append(args, "--volumes")
		}
	}

	// A page closed half-way must not leave a half-made project: the run
	// outlives the request, bounded by its own timeout and the daemon.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), composeTimeout)
	defer cancel()
	stop := context.AfterFunc(s.ctx, cancel)
	defer stop()
	cmd := exec.CommandContext(ctx, plugin, args...)
	cmd.Dir = work
	cmd.Env = composeEnv(host)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	out := &streamWriter{w: w}
	cmd.Stdout, cmd.Stderr = out, out

	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if err := cmd.Run(); err != nil {
		msg := "docker compose: " + err.Error()
		if ctx.Err() != nil {
			msg = "docker compose: stopped: " + context.Cause(ctx).Error()
		}
		out.message(map[string]any{"error": msg, "errorDetail": map[string]string{"message": msg}})
	}
}

// composeEnv is what compose runs with: the daemon's PATH and HOME (the
// registry credentials in ~/.docker/config.json), the private socket,
// and none of the daemon's other variables (a COMPOSE_FILE or
// DOCKER_CONTEXT set for wharfd must not redirect the page's request).
func composeEnv(host string) []string {
	env := []string{"DOCKER_HOST=unix://" + host}
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "DOCKER_CONFIG"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// composePluginDirs are where the compose plugin is looked for, in order:
// beside wharfd (what `make build` makes), then the docker CLI's system
// plugin directories (where the package installs it). Never $PATH, and
// only a file that answers as a docker CLI plugin: Debian's
// /usr/bin/docker-compose, beside an installed wharfd, is compose 1.29,
// another program.
var composePluginDirs = []string{
	"/usr/local/lib/docker/cli-plugins",
	"/usr/local/libexec/docker/cli-plugins",
	"/usr/lib/docker/cli-plugins",
	"/usr/libexec/docker/cli-plugins",
}

func defaultComposeDirs() []string {
	var dirs []string
	if exe, err := os.Executable(); err == nil {
		dirs = append(dirs, filepath.Dir(exe))
	}
	return append(dirs, composePluginDirs...)
}

func findCompose(ctx context.Context, dirs []string) (string, error) {
	for _, dir := range dirs {
		p := filepath.Join(dir, "docker-compose")
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 && isCLIPlugin(ctx, p) {
			return p, nil
		}
	}
	return "", errors.New("docker compose is not installed: put the docker-compose CLI plugin beside wharfd or in /usr/local/lib/docker/cli-plugins")
}

// isCLIPlugin asks path for its docker CLI plugin metadata, as the docker
// CLI does before running a plugin.
func isCLIPlugin(ctx context.Context, path string) bool {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "docker-cli-plugin-metadata").Output()
	if err != nil {
		return false
	}
	var meta struct{ SchemaVersion string }
	return json.Unmarshal(out, &meta) == nil && meta.SchemaVersion != ""
}

// streamWriter sends what compose writes, as it comes, as JSON lines.
type streamWriter struct {
	w   http.ResponseWriter
	err error // the first write error: the page went away
}

func (s *streamWriter) Write(p []byte) (int, error) {
	s.message(map[string]string{"stream": string(p)})
	// Keep compose running when the page has gone: its output is lost,
	// its work is not.
	return len(p), nil
}

func (s *streamWriter) message(v any) {
	if s.err != nil {
		return
	}
	if s.err = json.NewEncoder(s.w).Encode(v); s.err == nil {
		s.err = http.NewResponseController(s.w).Flush()
	}
}

// composeRuns lets one compose run at a time touch a project, and at
// most maxComposeRuns run at once. Its lock guards busy and is held
// only to read or change it.
type composeRuns struct {
	mu   sync.Mutex
	busy map[string]bool
}

func (c *composeRuns) acquire(project string) (release func(), err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.busy[project] {
		return nil, fmt.Errorf("project %s: another compose up or down is running", project)
	}
	if len(c.busy) >= maxComposeRuns {
		return nil, fmt.Errorf("%d compose runs are already going: try again when one ends", maxComposeRuns)
	}
	if c.busy == nil {
		c.busy = map[string]bool{}
	}
	c.busy[project] = true
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		delete(c.busy, project)
	}, nil
}

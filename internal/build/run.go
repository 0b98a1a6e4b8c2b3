package build

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/jsonstream"

	wcontainer "github.com/wharf/wharf/internal/container"
	"github.com/wharf/wharf/internal/errs"
)

// runStep is RUN: the command runs in a container of the current image;
// its file system changes become the step's layer.
func (r *run) runStep(ctx context.Context, st *stageState, c *instructions.RunCommand) error {
	if len(c.FlagsUsed) > 0 {
		return errs.Invalid("the --%s option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled", c.FlagsUsed[0])
	}
	argv, script, err := runArgv(&st.cfg, c)
	if err != nil {
		return err
	}
	if len(argv) == 0 {
		return errs.Invalid("RUN requires at least one argument")
	}
	// Build args not overridden by ENV reach the command's environment
	// and, as in docker's history, its CREATED BY; predefined proxy args
	// reach only the environment.
	argEnv := declaredArgEnv(st)
	createdBy := strings.Join(argv, " ")
	if script != nil {
		// The command names the script; its text is what the step runs.
		createdBy += "\n" + script.data
	}
	if len(argEnv) > 0 {
		createdBy = fmt.Sprintf("|%d %s %s", len(argEnv), strings.Join(argEnv, " "), createdBy)
	}
	if st.imageID == "" {
		return exitError(argv, 127)
	}
	env := append(argEnv, proxyEnv(st, r.buildArgs)...)
	return r.commit(ctx, st, createdBy, func() (io.ReadCloser, error) {
		return r.execRun(ctx, st, argv, env, script)
	})
}

// scriptDir is where a RUN heredoc with a shebang is mounted, as buildkit
// does.
const scriptDir = "/dev/pipes"

// inlineScript is a RUN heredoc that starts with a shebang: it runs as an
// executable file rather than as the shell's input.
type inlineScript struct {
	name, data string
}

// runArgv is RUN's command line as buildkit's Dockerfile frontend makes
// it. A RUN whose only argument is one heredoc runs the heredoc's text as
// the shell command (or, starting with "#!", as a script file); any other
// heredoc use goes to the shell as written, heredocs and all, for it to
// handle.
func runArgv(cfg *dockerspec.DockerOCIImageConfig, c *instructions.RunCommand) ([]string, *inlineScript, error) {
	line := c.ShellDependantCmdLine
	var script *inlineScript
	if len(line.Files) > 0 {
		if len(line.CmdLine) != 1 || !line.PrependShell {
			return nil, nil, errs.Invalid("parsing produced an invalid run command: %v", line.CmdLine)
		}
		args := line.CmdLine
		if parser.MustParseHeredoc(args[0]) != nil {
			f := line.Files[0]
			data := f.Data
			if f.Chomp {
				data = parser.ChompHeredocContent(data)
			}
			if strings.HasPrefix(data, "#!") {
				// The name becomes a file's: it must stay one.
				if f.Name == "" || f.Name == "." || f.Name == ".." || strings.ContainsAny(f.Name, "/\\") {
					return nil, nil, errs.Invalid("RUN: invalid heredoc name %q", f.Name)
				}
				script = &inlineScript{name: f.Name, data: data}
				args = []string{path.Join(scriptDir, f.Name)}
			} else {
				args = []string{data}
			}
		} else {
			var b strings.Builder
			b.WriteString(args[0])
			for _, f := range line.Files {
				b.WriteByte('\n')
				b.WriteString(f.Data)
				b.WriteString(f.Name)
			}
			args = []string{b.String()}
		}
		line.CmdLine = args
	}
	return cmdLine(cfg, line), script, nil
}

// declaredArgEnv is the stage's ARGs that ENV does not override, sorted,
// as RUN's environment and history record them.
func declaredArgEnv(st *stageState) []string {
	var env []string
	for _, k := range st.argKeys {
		if !hasEnv(st.cfg.Env, k) {
			env = append(env, k+"="+st.args[k])
		}
	}
	sort.Strings(env)
	return env
}

// proxyEnv is the predefined proxy args given as build args that the
// stage neither declares with ARG nor sets with ENV, sorted: docker passes
// them to RUN without an ARG but keeps them out of the history and cache.
func proxyEnv(st *stageState, buildArgs map[string]*string) []string {
	var env []string
	for k, v := range buildArgs {
		if v == nil || !isProxyArg(k) || hasEnv(st.cfg.Env, k) {
			continue
		}
		if _, declared := st.args[k]; declared {
			continue
		}
		env = append(env, k+"="+*v)
	}
	sort.Strings(env)
	return env
}

// execRun runs argv in a container of st's image, writes its output, and
// returns the container's changes as a tar; the container is removed
// when the tar is closed (or at once on failure).
func (r *run) execRun(ctx context.Context, st *stageState, argv, argEnv []string, script *inlineScript) (io.ReadCloser, error) {
	cs := r.b.containers
	cfg := &container.Config{
		Image:      st.imageID,
		Entrypoint: argv,
		Env:        append(append([]string(nil), st.cfg.Env...), argEnv...),
		WorkingDir: st.cfg.WorkingDir,
		User:       st.cfg.User,
		// A step's container outlives no build: the daemon's next start
		// removes one a crash left.
		Labels: map[string]string{wcontainer.BuildStepLabel: ""},
	}
	hc := &container.HostConfig{NetworkMode: container.NetworkMode(r.opts.NetworkMode), ExtraHosts: r.opts.ExtraHosts}
	cleanup := func() {}
	if script != nil {
		dir, err := os.MkdirTemp(r.b.tmp, "script-")
		if err != nil {
			return nil, err
		}
		cleanup = func() { os.RemoveAll(dir) }
		if err := os.WriteFile(filepath.Join(dir, script.name), []byte(script.data), 0o755); err != nil {
			cleanup()
			return nil, err
		}
		hc.Binds = []string{dir + ":" + scriptDir + ":ro"}
	}
	resp, err := cs.Create(ctx, wcontainer.CreateOptions{Config: cfg, HostConfig: hc})
	if err != nil {
		cleanup()
		return nil, err
	}
	id := resp.ID
	remove := func() {
		if err := cs.Remove(context.WithoutCancel(ctx), id, wcontainer.RemoveOptions{Force: true}); err != nil {
			r.b.log.Warn("build: removing RUN container", "id", id, "err", err)
		}
		cleanup()
	}
	fmt.Fprintf(r.out, " ---> Running in %s\n", shortID(id))
	code, err := r.startAndWait(ctx, id)
	if err != nil {
		remove()
		return nil, err
	}
	if code != 0 {
		remove()
		return nil, exitError(argv, int(code))
	}
	layer, err := cs.LayerTar(ctx, id)
	if err != nil {
		remove()
		return nil, err
	}
	r.removingNote(id)
	return &closeFunc{ReadCloser: layer, after: remove}, nil
}

// removingNote tells of an intermediate container's removal when the
// client asked for it (rm, the API's default, or forcerm), as dockerd.
// Departure: with rm=0 (python3-docker's default) dockerd keeps the
// containers of successful steps; wharf removes them all the same, since
// their layers are committed and kept ones pile up unseen.
func (r *run) removingNote(id string) {
	if r.opts.Remove || r.opts.ForceRemove {
		fmt.Fprintf(r.out, "Removing intermediate container %s\n", shortID(id))
	}
}

// startAndWait starts container id, streams its output and returns its
// exit code.
func (r *run) startAndWait(ctx context.Context, id string) (int64, error) {
	cs := r.b.containers
	waitc, err := cs.Wait(ctx, id, container.WaitConditionNextExit)
	if err != nil {
		return 0, err
	}
	// The step's output comes from the container's stdio, not its log:
	// on a full data root the log is lost, and with it why the step
	// failed.
	follow, err := cs.AttachBeforeStart(id)
	if err != nil {
		return 0, err
	}
	outCtx, stopOutput := context.WithCancel(ctx)
	defer stopOutput()
	outputDone := make(chan struct{})
	go func() {
		defer close(outputDone)
		_ = follow(outCtx, wcontainer.AttachOptions{Stdout: r.out, Stderr: stderrWriter{r.out}, Stream: true})
	}()
	if err := cs.Start(ctx, id); err != nil {
		stopOutput()
		<-outputDone
		return 0, err
	}
	var res wcontainer.WaitResult
	select {
	case res = <-waitc:
	case <-ctx.Done():
		stopOutput()
		<-outputDone
		return 0, ctx.Err()
	}
	<-outputDone
	if res.Err != nil {
		return 0, res.Err
	}
	return res.StatusCode, nil
}

// exitError is a RUN whose command failed, in docker's words and with
// its exit code, which the API's stream reports as the error's code.
func exitError(argv []string, code int) error {
	return errs.Wrap(errdefs.ErrInvalidArgument, &jsonstream.Error{
		Code:    code,
		Message: fmt.Sprintf("The command '%s' returned a non-zero code: %d", strings.Join(argv, " "), code),
	})
}

// stderrWriter is a RUN's stderr: dockerd sends it in the same "stream"
// messages as stdout, in red (its streamformatter.NewStderrWriter).
type stderrWriter struct{ w io.Writer }

func (s stderrWriter) Write(p []byte) (int, error) {
	if _, err := s.w.Write([]byte("\033[91m" + string(p) + "\033[0m")); err != nil {
		return 0, err
	}
	return len(p), nil
}

func hasEnv(env []string, k string) bool {
	for _, kv := range env {
		if ek, _, _ := strings.Cut(kv, "="); ek == k {
			return true
		}
	}
	return false
}

// closeFunc runs after once the ReadCloser is closed.
type closeFunc struct {
	io.ReadCloser
	after func()
}

func (c *closeFunc) Close() error {
	err := c.ReadCloser.Close()
	c.after()
	return err
}

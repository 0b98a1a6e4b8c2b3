package build

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"

	"github.com/wharf/wharf/internal/errs"
)

// run is one build in progress.
type run struct {
	b         *Builder
	opts      Options
	out       io.Writer
	index     *contextIndex // the build context
	buildArgs map[string]*string
	metaArgs  []instructions.ArgCommand
	stages    []instructions.Stage
	built     map[int]*stageState
	step      int
	steps     int
}

// stageState is a stage's image so far: its ID ("" for scratch) and
// configuration, plus the ARGs declared in it.
type stageState struct {
	imageID string
	cfg     dockerspec.DockerOCIImageConfig
	args    map[string]string
	argKeys []string
}

// env is what variables expand against: the stage's ARGs overridden by its ENV.
func (st *stageState) env() []string {
	var env []string
	for _, k := range st.argKeys {
		env = append(env, k+"="+st.args[k])
	}
	return append(env, st.cfg.Env...)
}

// buildAll builds the target stage and the stages it needs, in order,
// and returns the target's image ID.
func (r *run) buildAll(ctx context.Context) (string, error) {
	target := len(r.stages) - 1
	if r.opts.Target != "" {
		target = r.stageIndex(r.opts.Target, len(r.stages))
		if target < 0 {
			return "", errs.Invalid("failed to reach build target %s in Dockerfile", r.opts.Target)
		}
	}
	need := map[int]bool{}
	r.markNeeded(target, need)
	for i := range r.stages {
		if need[i] {
			r.steps += 1 + len(r.stages[i].Commands)
		}
	}
	for i := 0; i <= target; i++ {
		if !need[i] {
			continue
		}
		if err := r.buildStage(ctx, i); err != nil {
			return "", err
		}
	}
	st := r.built[target]
	if st.imageID == "" {
		return "", errs.Invalid("No image was generated. Is your Dockerfile empty?")
	}
	return st.imageID, nil
}

// stageIndex finds a stage by name or number among the first n stages.
func (r *run) stageIndex(name string, n int) int {
	for i := 0; i < n; i++ {
		if strings.EqualFold(r.stages[i].Name, name) {
			return i
		}
	}
	if i, err := strconv.Atoi(name); err == nil && i >= 0 && i < n {
		return i
	}
	return -1
}

// markNeeded marks stage i and the earlier stages it builds on or copies from.
func (r *run) markNeeded(i int, need map[int]bool) {
	if need[i] {
		return
	}
	need[i] = true
	if j := r.stageIndex(r.baseName(i), i); j >= 0 {
		r.markNeeded(j, need)
	}
	for _, c := range r.stages[i].Commands {
		if cp, ok := c.(*instructions.CopyCommand); ok && cp.From != "" {
			if j := r.stageIndex(cp.From, i); j >= 0 {
				r.markNeeded(j, need)
			}
		}
	}
}

// metaEnv is the ARGs before the first FROM, with build args applied.
func (r *run) metaEnv() []string {
	var env []string
	lex := shell.NewLex('\\')
	for _, a := range r.metaArgs {
		for _, kv := range a.Args {
			v := ""
			if kv.Value != nil {
				v, _, _ = lex.ProcessWord(*kv.Value, shell.EnvsFromSlice(env))
			}
			if bv, ok := r.buildArgs[kv.Key]; ok && bv != nil {
				v = *bv
			}
			env = append(env, kv.Key+"="+v)
		}
	}
	return env
}

func (r *run) baseName(i int) string {
	name, _, err := shell.NewLex('\\').ProcessWord(r.stages[i].BaseName, shell.EnvsFromSlice(r.metaEnv()))
	if err != nil {
		return r.stages[i].BaseName
	}
	return name
}

func (r *run) printStep(text string) {
	r.step++
	fmt.Fprintf(r.out, "Step %d/%d : %s\n", r.step, r.steps, text)
}

func (r *run) buildStage(ctx context.Context, i int) error {
	s := r.stages[i]
	r.printStep(s.SourceCode)
	st := &stageState{args: map[string]string{}}
	base := r.baseName(i)
	switch j := r.stageIndex(base, i); {
	case j >= 0:
		st.imageID, st.cfg = r.built[j].imageID, cloneConfig(r.built[j].cfg)
	case base == "scratch":
	default:
		img, err := r.b.images.Get(ctx, base)
		if err != nil {
			return err
		}
		st.imageID, st.cfg = img.ID, cloneConfig(img.Config.Config)
	}
	fmt.Fprintf(r.out, " ---> %s\n", shortID(st.imageID))
	for _, c := range s.Commands {
		if err := ctx.Err(); err != nil {
			return err
		}
		r.printStep(c.(fmt.Stringer).String())
		if err := r.dispatch(ctx, st, c); err != nil {
			return err
		}
	}
	if len(r.opts.Labels) > 0 && i == r.lastNeeded() {
		if err := r.commitLabels(ctx, st); err != nil {
			return err
		}
	}
	r.built[i] = st
	return nil
}

func (r *run) lastNeeded() int {
	if r.opts.Target != "" {
		return r.stageIndex(r.opts.Target, len(r.stages))
	}
	return len(r.stages) - 1
}

// commitLabels applies --label to the final image as one more step.
func (r *run) commitLabels(ctx context.Context, st *stageState) error {
	keys := slices.Sorted(maps.Keys(r.opts.Labels))
	var parts []string
	for _, k := range keys {
		if st.cfg.Labels == nil {
			st.cfg.Labels = map[string]string{}
		}
		st.cfg.Labels[k] = r.opts.Labels[k]
		parts = append(parts, strconv.Quote(k)+"="+strconv.Quote(r.opts.Labels[k]))
	}
	return r.commitConfig(ctx, st, "LABEL "+strings.Join(parts, " "))
}

// expand expands the variables in c's words against st's ARGs and ENV.
func expand(st *stageState, c instructions.Command) error {
	ex, ok := c.(instructions.SupportsSingleWordExpansion)
	if !ok {
		return nil
	}
	lex := shell.NewLex('\\')
	env := shell.EnvsFromSlice(st.env())
	return ex.Expand(func(word string) (string, error) {
		out, _, err := lex.ProcessWord(word, env)
		return out, err
	})
}

// dispatch runs one instruction of a stage.
func (r *run) dispatch(ctx context.Context, st *stageState, c instructions.Command) error {
	if err := expand(st, c); err != nil {
		return errs.Invalid("%v", err)
	}
	switch c := c.(type) {
	case *instructions.RunCommand:
		return r.runStep(ctx, st, c)
	case *instructions.CopyCommand:
		return r.copyStep(ctx, st, copySpec{sources: c.SourcePaths, dest: c.DestPath, from: c.From, chown: c.Chown, chmod: c.Chmod})
	case *instructions.AddCommand:
		return r.copyStep(ctx, st, copySpec{sources: c.SourcePaths, dest: c.DestPath, chown: c.Chown, chmod: c.Chmod, checksum: c.Checksum, add: true})
	case *instructions.ArgCommand:
		for _, kv := range c.Args {
			v := ""
			if kv.Value != nil {
				v = *kv.Value
			}
			// ARG NAME without a default takes the global ARG's value.
			for _, m := range r.metaEnv() {
				if k, mv, _ := strings.Cut(m, "="); k == kv.Key && kv.Value == nil {
					v = mv
				}
			}
			if bv, set := r.buildArgs[kv.Key]; set && bv != nil {
				v = *bv
			}
			if _, seen := st.args[kv.Key]; !seen {
				st.argKeys = append(st.argKeys, kv.Key)
			}
			st.args[kv.Key] = v
		}
		return r.commitConfig(ctx, st, "ARG "+argText(c))
	}
	text, err := applyConfig(&st.cfg, c)
	if err != nil {
		return err
	}
	if text == "" {
		return errs.Invalid("Unknown instruction: %s", strings.ToUpper(c.Name()))
	}
	return r.commitConfig(ctx, st, text)
}

func argText(c *instructions.ArgCommand) string {
	var parts []string
	for _, kv := range c.Args {
		parts = append(parts, kv.String())
	}
	return strings.Join(parts, " ")
}

// applyConfig applies a metadata instruction to cfg and returns the
// instruction text its history entry and cache key use ("" if c is not
// a metadata instruction).
func applyConfig(cfg *dockerspec.DockerOCIImageConfig, c instructions.Command) (string, error) {
	switch c := c.(type) {
	case *instructions.EnvCommand:
		var parts []string
		for _, kv := range c.Env {
			cfg.Env = setEnv(cfg.Env, kv.Key, kv.Value)
			parts = append(parts, kv.Key+"="+kv.Value)
		}
		return "ENV " + strings.Join(parts, " "), nil
	case *instructions.LabelCommand:
		if cfg.Labels == nil {
			cfg.Labels = map[string]string{}
		}
		var parts []string
		for _, kv := range c.Labels {
			cfg.Labels[kv.Key] = kv.Value
			parts = append(parts, kv.Key+"="+kv.Value)
		}
		return "LABEL " + strings.Join(parts, " "), nil
	case *instructions.WorkdirCommand:
		wd := c.Path
		if !path.IsAbs(wd) {
			wd = path.Join("/", cfg.WorkingDir, wd)
		}
		cfg.WorkingDir = path.Clean(wd)
		return "WORKDIR " + cfg.WorkingDir, nil
	case *instructions.UserCommand:
		cfg.User = c.User
		return "USER " + c.User, nil
	case *instructions.CmdCommand:
		cfg.Cmd = cmdLine(cfg, c.ShellDependantCmdLine)
		return fmt.Sprintf("CMD %q", cfg.Cmd), nil
	case *instructions.EntrypointCommand:
		cfg.Entrypoint = cmdLine(cfg, c.ShellDependantCmdLine)
		return fmt.Sprintf("ENTRYPOINT %q", cfg.Entrypoint), nil
	case *instructions.ExposeCommand:
		if cfg.ExposedPorts == nil {
			cfg.ExposedPorts = map[string]struct{}{}
		}
		var ports []string
		for _, p := range c.Ports {
			if !strings.Contains(p, "/") {
				p += "/tcp"
			}
			cfg.ExposedPorts[p] = struct{}{}
			ports = append(ports, p)
		}
		sort.Strings(ports)
		return "EXPOSE " + strings.Join(ports, " "), nil
	case *instructions.VolumeCommand:
		if cfg.Volumes == nil {
			cfg.Volumes = map[string]struct{}{}
		}
		for _, v := range c.Volumes {
			if strings.TrimSpace(v) == "" {
				return "", errs.Invalid("VOLUME specified can not be an empty string")
			}
			cfg.Volumes[v] = struct{}{}
		}
		return fmt.Sprintf("VOLUME %q", c.Volumes), nil
	case *instructions.StopSignalCommand:
		cfg.StopSignal = c.Signal
		return "STOPSIGNAL " + c.Signal, nil
	case *instructions.HealthCheckCommand:
		cfg.Healthcheck = c.Health
		return fmt.Sprintf("HEALTHCHECK %q", c.Health.Test), nil
	case *instructions.ShellCommand:
		cfg.Shell = slices.Clone(c.Shell)
		return fmt.Sprintf("SHELL %q", c.Shell), nil
	case *instructions.OnbuildCommand:
		cfg.OnBuild = append(cfg.OnBuild, c.Expression)
		return "ONBUILD " + c.Expression, nil
	case *instructions.MaintainerCommand:
		return "MAINTAINER " + c.Maintainer, nil
	}
	return "", nil
}

// shellOf is the stage's SHELL, /bin/sh -c by default.
func shellOf(cfg *dockerspec.DockerOCIImageConfig) []string {
	if len(cfg.Shell) > 0 {
		return slices.Clone(cfg.Shell)
	}
	return []string{"/bin/sh", "-c"}
}

// cmdLine is the argv of a shell-or-exec form instruction.
func cmdLine(cfg *dockerspec.DockerOCIImageConfig, c instructions.ShellDependantCmdLine) []string {
	if c.PrependShell {
		return append(shellOf(cfg), strings.Join(c.CmdLine, " "))
	}
	return slices.Clone(c.CmdLine)
}

func setEnv(env []string, k, v string) []string {
	for i, kv := range env {
		if ek, _, _ := strings.Cut(kv, "="); ek == k {
			env = slices.Clone(env)
			env[i] = k + "=" + v
			return env
		}
	}
	return append(slices.Clone(env), k+"="+v)
}

func cloneConfig(c dockerspec.DockerOCIImageConfig) dockerspec.DockerOCIImageConfig {
	c.Env = slices.Clone(c.Env)
	c.Cmd = slices.Clone(c.Cmd)
	c.Entrypoint = slices.Clone(c.Entrypoint)
	c.Shell = slices.Clone(c.Shell)
	c.OnBuild = slices.Clone(c.OnBuild)
	c.Labels = maps.Clone(c.Labels)
	c.ExposedPorts = maps.Clone(c.ExposedPorts)
	c.Volumes = maps.Clone(c.Volumes)
	return c
}

// commitConfig makes (or finds in the cache) the image of a
// metadata-only step: st's configuration, no new layer.
func (r *run) commitConfig(ctx context.Context, st *stageState, text string) error {
	createdBy := "/bin/sh -c #(nop) " + text
	return r.commit(ctx, st, createdBy, nil)
}

// commit finishes a step: a cache hit, or a new image from st's parent
// with layer (nil for none) made by mk.
func (r *run) commit(ctx context.Context, st *stageState, createdBy string, mk func() (io.ReadCloser, error)) error {
	key := cacheKey(st.imageID, createdBy+"\x00"+configKey(st))
	if !r.opts.NoCache {
		if id, ok := r.b.cache.get(key); ok {
			if _, err := r.b.images.Get(ctx, id); err == nil {
				fmt.Fprintf(r.out, " ---> Using cache\n ---> %s\n", shortID(id))
				st.imageID = id
				return nil
			}
		}
	}
	var layer io.Reader
	if mk != nil {
		rc, err := mk()
		if err != nil {
			return err
		}
		defer rc.Close()
		layer = rc
	}
	id, err := r.b.images.Derive(ctx, st.imageID, layer, st.cfg, createdBy)
	if err != nil {
		return err
	}
	if err := r.b.cache.put(key, id); err != nil {
		r.b.log.Warn("build cache", "err", err)
	}
	fmt.Fprintf(r.out, " ---> %s\n", shortID(id))
	st.imageID = id
	return nil
}

// configKey is the part of a step's result that comes from its config,
// so that a cached image always carries the configuration asked for.
func configKey(st *stageState) string {
	b, _ := json.Marshal(st.cfg)
	return string(b)
}

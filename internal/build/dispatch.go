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
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"

	"github.com/wharf/wharf/internal/errs"
)

// run is one build in progress. Stages build concurrently, each with its
// own shallow copy of run (out and step are per stage; the rest is shared
// and read-only once the stages start, save what the pointers guard).
type run struct {
	b         *Builder
	opts      Options
	out       io.Writer
	index     *contextIndex // the build context
	buildArgs map[string]*string
	metaArgs  []instructions.ArgCommand
	meta      []string // metaArgs' values, once resolveMetaArgs has run
	stages    []instructions.Stage
	escape    rune
	// built has an entry for every needed stage before any starts; a
	// stage writes only its own entry, and the stages using it wait
	// for it to finish first.
	built  map[int]*stageState
	stage  int // the stage this copy of run builds
	step   int // this stage's last step number
	steps  int
	args   *declaredArgs
	pulls  *pulls
	ledger *buildLedger
	// cacheFrom are the --cache-from images, shared by every stage.
	cacheFrom *cacheSources
}

// stageState is a stage's image so far: its ID ("" for scratch) and
// configuration, plus the ARGs declared in it.
type stageState struct {
	imageID string
	cfg     dockerspec.DockerOCIImageConfig
	// historySize is about what the image's history adds to its config
	// (see maxConfigSize).
	historySize int
	args        map[string]string
	argKeys     []string
	done        chan struct{} // closed once the stage is built
}

// env is what variables expand against: the stage's ARGs overridden by its ENV.
func (st *stageState) env() []string {
	var env []string
	for _, k := range st.argKeys {
		env = append(env, k+"="+st.args[k])
	}
	return append(env, st.cfg.Env...)
}

// declaredArgs are the ARG names the build declared so far, for docker's
// warning about build args nothing used.
type declaredArgs struct {
	mu    sync.Mutex
	names map[string]bool
}

func (d *declaredArgs) add(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.names == nil {
		d.names = map[string]bool{}
	}
	d.names[name] = true
}

// unused are the build args given but neither declared nor predefined.
func (d *declaredArgs) unused(buildArgs map[string]*string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for k := range buildArgs {
		if !d.names[k] && !isProxyArg(k) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// isProxyArg reports whether k is one of docker's predefined build args:
// usable without an ARG and, unless an ARG declares them, left out of the
// history and cache key, so that a proxy setting does not change the image.
func isProxyArg(k string) bool {
	switch k {
	case "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
		"NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy":
		return true
	}
	return false
}

// maxParallelStages bounds how many independent stages build at once.
const maxParallelStages = 4

// stagePlan is the order and dependencies of the stages a target needs.
type stagePlan struct {
	order []int         // the needed stages, in Dockerfile order
	deps  map[int][]int // the stages each needed stage builds on or copies from
	first map[int]int   // each needed stage's first step number
	steps int
}

// plan works out which stages target needs and how they depend on each
// other; steps are numbered as if the stages ran one after the other.
func (r *run) plan(target int) stagePlan {
	need := map[int]bool{}
	r.markNeeded(target, need)
	p := stagePlan{deps: map[int][]int{}, first: map[int]int{}}
	for i := 0; i <= target; i++ {
		if !need[i] {
			continue
		}
		p.order = append(p.order, i)
		p.first[i] = p.steps + 1
		p.steps += 1 + len(r.stages[i].Commands)
		p.deps[i] = r.stageDeps(i)
	}
	return p
}

// stageDeps are the earlier stages stage i builds on or copies from.
func (r *run) stageDeps(i int) []int {
	var deps []int
	if j := r.stageIndex(r.baseName(i), i); j >= 0 {
		deps = append(deps, j)
	}
	for _, c := range r.stages[i].Commands {
		if cp, ok := c.(*instructions.CopyCommand); ok && cp.From != "" {
			if j := r.stageIndex(cp.From, i); j >= 0 && !slices.Contains(deps, j) {
				deps = append(deps, j)
			}
		}
	}
	sort.Ints(deps)
	return deps
}

// buildAll builds the target stage and the stages it needs, independent
// ones concurrently, and returns the target's image ID. The output reads
// as if the stages had run one after the other: the earliest unfinished
// stage streams, the others are held back until it is done.
func (r *run) buildAll(ctx context.Context) (string, error) {
	target := len(r.stages) - 1
	if r.opts.Target != "" {
		target = r.stageIndex(r.opts.Target, len(r.stages))
		if target < 0 {
			return "", errs.Invalid("failed to reach build target %s in Dockerfile", r.opts.Target)
		}
	}
	if err := r.resolveMetaArgs(); err != nil {
		return "", err
	}
	if r.args == nil {
		r.args = &declaredArgs{}
	}
	for _, a := range r.metaArgs {
		for _, kv := range a.Args {
			r.args.add(kv.Key)
		}
	}
	if r.pulls == nil {
		r.pulls = &pulls{}
	}
	p := r.plan(target)
	r.steps = p.steps
	for _, i := range p.order {
		r.built[i] = &stageState{args: map[string]string{}, done: make(chan struct{})}
	}
	seq := newOrderedOutput(r.out, len(p.order))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(maxParallelStages)
	// Stages start in order and depend only on earlier ones, so a stage
	// waiting for its dependencies never holds up one of them.
	for pos, i := range p.order {
		g.Go(func() error {
			for _, d := range p.deps[i] {
				if err := r.waitStage(gctx, d); err != nil {
					seq.finish(pos, false)
					return err
				}
			}
			sr := *r
			sr.out = seq.writer(pos)
			sr.step = p.first[i] - 1
			sr.stage = i
			err := sr.buildStage(gctx, i)
			seq.finish(pos, err != nil)
			if err != nil {
				return err
			}
			close(r.built[i].done)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return "", err
	}
	if unused := r.args.unused(r.buildArgs); len(unused) > 0 {
		fmt.Fprintf(r.out, "[Warning] One or more build-args %v were not consumed\n", unused)
	}
	st := r.built[target]
	if st.imageID == "" {
		return "", errs.Invalid("No image was generated. Is your Dockerfile empty?")
	}
	return st.imageID, nil
}

// waitStage waits until stage j is built.
func (r *run) waitStage(ctx context.Context, j int) error {
	select {
	case <-r.built[j].done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stageIndex finds a stage by name or number among the first n stages.
func (r *run) stageIndex(name string, n int) int {
	if name == "" {
		return -1 // not the stages without a name
	}
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
	for _, j := range r.stageDeps(i) {
		r.markNeeded(j, need)
	}
}

func (r *run) lex() *shell.Lex {
	if r.escape == 0 {
		return shell.NewLex('\\')
	}
	return shell.NewLex(r.escape)
}

// resolveMetaArgs works out the ARGs before the first FROM, with build
// args applied, once for the whole build.
func (r *run) resolveMetaArgs() error {
	var env []string
	for _, a := range r.metaArgs {
		for _, kv := range a.Args {
			v := ""
			if kv.Value != nil {
				var err error
				if v, err = newWordExpander(r.lex(), env, maxWordSize).expand(*kv.Value); err != nil {
					return errs.Invalid("%v", err)
				}
			}
			if bv, ok := r.buildArgs[kv.Key]; ok && bv != nil {
				v = *bv
			}
			env = append(env, kv.Key+"="+v)
		}
	}
	r.meta = env
	return nil
}

// metaEnv is the ARGs before the first FROM, with build args applied.
func (r *run) metaEnv() []string { return r.meta }

func (r *run) baseName(i int) string {
	name, err := newWordExpander(r.lex(), r.metaEnv(), maxWordSize).expand(r.stages[i].BaseName)
	if err != nil {
		return r.stages[i].BaseName
	}
	return name
}

func (r *run) printStep(text string) {
	r.step++
	// Two writes, so two messages: dockerd's printCommand (a client sees
	// {"stream":"Step 1/3 : FROM x"} and then {"stream":"\n"}).
	fmt.Fprintf(r.out, "Step %d/%d : %s", r.step, r.steps, text)
	fmt.Fprintln(r.out)
}

func (r *run) buildStage(ctx context.Context, i int) error {
	s := r.stages[i]
	r.printStep(s.SourceCode)
	st := r.built[i]
	base := r.baseName(i)
	switch j := r.stageIndex(base, i); {
	case j >= 0:
		st.imageID, st.cfg, st.historySize = r.built[j].imageID, cloneConfig(r.built[j].cfg), r.built[j].historySize
	case base == "scratch":
	case base == "":
		return errs.Invalid("base name (%s) should not be blank", s.BaseName)
	default:
		img, err := r.baseImage(ctx, base)
		if err != nil {
			return err
		}
		st.imageID, st.cfg = img.ID, cloneConfig(img.Config.Config)
		history, _ := json.Marshal(img.Config.History)
		st.historySize = len(history)
	}
	fmt.Fprintf(r.out, " ---> %s\n", shortID(st.imageID))
	if err := r.runTriggers(ctx, st); err != nil {
		return err
	}
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

// expand expands the variables in c's words against st's ARGs and ENV
// (and the predefined proxy args given), with the Dockerfile's escape
// character.
func (r *run) expand(st *stageState, c instructions.Command) error {
	ex, ok := c.(instructions.SupportsSingleWordExpansion)
	if !ok {
		return nil
	}
	vars := append(proxyEnv(st, r.buildArgs), st.env()...)
	return ex.Expand(newWordExpander(r.lex(), vars, maxWordSize).expand)
}

// dispatch runs one instruction of a stage.
func (r *run) dispatch(ctx context.Context, st *stageState, c instructions.Command) error {
	if err := r.expand(st, c); err != nil {
		return errs.Invalid("%v", err)
	}
	switch c := c.(type) {
	case *instructions.RunCommand:
		return r.runStep(ctx, st, c)
	case *instructions.CopyCommand:
		if err := r.waitCopySource(ctx, c.From); err != nil {
			return err
		}
		if len(c.SourceContents) > 0 {
			return r.copyInline(ctx, st, c)
		}
		return r.copyStep(ctx, st, copySpec{sources: c.SourcePaths, dest: c.DestPath, from: c.From, chown: c.Chown, chmod: c.Chmod})
	case *instructions.AddCommand:
		if len(c.SourceContents) > 0 {
			return errs.Invalid("ADD with heredocs is not supported by this builder")
		}
		return r.copyStep(ctx, st, copySpec{sources: c.SourcePaths, dest: c.DestPath, chown: c.Chown, chmod: c.Chmod, checksum: c.Checksum, add: true})
	case *instructions.WorkdirCommand:
		text, err := applyConfig(&st.cfg, c)
		if err != nil {
			return err
		}
		return r.workdirStep(ctx, st, text)
	case *instructions.ArgCommand:
		for _, kv := range c.Args {
			r.args.add(kv.Key)
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

// waitCopySource waits for the stage COPY --from names, if it is one.
// The plan has the stages a stage's own COPYs name built first, but an
// ONBUILD trigger's COPY is known only now.
func (r *run) waitCopySource(ctx context.Context, from string) error {
	if from == "" {
		return nil
	}
	j := r.stageIndex(from, len(r.stages))
	if j < 0 {
		return nil
	}
	if j >= r.stage {
		return errs.Invalid("COPY --from=%s: a stage can only copy from an earlier stage", from)
	}
	if _, needed := r.built[j]; !needed {
		return errs.Invalid("COPY --from=%s: stage %s is not built for this target", from, from)
	}
	return r.waitStage(ctx, j)
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
// with the layer (nil for none) mk makes; mk is not called on a hit.
func (r *run) commit(ctx context.Context, st *stageState, createdBy string, mk func() (io.ReadCloser, error)) error {
	cfgJSON := configKey(st)
	// The step's history entry: its text, a time stamp, the JSON keys
	// and the layer's diff ID take about historyEntrySize more.
	historySize := st.historySize + len(createdBy) + historyEntrySize
	if len(cfgJSON)+historySize > maxConfigSize {
		return tooLarge("image config", maxConfigSize)
	}
	key := cacheKey(st.imageID, createdBy+"\x00"+cfgJSON)
	if !r.opts.NoCache {
		hit := ""
		if id, ok := r.b.cache.get(key); ok && r.b.held.hold(id) {
			r.ledger.add(id, false)
			if img, err := r.b.images.Get(ctx, id); err == nil && r.cacheFrom.allows(ctx, r.b.images, img) {
				hit = id
			}
		}
		if hit == "" {
			if id, made, ok := r.fromSources(ctx, st, createdBy); ok && r.b.held.hold(id) {
				r.ledger.add(id, made)
				hit = id
			}
		}
		if hit != "" {
			// Two messages, as dockerd writes them.
			fmt.Fprintln(r.out, " ---> Using cache")
			fmt.Fprintf(r.out, " ---> %s\n", shortID(hit))
			st.imageID, st.historySize = hit, historySize
			return nil
		}
	}
	// mk may find there is nothing to add (nil, as WORKDIR of a directory
	// that exists): the step then has no layer.
	var layer io.Reader
	if mk != nil {
		rc, err := mk()
		if err != nil {
			return err
		}
		if rc != nil {
			defer rc.Close()
			layer = rc
		}
	}
	id, err := r.b.images.Derive(ctx, st.imageID, layer, st.cfg, createdBy)
	if err != nil {
		return err
	}
	r.b.held.hold(id)
	r.ledger.add(id, true)
	if err := r.b.cache.put(key, id); err != nil {
		r.b.log.Warn("build cache", "err", err)
	}
	fmt.Fprintf(r.out, " ---> %s\n", shortID(id))
	st.imageID, st.historySize = id, historySize
	return nil
}

// historyEntrySize is about what a history entry adds to a config
// besides its text.
const historyEntrySize = 160

// configKey is the part of a step's result that comes from its config,
// so that a cached image always carries the configuration asked for.
func configKey(st *stageState) string {
	b, _ := json.Marshal(st.cfg)
	return string(b)
}

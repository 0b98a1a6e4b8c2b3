// Package build is the classic Dockerfile builder behind POST /build: it
// indexes the context, parses the Dockerfile with buildkit's parser and
// runs each instruction, committing one image per step and caching steps
// by parent image and instruction.
package build

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client/pkg/progress"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/wharf/wharf/internal/api/backend"
	wcontainer "github.com/wharf/wharf/internal/container"
	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/image"
)

// Images is what the builder needs of the image store.
type Images interface {
	Get(ctx context.Context, ref string) (*image.Image, error)
	Derive(ctx context.Context, parentID string, layer io.Reader, cfg dockerspec.DockerOCIImageConfig, createdBy string) (string, error)
	// DeriveCached is Derive with a step taken from another image (--cache-from).
	DeriveCached(ctx context.Context, parentID string, diffID digest.Digest, h ocispec.History, cfg dockerspec.DockerOCIImageConfig) (string, error)
	Tag(ctx context.Context, ref, repo, tag string) error
	// Pull fetches a base image that is missing (or, with --pull, always).
	Pull(ctx context.Context, ref reference.Named, o image.PullOptions, out progress.Output) error
	imageRemover
}

// Containers is what the builder needs of the container service, for RUN
// and COPY --from.
type Containers interface {
	Create(ctx context.Context, o wcontainer.CreateOptions) (container.CreateResponse, error)
	Start(ctx context.Context, ref string) error
	Wait(ctx context.Context, ref string, condition container.WaitCondition) (<-chan wcontainer.WaitResult, error)
	AttachBeforeStart(ref string) (follow func(ctx context.Context, o wcontainer.AttachOptions) error, err error)
	LayerTar(ctx context.Context, ref string) (io.ReadCloser, error)
	ArchivePath(ctx context.Context, ref, path string) (io.ReadCloser, container.PathStat, error)
	StatPath(ctx context.Context, ref, path string) (container.PathStat, error)
	ExtractToDir(ctx context.Context, ref, path string, content io.Reader, o wcontainer.ExtractOptions) error
	Remove(ctx context.Context, ref string, o wcontainer.RemoveOptions) error
}

// Options are POST /build's parameters (the API layer's type).
type Options = backend.BuildOptions

// Builder runs builds.
type Builder struct {
	images     Images
	containers Containers
	cache      *cache
	held       heldImages
	tmp        string
	http       *http.Client // for ADD of remote URLs
	log        *slog.Logger
}

// New returns a builder keeping its cache and scratch space under root.
func New(root string, images Images, containers Containers, log *slog.Logger) (*Builder, error) {
	// Scratch space a killed daemon left behind.
	_ = os.RemoveAll(filepath.Join(root, "tmp"))
	if err := os.MkdirAll(filepath.Join(root, "tmp"), 0o700); err != nil {
		return nil, err
	}
	c, err := openCache(filepath.Join(root, "cache.json"))
	if err != nil {
		return nil, err
	}
	return &Builder{images: images, containers: containers, cache: c, tmp: filepath.Join(root, "tmp"), http: &http.Client{}, log: log}, nil
}

// Build builds the context tarball src, writing docker's classic progress
// text to out, and returns the final image ID.
func (b *Builder) Build(ctx context.Context, src io.Reader, o Options, out io.Writer) (string, error) {
	if err := checkInputs(o); err != nil {
		return "", err
	}
	var tags []reference.NamedTagged
	for _, t := range o.Tags {
		named, err := parseTag(t)
		if err != nil {
			return "", err
		}
		tags = append(tags, named)
	}
	start := time.Now()
	ix, err := b.readContext(ctx, src)
	if err != nil {
		return "", err
	}
	defer ix.close()
	b.log.Debug("build context indexed", "took", time.Since(start), "entries", len(ix.entries), "bytes", ix.total)
	defer func() { b.log.Debug("build finished", "took", time.Since(start)) }()
	name := o.Dockerfile
	if name == "" {
		name = "Dockerfile"
	}
	rel, ok := cleanRel(name)
	if !ok {
		return "", errs.Invalid("the Dockerfile (%s) must be within the build context", name)
	}
	df, err := ix.readFile(rel)
	if errors.Is(err, errFileTooLarge) {
		return "", tooLarge(name, maxFileSize)
	}
	if err != nil {
		return "", errs.Invalid("Cannot locate specified Dockerfile: %s", name)
	}
	patterns, err := readIgnore(ix)
	if err != nil {
		return "", err
	}
	if err := applyIgnore(ix, patterns); err != nil {
		return "", err
	}
	p, err := parse(df)
	if err != nil {
		return "", err
	}
	r := &run{b: b, opts: o, out: out, index: ix, buildArgs: o.BuildArgs, metaArgs: p.metaArgs, stages: p.stages, escape: p.escape, built: map[int]*stageState{}, ledger: &buildLedger{}, cacheFrom: &cacheSources{refs: o.CacheFrom}}
	id, err := r.buildAll(ctx)
	r.finish(ctx, err != nil)
	if err != nil {
		return "", err
	}
	if a, ok := out.(auxOutput); ok {
		a.Aux(id)
	}
	fmt.Fprintf(out, "Successfully built %s\n", shortID(id))
	for _, t := range tags {
		if err := b.images.Tag(ctx, id, reference.FamiliarName(t), t.Tag()); err != nil {
			return "", err
		}
		fmt.Fprintf(out, "Successfully tagged %s\n", reference.FamiliarString(t))
	}
	return id, nil
}

// auxOutput is an output that also carries docker's aux messages (the
// API's JSON stream): the built image's ID goes out as
// {"aux":{"ID":...}} before "Successfully built", as from dockerd.
type auxOutput interface {
	Aux(imageID string)
}

// readContext reads the context tarball into an index: nothing is
// extracted, file contents are hashed and spooled in one pass (in memory
// up to memSpoolMax, the rest in an unlinked file under the scratch
// directory, so concurrent builds share nothing and a killed daemon
// leaves nothing behind). The caller closes the index.
func (b *Builder) readContext(ctx context.Context, src io.Reader) (*contextIndex, error) {
	sp := newSpool(b.tmp, memSpoolMax)
	ix, err := readContextIndex(ctx, src, sp)
	if err != nil {
		sp.close()
		return nil, err
	}
	return ix, nil
}

// dockerfile is a parsed Dockerfile.
type dockerfile struct {
	stages   []instructions.Stage
	metaArgs []instructions.ArgCommand // the ARGs before the first FROM
	escape   rune                      // the escape directive's character
}

// parse parses df with buildkit's parser: directives (escape, syntax,
// check), line continuations, heredocs and all.
func parse(df []byte) (dockerfile, error) {
	res, err := parser.Parse(bytes.NewReader(df))
	if err != nil {
		return dockerfile{}, errs.Invalid("failed to parse Dockerfile: %v", err)
	}
	stages, metaArgs, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return dockerfile{}, errs.Invalid("%s", parseErrorText(err))
	}
	if len(stages) == 0 {
		return dockerfile{}, errs.Invalid("the Dockerfile has no FROM instruction")
	}
	return dockerfile{stages: stages, metaArgs: metaArgs, escape: res.EscapeToken}, nil
}

// parseDockerfile parses df into stages and the ARGs before the first FROM.
func parseDockerfile(df []byte) ([]instructions.Stage, []instructions.ArgCommand, error) {
	p, err := parse(df)
	return p.stages, p.metaArgs, err
}

// parseErrorText words an instruction error as docker's classic builder
// does: "Dockerfile parse error line N: ..." (buildkit says "dockerfile
// parse error on line N: ..." and suggests instruction names).
func parseErrorText(err error) string {
	var ui *instructions.UnknownInstructionError
	if errors.As(err, &ui) {
		return fmt.Sprintf("Dockerfile parse error line %d: unknown instruction: %s", ui.Line, strings.ToUpper(ui.Instruction))
	}
	msg := err.Error()
	var le *parser.LocationError
	if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
		line := le.Locations[0][0].Start.Line
		if rest, ok := strings.CutPrefix(msg, fmt.Sprintf("dockerfile parse error on line %d: ", line)); ok {
			return fmt.Sprintf("Dockerfile parse error line %d: %s", line, rest)
		}
		if !strings.Contains(msg, "line ") {
			return fmt.Sprintf("Dockerfile parse error line %d: %s", line, msg)
		}
	}
	return msg
}

func parseTag(t string) (reference.NamedTagged, error) {
	named, err := reference.ParseNormalizedNamed(t)
	if err != nil {
		return nil, errs.Invalid("invalid tag %q: %v", t, err)
	}
	if _, ok := named.(reference.Digested); ok {
		return nil, errs.Invalid("invalid tag %q: build tag cannot contain a digest", t)
	}
	nt, ok := reference.TagNameOnly(named).(reference.NamedTagged)
	if !ok {
		return nil, errs.Invalid("invalid tag %q", t)
	}
	return nt, nil
}

func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

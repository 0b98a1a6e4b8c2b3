package build

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/distribution/reference"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client/pkg/progress"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/image"
)

// fakeImages is an in-memory image store for builds that need no
// container (FROM scratch and metadata steps): it keeps each image's
// config and whatever layer tar it was given.
type fakeImages struct {
	mu     sync.Mutex
	images map[string]*image.Image
	layers map[string][]byte
}

func newFakeImages() *fakeImages {
	return &fakeImages{images: map[string]*image.Image{}, layers: map[string][]byte{}}
}

func (f *fakeImages) Get(ctx context.Context, ref string) (*image.Image, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	img, ok := f.images[ref]
	if !ok {
		return nil, errs.NotFound("No such image: %s", ref)
	}
	return img, nil
}

func (f *fakeImages) Derive(ctx context.Context, parentID string, layer io.Reader, cfg dockerspec.DockerOCIImageConfig, createdBy string) (string, error) {
	var img dockerspec.DockerOCIImage
	if parentID != "" {
		parent, err := f.Get(ctx, parentID)
		if err != nil {
			return "", err
		}
		img = parent.Config
		img.History = slices.Clone(img.History)
	}
	var tarBytes []byte
	if layer != nil {
		var err error
		if tarBytes, err = io.ReadAll(layer); err != nil {
			return "", err
		}
	}
	img.Config = cfg
	img.History = append(img.History, ocispec.History{CreatedBy: createdBy, EmptyLayer: layer == nil})
	raw, err := json.Marshal(img)
	if err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	id := fmt.Sprintf("sha256:%x", sha256.Sum256(append(raw, byte(len(f.images)))))
	f.images[id] = &image.Image{ID: id, Config: img}
	f.layers[id] = tarBytes
	return id, nil
}

func (f *fakeImages) DeriveCached(ctx context.Context, parentID string, diffID digest.Digest, h ocispec.History, cfg dockerspec.DockerOCIImageConfig) (string, error) {
	return "", errors.New("not in the fake")
}

func (f *fakeImages) Tag(ctx context.Context, ref, repo, tag string) error { return nil }

func (f *fakeImages) Pull(ctx context.Context, ref reference.Named, o image.PullOptions, out progress.Output) error {
	return errs.NotFound("pull access denied for %s", reference.FamiliarName(ref))
}

func (f *fakeImages) Delete(ctx context.Context, ref string, force, noprune bool) ([]imagetypes.DeleteResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.images[ref]; !ok {
		return nil, errs.NotFound("No such image: %s", ref)
	}
	delete(f.images, ref)
	delete(f.layers, ref)
	return []imagetypes.DeleteResponse{{Deleted: ref}}, nil
}

// ids are the images the store holds.
func (f *fakeImages) ids() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Sorted(maps.Keys(f.images))
}

// layer is the layer tar image id was made with.
func (f *fakeImages) layer(id string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.layers[id]
}

// fakeBuild builds the context ents with a new builder on images; no
// step may need a container.
func fakeBuild(t *testing.T, images *fakeImages, o Options, ents ...tent) (string, string, error) {
	t.Helper()
	return runBuild(t, newFakeBuilder(t, images), o, ents...)
}

// newFakeBuilder is a builder on images, without containers.
func newFakeBuilder(t *testing.T, images *fakeImages) *Builder {
	t.Helper()
	b, err := New(t.TempDir(), images, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// runBuild builds the context ents with b and returns the image ID and
// the build's output.
func runBuild(t *testing.T, b *Builder, o Options, ents ...tent) (string, string, error) {
	t.Helper()
	// orderedOutput serialises the stages' writes.
	var out bytes.Buffer
	id, err := b.Build(context.Background(), bytes.NewReader(mkTar(t, ents...)), o, &out)
	return id, out.String(), err
}

package cri

import (
	"context"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/distribution/reference"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	containertypes "github.com/moby/moby/api/types/container"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client/pkg/progress"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/container"
	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/filters"
	"github.com/wharf/wharf/internal/image"
)

// fakeContainers is the container service as the CRI sees it, in memory.
type fakeContainers struct {
	mu      sync.Mutex
	next    int
	byID    map[string]*fakeContainer
	execOut string // what every exec prints
	execRC  int
}

type fakeContainer struct {
	opts    backend.ContainerCreateOptions
	pod     container.Pod
	state   containertypes.ContainerState
	created time.Time
}

func newFakeContainers() *fakeContainers {
	return &fakeContainers{byID: map[string]*fakeContainer{}}
}

func (f *fakeContainers) get(ref string) (string, *fakeContainer, error) {
	for id, c := range f.byID {
		if id == ref || strings.TrimPrefix(c.opts.Name, "/") == ref {
			return id, c, nil
		}
	}
	return "", nil, errs.NotFound("No such container: %s", ref)
}

func (f *fakeContainers) CreateInPod(ctx context.Context, o backend.ContainerCreateOptions, pod container.Pod) (containertypes.CreateResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.byID {
		if c.opts.Name == o.Name {
			return containertypes.CreateResponse{}, errs.Conflict("name %s in use", o.Name)
		}
	}
	f.next++
	id := strings.Repeat(string(rune('a'+f.next)), 64)
	f.byID[id] = &fakeContainer{opts: o, pod: pod, state: containertypes.StateCreated, created: time.Now()}
	return containertypes.CreateResponse{ID: id}, nil
}

func (f *fakeContainers) setState(ref string, st containertypes.ContainerState) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, c, err := f.get(ref)
	if err != nil {
		return err
	}
	c.state = st
	return nil
}

func (f *fakeContainers) Start(ctx context.Context, ref string) error {
	return f.setState(ref, containertypes.StateRunning)
}

func (f *fakeContainers) Stop(ctx context.Context, ref string, o backend.ContainerStopOptions) error {
	return f.setState(ref, containertypes.StateExited)
}

func (f *fakeContainers) Remove(ctx context.Context, ref string, o backend.ContainerRemoveOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	id, _, err := f.get(ref)
	if err != nil {
		return err
	}
	delete(f.byID, id)
	return nil
}

func (f *fakeContainers) List(ctx context.Context, o backend.ContainerListOptions) ([]containertypes.Summary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []containertypes.Summary
	for id, c := range f.byID {
		if !o.Filters.Exact("namespace", c.pod.Namespace) || !o.Filters.Labels("label", c.opts.Config.Labels) {
			continue
		}
		out = append(out, containertypes.Summary{ID: id, Names: []string{"/" + c.opts.Name}, Labels: c.opts.Config.Labels,
			State: c.state, Created: c.created.Unix(), ImageID: "sha256:img"})
	}
	return out, nil
}

func (f *fakeContainers) Inspect(ctx context.Context, ref string, size bool) (containertypes.InspectResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id, c, err := f.get(ref)
	if err != nil {
		return containertypes.InspectResponse{}, err
	}
	return containertypes.InspectResponse{
		ID: id, Created: c.created.Format(time.RFC3339Nano), Image: "sha256:img", LogPath: c.pod.LogPath,
		State:  &containertypes.State{Status: c.state, Running: c.state == containertypes.StateRunning, StartedAt: c.created.Format(time.RFC3339Nano), FinishedAt: "0001-01-01T00:00:00Z"},
		Config: c.opts.Config,
	}, nil
}

func (f *fakeContainers) ExecCreate(ctx context.Context, ref string, cfg containertypes.ExecCreateRequest) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, _, err := f.get(ref); err != nil {
		return "", err
	}
	return "exec1", nil
}

func (f *fakeContainers) ExecStart(ctx context.Context, id string, o backend.ExecStartOptions) error {
	io.WriteString(o.Stdout, f.execOut)
	return nil
}

func (f *fakeContainers) ExecInspect(ctx context.Context, id string) (containertypes.ExecInspectResponse, error) {
	rc := f.execRC
	return containertypes.ExecInspectResponse{ExitCode: &rc}, nil
}

func (f *fakeContainers) ExecResize(ctx context.Context, id string, height, width uint) error {
	return nil
}
func (f *fakeContainers) Resize(ctx context.Context, ref string, height, width uint) error {
	return nil
}
func (f *fakeContainers) Attach(ctx context.Context, ref string, o backend.ContainerAttachOptions) error {
	return nil
}

// fakeImages is an image store of named images.
type fakeImages struct {
	mu     sync.Mutex
	images map[string]*image.Image // by id
}

func newFakeImages(names ...string) *fakeImages {
	f := &fakeImages{images: map[string]*image.Image{}}
	for _, n := range names {
		f.add(n)
	}
	return f
}

func (f *fakeImages) add(name string) *image.Image {
	id := "sha256:" + strings.Repeat("0", 40) + strings.Repeat("f", 24-len(name)%24) + strings.Repeat("1", len(name)%24)
	img := &image.Image{ID: id, RepoTags: []string{name}, Config: dockerspec.DockerOCIImage{Config: dockerspec.DockerOCIImageConfig{}}}
	img.Config.Config.User = "1000"
	f.images[id] = img
	return img
}

func (f *fakeImages) find(ref string) (*image.Image, error) {
	for _, img := range f.images {
		if img.ID == ref {
			return img, nil
		}
		for _, t := range img.RepoTags {
			if t == ref || t == ref+":latest" || "docker.io/library/"+t == ref {
				return img, nil
			}
		}
	}
	return nil, errs.NotFound("No such image: %s", ref)
}

func (f *fakeImages) Get(ctx context.Context, ref string) (*image.Image, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.find(ref)
}

func (f *fakeImages) List(ctx context.Context, _ filters.Args) ([]imagetypes.Summary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []imagetypes.Summary
	for _, img := range f.images {
		out = append(out, imagetypes.Summary{ID: img.ID, RepoTags: img.RepoTags, Size: 100})
	}
	return out, nil
}

func (f *fakeImages) Inspect(ctx context.Context, ref string) (*imagetypes.InspectResponse, error) {
	img, err := f.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	cfg := img.Config.Config
	return &imagetypes.InspectResponse{ID: img.ID, RepoTags: img.RepoTags, Size: 100, Config: &cfg}, nil
}

func (f *fakeImages) Pull(ctx context.Context, ref reference.Named, o backend.ImagePullOptions, out progress.Output) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if strings.Contains(ref.String(), "missing") {
		return errs.NotFound("manifest for %s not found", ref)
	}
	img := f.add(reference.FamiliarString(ref))
	img.RepoTags = append(img.RepoTags, ref.String())
	return nil
}

func (f *fakeImages) Delete(ctx context.Context, ref string, force, noprune bool) ([]imagetypes.DeleteResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	img, err := f.find(ref)
	if err != nil {
		return nil, err
	}
	delete(f.images, img.ID)
	return []imagetypes.DeleteResponse{{Deleted: img.ID}}, nil
}

func ctrOpts(name string) backend.ContainerCreateOptions {
	return backend.ContainerCreateOptions{Name: name, Config: &containertypes.Config{Labels: map[string]string{}}}
}

func (f *fakeContainers) Update(ctx context.Context, ref string, u containertypes.UpdateConfig) (containertypes.UpdateResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, c, err := f.get(ref)
	if err != nil {
		return containertypes.UpdateResponse{}, err
	}
	c.opts.HostConfig.Resources = u.Resources
	return containertypes.UpdateResponse{}, nil
}

func (f *fakeContainers) ReopenLog(ctx context.Context, ref string) error { return nil }

func (f *fakeContainers) Stats(ctx context.Context, ref string, o backend.ContainerStatsOptions, out func(containertypes.StatsResponse) error) error {
	var r containertypes.StatsResponse
	r.Read = time.Now()
	r.CPUStats.CPUUsage.TotalUsage = 5000
	r.MemoryStats.Usage = 300
	r.MemoryStats.Stats = map[string]uint64{"inactive_file": 100}
	return out(r)
}

package build

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client/pkg/progress"

	"github.com/wharf/wharf/internal/image"
)

// pulls are the images a build pulled: stages building concurrently
// from the same missing image pull it once, one after the other.
type pulls struct {
	mu   sync.Mutex
	done map[string]bool
}

// baseImage is FROM's image: the local one, pulled if missing or if the
// build asked for --pull (as docker's classic builder does).
func (r *run) baseImage(ctx context.Context, ref string) (*image.Image, error) {
	img, err := r.b.images.Get(ctx, ref)
	if err != nil && !errdefs.IsNotFound(err) {
		return nil, err
	}
	if err == nil && !r.opts.Pull {
		return img, nil
	}
	named, perr := reference.ParseNormalizedNamed(ref)
	if perr != nil {
		if err == nil {
			return img, nil // an image ID: nothing to pull
		}
		return nil, err
	}
	if _, digested := named.(reference.Digested); !digested {
		named = reference.TagNameOnly(named)
	}
	r.pulls.mu.Lock()
	defer r.pulls.mu.Unlock()
	if r.pulls.done[ref] {
		return r.b.images.Get(ctx, ref)
	}
	if err := r.b.images.Pull(ctx, named, image.PullOptions{Auth: r.authFor(named)}, lineProgress{r.out}); err != nil {
		return nil, err
	}
	if r.pulls.done == nil {
		r.pulls.done = map[string]bool{}
	}
	r.pulls.done[ref] = true
	return r.b.images.Get(ctx, reference.FamiliarString(named))
}

// authFor is the credentials the client sent for named's registry (the
// docker CLI keys Docker Hub's by its index address).
func (r *run) authFor(named reference.Named) registry.AuthConfig {
	host := reference.Domain(named)
	if ac, ok := r.opts.AuthConfigs[host]; ok {
		return ac
	}
	if host == "docker.io" {
		return r.opts.AuthConfigs["https://index.docker.io/v1/"]
	}
	return registry.AuthConfig{}
}

// lineProgress prints a pull's messages as lines in the build output,
// leaving out the byte counts.
type lineProgress struct{ w io.Writer }

func (p lineProgress) WriteProgress(pr progress.Progress) error {
	if pr.Message == "" {
		return nil
	}
	if pr.ID != "" {
		_, err := fmt.Fprintf(p.w, "%s: %s\n", pr.ID, pr.Message)
		return err
	}
	_, err := fmt.Fprintln(p.w, pr.Message)
	return err
}

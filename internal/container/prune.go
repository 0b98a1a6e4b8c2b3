package container

import (
	"context"
	"strings"

	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/filters"
)

// Prune is POST /containers/prune: removes every container that is not
// running and matches f ("label", "label!", "until").
func (s *Service) Prune(ctx context.Context, f filters.Args) (container.PruneReport, error) {
	rep := container.PruneReport{ContainersDeleted: []string{}}
	if err := f.Validate("label", "label!", "until"); err != nil {
		return rep, errs.Invalid("%v", err)
	}
	until, err := f.Time("until")
	if err != nil {
		return rep, err
	}
	// Chosen from the views (view.go): a prune does not wait for every
	// busy container's lock. Remove checks again under the lock, and
	// refuses a container that has started meanwhile.
	for _, v := range s.views() {
		c := v.c
		keep := c.State.Running || c.removed || c.namespace() != "" ||
			(!until.IsZero() && !c.Created.Before(until)) ||
			!f.Labels("label", c.Config.Labels) ||
			anyLabel(f.Get("label!"), c.Config.Labels)
		if keep {
			continue
		}
		size := s.rwSize(ctx, c.ID)
		if err := s.Remove(ctx, c.ID, RemoveOptions{}); err != nil {
			s.log.Warn("prune: removing container", "id", c.ID, "err", err)
			continue
		}
		rep.ContainersDeleted = append(rep.ContainersDeleted, c.ID)
		rep.SpaceReclaimed += uint64(size)
	}
	return rep, nil
}

// anyLabel reports whether labels has one of terms ("k" or "k=v").
func anyLabel(terms []string, labels map[string]string) bool {
	for _, t := range terms {
		k, v, hasVal := strings.Cut(t, "=")
		if got, ok := labels[k]; ok && (!hasVal || got == v) {
			return true
		}
	}
	return false
}

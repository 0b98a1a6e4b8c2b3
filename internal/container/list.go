package container

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/filters"
	"github.com/wharf/wharf/internal/fsutil"
)

// ListOptions are the query parameters of GET /containers/json (the API
// layer's type).
type ListOptions = backend.ContainerListOptions

var listFilters = []string{"id", "name", "label", "status", "ancestor", "exited", "before", "since",
	"volume", "network", "health", "publish", "expose", "isolation", "is-task", "namespace"}

// List returns container summaries, newest first, as `docker ps` wants them.
func (s *Service) List(ctx context.Context, o ListOptions) ([]container.Summary, error) {
	f := o.Filters
	if err := f.Validate(listFilters...); err != nil {
		return nil, errs.Invalid("%v", err)
	}
	for _, st := range f.Get("status") {
		if err := container.ValidateContainerState(container.ContainerState(st)); err != nil {
			return nil, errs.Invalid("invalid filter 'status=%s'", st)
		}
	}
	var exitCodes []int
	for _, v := range f.Get("exited") {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, errs.Invalid("invalid filter 'exited=%s'", v)
		}
		exitCodes = append(exitCodes, n)
	}
	var nameRes []*regexp.Regexp
	for _, v := range f.Get("name") {
		re, err := regexp.Compile(v)
		if err != nil {
			return nil, errs.Invalid("invalid filter 'name=%s': %v", v, err)
		}
		nameRes = append(nameRes, re)
	}
	var before, since time.Time
	for _, term := range []string{"before", "since"} {
		for _, v := range f.Get(term) {
			ref, err := s.get(v)
			if err != nil {
				return nil, err
			}
			if term == "before" {
				before = ref.Created
			} else {
				since = ref.Created
			}
		}
	}
	var ancestors []string
	for _, a := range f.Get("ancestor") {
		if img, err := s.cfg.Images.Get(ctx, a); err == nil {
			ancestors = append(ancestors, img.ID)
		}
	}

	// Views, not records: a list never waits for a start or stop.
	vs := s.views()
	sort.Slice(vs, func(i, j int) bool { return vs[i].c.Created.After(vs[j].c.Created) })
	out := []container.Summary{}
	for _, v := range vs {
		sum, ok := s.summary(v, o, f, matchers{nameRes, exitCodes, ancestors, before, since})
		if !ok {
			continue
		}
		if o.Size {
			rw, rootfs := s.sizes(ctx, v.c)
			sum.SizeRw, sum.SizeRootFs = rw, rootfs
		}
		out = append(out, sum)
		if o.Limit > 0 && len(out) >= o.Limit {
			break
		}
	}
	return out, nil
}

type matchers struct {
	names         []*regexp.Regexp
	exitCodes     []int
	ancestors     []string
	before, since time.Time
}

// summary builds v's row, or reports that the filters exclude it.
func (s *Service) summary(v *view, o ListOptions, f filters.Args, m matchers) (container.Summary, bool) {
	c := v.c
	st := c.State
	if !o.All && !st.Running && !f.Has("status") && o.Limit <= 0 && !f.Has("exited") {
		return container.Summary{}, false
	}
	if !inNamespace(f, c) || c.removed || !f.Prefix("id", c.ID) || !f.Labels("label", c.Config.Labels) || !f.Exact("status", string(st.Status)) || !f.Exact("health", healthStatus(st)) {
		return container.Summary{}, false
	}
	if len(m.names) > 0 && !anyMatch(m.names, c.Name) && !anyMatch(m.names, strings.TrimPrefix(c.Name, "/")) {
		return container.Summary{}, false
	}
	if len(m.exitCodes) > 0 && (st.Status != container.StateExited || !slices.Contains(m.exitCodes, st.ExitCode)) {
		return container.Summary{}, false
	}
	if f.Has("ancestor") && !slices.Contains(m.ancestors, c.ImageID) {
		return container.Summary{}, false
	}
	if (!m.before.IsZero() && !c.Created.Before(m.before)) || (!m.since.IsZero() && !c.Created.After(m.since)) {
		return container.Summary{}, false
	}
	if !f.Exact("network", string(c.HostConfig.NetworkMode)) {
		return container.Summary{}, false
	}
	if f.Has("volume") && !slices.ContainsFunc(f.Get("volume"), func(v string) bool { return usesVolume(c, v) }) {
		return container.Summary{}, false
	}
	sum := container.Summary{
		ID:              c.ID,
		Names:           []string{c.Name},
		Image:           c.Config.Image,
		ImageID:         c.ImageID,
		Command:         command(c),
		Created:         c.Created.Unix(),
		Ports:           s.portSummaries(v.c),
		Labels:          c.Config.Labels,
		State:           st.Status,
		Status:          statusText(st) + healthSuffix(st),
		NetworkSettings: &container.NetworkSettingsSummary{Networks: s.networkSettings(v.c).Networks},
		Mounts:          s.inspectMounts(c),
	}
	sum.HostConfig.NetworkMode = string(c.HostConfig.NetworkMode)
	return sum, true
}

// statusText is the STATUS column of `docker ps`.
func statusText(st container.State) string {
	ago := func(ts string) string {
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return ""
		}
		return units.HumanDuration(time.Now().UTC().Sub(t))
	}
	switch st.Status {
	case container.StateRunning:
		if st.Paused {
			return fmt.Sprintf("Up %s (Paused)", ago(st.StartedAt))
		}
		return "Up " + ago(st.StartedAt)
	case container.StatePaused:
		return fmt.Sprintf("Up %s (Paused)", ago(st.StartedAt))
	case container.StateRestarting:
		return fmt.Sprintf("Restarting (%d) %s ago", st.ExitCode, ago(st.FinishedAt))
	case container.StateRemoving:
		return "Removal In Progress"
	case container.StateDead:
		return "Dead"
	case container.StateExited:
		return fmt.Sprintf("Exited (%d) %s ago", st.ExitCode, ago(st.FinishedAt))
	}
	return "Created"
}

// sizes returns the bytes in c's writable layer and in its whole root
// file system (writable layer plus image layers). It only looks: c may be
// a view of a container removed since, whose layer must not come back.
func (s *Service) sizes(ctx context.Context, c *Container) (rw, rootfs int64) {
	own, err := s.cfg.Layers.Stat(ctx, c.ID)
	if err != nil {
		return 0, 0
	}
	rw = fsutil.DirSize(own.Upper)
	rootfs = rw
	for _, d := range own.Lowers {
		rootfs += fsutil.DirSize(d)
	}
	return rw, rootfs
}

func anyMatch(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

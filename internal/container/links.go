package container

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/wharf/wharf/internal/errs"
)

// RemoveLink removes the link name, "/parent/alias" (DELETE
// /containers/{name}?link=true, docker rm --link), from the parent
// container's links, as dockerd's rmLink does; the linked container is
// left alone.
func (s *Service) RemoveLink(ctx context.Context, name string) error {
	if !strings.HasPrefix(name, "/") {
		name = "/" + name
	}
	parentName, alias := path.Split(name)
	if parentName == "/" {
		//lint:ignore ST1005 dockerd's wording
		return fmt.Errorf("Conflict, cannot remove the default link name of the container")
	}
	parentName = strings.TrimSuffix(parentName, "/")
	parent, err := s.get(strings.TrimPrefix(parentName, "/"))
	if err != nil {
		//lint:ignore ST1005 dockerd's wording
		return fmt.Errorf("Cannot get parent %s for link name %s", parentName, name)
	}
	parent.mu.Lock()
	defer parent.mu.Unlock()
	links := slices.DeleteFunc(slices.Clone(parent.HostConfig.Links), func(l string) bool {
		target, a, ok := strings.Cut(l, ":")
		if !ok {
			a = target
		}
		return a[strings.LastIndex(a, "/")+1:] == alias
	})
	if len(links) == len(parent.HostConfig.Links) {
		return errs.NotFound("No such container: %s", name)
	}
	hc := *parent.HostConfig
	hc.Links = links
	parent.HostConfig = &hc
	return s.save(parent)
}

// inspectLinks shows links as dockerd's inspect does: "/target:/parent/alias".
func inspectLinks(parent string, links []string) []string {
	var out []string
	for _, l := range links {
		target, alias, ok := strings.Cut(l, ":")
		target = "/" + strings.TrimPrefix(target, "/")
		if !ok {
			alias = target
		}
		out = append(out, target+":"+path.Join("/", parent, alias[strings.LastIndex(alias, "/")+1:]))
	}
	return out
}

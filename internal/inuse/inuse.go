// Package inuse records which containers use which images and volumes,
// so that the image and volume services can refuse to remove what is in
// use without calling the container service.
//
// The container service records a container's image and running state;
// the volume service records a container's volumes as it hands them out
// (so a volume is never seen unused between its creation and its first
// user). The image and volume services read it while holding their own
// locks. Its lock is a leaf of the daemon's lock order: nothing is called
// while it is held.
package inuse

import (
	"slices"
	"strings"
	"sync"
)

// User is a container using an image.
type User struct {
	ID      string
	Running bool
}

// Index is the record of uses. The zero value is not usable; call New.
type Index struct {
	mu         sync.Mutex
	containers map[string]*uses // by container id
}

type uses struct {
	image   string
	volumes []string
	running bool
}

// New returns an empty index.
func New() *Index { return &Index{containers: map[string]*uses{}} }

func (x *Index) entry(id string) *uses {
	u := x.containers[id]
	if u == nil {
		u = &uses{}
		x.containers[id] = u
	}
	return u
}

// SetImage records that container id is made from image.
func (x *Index) SetImage(id, image string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.entry(id).image = image
}

// AddVolume records that container id mounts the volume name.
func (x *Index) AddVolume(id, name string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	u := x.entry(id)
	if !slices.Contains(u.volumes, name) {
		u.volumes = append(u.volumes, name)
	}
}

// SetRunning records whether container id is running.
func (x *Index) SetRunning(id string, running bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.entry(id).running = running
}

// Remove forgets container id: it no longer uses anything.
func (x *Index) Remove(id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	delete(x.containers, id)
}

// ImageUsers lists the containers made from image, by id.
func (x *Index) ImageUsers(image string) []User {
	x.mu.Lock()
	defer x.mu.Unlock()
	var out []User
	for id, u := range x.containers {
		if u.image == image {
			out = append(out, User{ID: id, Running: u.running})
		}
	}
	slices.SortFunc(out, func(a, b User) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// VolumeUsers lists the ids of the containers that mount the volume name.
func (x *Index) VolumeUsers(name string) []string {
	x.mu.Lock()
	defer x.mu.Unlock()
	var out []string
	for id, u := range x.containers {
		if slices.Contains(u.volumes, name) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

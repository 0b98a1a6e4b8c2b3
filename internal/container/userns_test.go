package container

import (
	"slices"
	"testing"

	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestBuildSpecPodUserns: a container of a pod in its own user namespace
// joins it by path (runc reads the mappings there), and the pod's
// files and the mounts the CRI asked to ID-map get the mappings; other
// binds and the pod's /dev/shm do not.
func TestBuildSpecPodUserns(t *testing.T) {
	m := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 65536}}
	c := testContainer(container.Config{Cmd: []string{"sh"}}, container.HostConfig{NetworkMode: "none"})
	c.Pod = &Pod{Namespace: "k8s.io", NetNS: "/run/ns/net", IPCNS: "/run/ns/ipc", UTSNS: "/run/ns/uts", ShmDir: "/run/ns/shm",
		UserNS: "/run/ns/user", UIDMap: m, GIDMap: m, IDMapped: []string{"/data"}}
	mounts := []specs.Mount{
		{Destination: "/data", Type: "bind", Source: "/srv/data", Options: []string{"rbind", "rprivate"}},
		{Destination: "/plain", Type: "bind", Source: "/srv/plain", Options: []string{"rbind", "rprivate"}},
	}
	s, err := buildSpec(c, specInput{Rootfs: fakeRootfs(t), EtcFiles: "/etc-files", NetNS: "/run/ns/net", Mounts: mounts})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace, Path: "/run/ns/user"}) {
		t.Errorf("namespaces %v: no user namespace at the pod's path", s.Linux.Namespaces)
	}
	// runc reads them from the namespace, and refuses both.
	if s.Linux.UIDMappings != nil || s.Linux.GIDMappings != nil {
		t.Errorf("mappings beside the path: %v %v", s.Linux.UIDMappings, s.Linux.GIDMappings)
	}
	mapped := map[string]bool{}
	for _, mt := range s.Mounts {
		if mt.UIDMappings != nil {
			if !slices.Equal(mt.UIDMappings, m) || !slices.Equal(mt.GIDMappings, m) {
				t.Errorf("mount %s mapped by %v %v", mt.Destination, mt.UIDMappings, mt.GIDMappings)
			}
			mapped[mt.Destination] = true
		}
	}
	for _, d := range []string{"/data", "/etc/hosts", "/etc/hostname", "/etc/resolv.conf"} {
		if !mapped[d] {
			t.Errorf("%s is not ID-mapped", d)
		}
	}
	for _, d := range []string{"/plain", "/dev/shm", "/proc"} {
		if mapped[d] {
			t.Errorf("%s is ID-mapped", d)
		}
	}

	// Without a user namespace of its own nothing of it is in the spec.
	c.Pod.UserNS, c.Pod.UIDMap, c.Pod.GIDMap = "", nil, nil
	s, err = buildSpec(c, specInput{Rootfs: fakeRootfs(t), EtcFiles: "/etc-files", Mounts: mounts})
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == specs.UserNamespace {
			t.Error("user namespace without one asked")
		}
	}
	for _, mt := range s.Mounts {
		if mt.UIDMappings != nil || s.Linux.UIDMappings != nil {
			t.Errorf("mappings without a user namespace: %s", mt.Destination)
		}
	}
}

func TestHostRoot(t *testing.T) {
	m := []specs.LinuxIDMapping{{ContainerID: 1, HostID: 5, Size: 2}, {ContainerID: 0, HostID: 1000, Size: 1}}
	if hostRoot(m) != 1000 || hostRoot(nil) != 0 || hostRoot(m[:1]) != 0 {
		t.Errorf("hostRoot wrong")
	}
}

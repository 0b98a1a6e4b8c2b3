package cri

import (
	"testing"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestBindMountRecursiveReadOnly(t *testing.T) {
	rro := func(ro bool, prop runtimeapi.MountPropagation) *runtimeapi.Mount {
		return &runtimeapi.Mount{HostPath: "/srv", ContainerPath: "/mnt", Readonly: ro, RecursiveReadOnly: true, Propagation: prop}
	}
	m, err := bindMount(rro(true, runtimeapi.MountPropagation_PROPAGATION_PRIVATE))
	if err != nil || !m.ReadOnly || !m.BindOptions.ReadOnlyForceRecursive {
		t.Errorf("private read-only: %+v, %v", m, err)
	}
	for _, bad := range []*runtimeapi.Mount{
		rro(false, runtimeapi.MountPropagation_PROPAGATION_PRIVATE),
		rro(true, runtimeapi.MountPropagation_PROPAGATION_HOST_TO_CONTAINER),
		rro(true, runtimeapi.MountPropagation_PROPAGATION_BIDIRECTIONAL),
	} {
		if _, err := bindMount(bad); err == nil {
			t.Errorf("%v: accepted", bad)
		}
	}
}

func TestParseProcessUser(t *testing.T) {
	u := parseProcessUser("Name:\tsh\nUid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\nGroups:\t1000 1234 \n")
	l := u.GetLinux()
	if l.GetUid() != 1000 || l.GetGid() != 1000 || len(l.GetSupplementalGroups()) != 2 || l.GetSupplementalGroups()[1] != 1234 {
		t.Errorf("%v", u)
	}
}

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

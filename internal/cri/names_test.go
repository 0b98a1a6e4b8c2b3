package cri

import (
	"strings"
	"testing"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestContainerNameLong(t *testing.T) {
	sb := &sandbox{config: &runtimeapi.PodSandboxConfig{Metadata: &runtimeapi.PodSandboxMetadata{Name: "web", Namespace: "default", Uid: "u1"}}}
	short := containerName(sb, &runtimeapi.ContainerMetadata{Name: "app", Attempt: 2})
	if short != "k8s_app_web_default_u1_2" {
		t.Errorf("short name: %q", short)
	}
	a := containerName(sb, &runtimeapi.ContainerMetadata{Name: strings.Repeat("a", 300)})
	b := containerName(sb, &runtimeapi.ContainerMetadata{Name: strings.Repeat("a", 300), Attempt: 1})
	if len(a) != maxNameLen || len(b) != maxNameLen || a == b {
		t.Errorf("long names: %d %d, equal %v", len(a), len(b), a == b)
	}
}

package system

import (
	"context"
	"testing"

	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/api/backend"
)

type noContainers struct{}

func (noContainers) List(context.Context, backend.ContainerListOptions) ([]container.Summary, error) {
	return nil, nil
}

type noImages struct{}

func (noImages) Count(context.Context) int { return 0 }

// TestInfoSettings: /info reports the settings a reload may change, in
// dockerd's shapes.
func TestInfoSettings(t *testing.T) {
	s := New(Config{Containers: noContainers{}, Images: noImages{}})
	s.SetSettings(Settings{
		Debug: true, Labels: []string{"env=prod"}, LogDriver: "local", LogDrivers: []string{"json-file", "local"},
		RegistryMirrors: []string{"https://m.example.com/"}, InsecureRegistries: []string{"10.0.0.0/8", "reg.local:5000"},
		CgroupDriver: "cgroupfs",
	})
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !info.Debug || info.Labels[0] != "env=prod" || info.LoggingDriver != "local" || len(info.Plugins.Log) != 2 {
		t.Errorf("info %+v", info)
	}
	rc := info.RegistryConfig
	if rc == nil || rc.Mirrors[0] != "https://m.example.com/" || rc.IndexConfigs["docker.io"].Mirrors[0] != "https://m.example.com/" {
		t.Fatalf("registry config %+v", rc)
	}
	if len(rc.InsecureRegistryCIDRs) != 3 || rc.InsecureRegistryCIDRs[2].String() != "10.0.0.0/8" {
		t.Errorf("insecure CIDRs %v", rc.InsecureRegistryCIDRs)
	}
	if idx := rc.IndexConfigs["reg.local:5000"]; idx == nil || idx.Secure {
		t.Errorf("insecure registry index %+v", idx)
	}
}

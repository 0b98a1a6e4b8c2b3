package container

import (
	"slices"
	"testing"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/moby/api/types/container"
	apinet "github.com/moby/moby/api/types/network"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/wharf/wharf/internal/image"
)

func testImage(entrypoint, cmd []string) *image.Image {
	img := &image.Image{ID: "sha256:abc"}
	img.Config = dockerspec.DockerOCIImage{Config: dockerspec.DockerOCIImageConfig{ImageConfig: ocispec.ImageConfig{
		Entrypoint: entrypoint, Cmd: cmd, Env: []string{"PATH=/bin", "A=image"}, WorkingDir: "/w", User: "app",
		Labels: map[string]string{"l1": "image", "l2": "image"},
	}}}
	return img
}

func TestMergeImageConfigEntrypointAndCmd(t *testing.T) {
	cases := []struct {
		name               string
		imgEntry, imgCmd   []string
		userEntry, userCmd []string
		wantEntry, wantCmd []string
		wantPath           string
		wantArgs           []string
	}{
		{"image defaults", nil, []string{"sh"}, nil, nil, nil, []string{"sh"}, "sh", []string{}},
		{"user cmd replaces image cmd", nil, []string{"sh"}, nil, []string{"echo", "hi"}, nil, []string{"echo", "hi"}, "echo", []string{"hi"}},
		{"image entrypoint plus cmd", []string{"echo", "a"}, []string{"b"}, nil, nil, []string{"echo", "a"}, []string{"b"}, "echo", []string{"a", "b"}},
		{"args after image entrypoint", []string{"echo", "a"}, []string{"b"}, nil, []string{"c"}, []string{"echo", "a"}, []string{"c"}, "echo", []string{"a", "c"}},
		{"user entrypoint drops image cmd", []string{"echo"}, []string{"b"}, []string{"ls"}, nil, []string{"ls"}, nil, "ls", []string{}},
		{"empty entrypoint resets it", []string{"echo"}, []string{"b"}, []string{""}, []string{"sh"}, nil, []string{"sh"}, "sh", []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := &container.Config{Entrypoint: c.userEntry, Cmd: c.userCmd}
			if err := mergeImageConfig(cfg, testImage(c.imgEntry, c.imgCmd)); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(cfg.Entrypoint, c.wantEntry) || !slices.Equal(cfg.Cmd, c.wantCmd) {
				t.Fatalf("entrypoint %q cmd %q", cfg.Entrypoint, cfg.Cmd)
			}
			path, args := entrypointAndArgs(cfg)
			if path != c.wantPath || !slices.Equal(args, c.wantArgs) {
				t.Fatalf("path %q args %q", path, args)
			}
		})
	}
}

func TestMergeImageConfigNoCommand(t *testing.T) {
	cfg := &container.Config{Entrypoint: []string{""}}
	if err := mergeImageConfig(cfg, testImage([]string{"echo"}, nil)); err == nil {
		t.Fatal("no error for a container without any command")
	}
}

func TestMergeImageConfigEnvLabelsUserWorkdir(t *testing.T) {
	cfg := &container.Config{Cmd: []string{"x"}, Env: []string{"A=user", "B=user"}, Labels: map[string]string{"l2": "user"}}
	if err := mergeImageConfig(cfg, testImage(nil, nil)); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Env, []string{"PATH=/bin", "A=user", "B=user"}) {
		t.Errorf("env %v", cfg.Env)
	}
	if cfg.Labels["l1"] != "image" || cfg.Labels["l2"] != "user" {
		t.Errorf("labels %v", cfg.Labels)
	}
	if cfg.User != "app" || cfg.WorkingDir != "/w" {
		t.Errorf("user %q workdir %q", cfg.User, cfg.WorkingDir)
	}
}

// TestBridgeDefaultEndpoint: the docker CLI's endpoint for "default" is
// the bridge network's, so ps shows one network, as with dockerd.
func TestBridgeDefaultEndpoint(t *testing.T) {
	ep := &apinet.EndpointSettings{Aliases: []string{"a"}}
	nc := &NetworkingConfig{EndpointsConfig: map[string]*apinet.EndpointSettings{"default": ep}}
	bridgeDefaultEndpoint(&container.HostConfig{NetworkMode: "bridge"}, nc)
	if len(nc.EndpointsConfig) != 1 || nc.EndpointsConfig["bridge"] != ep {
		t.Fatalf("endpoints: %v", nc.EndpointsConfig)
	}
	user := &NetworkingConfig{EndpointsConfig: map[string]*apinet.EndpointSettings{"default": ep}}
	bridgeDefaultEndpoint(&container.HostConfig{NetworkMode: "mynet"}, user)
	if user.EndpointsConfig["default"] != ep {
		t.Fatalf("a user network's endpoints changed: %v", user.EndpointsConfig)
	}
	bridgeDefaultEndpoint(&container.HostConfig{NetworkMode: "bridge"}, nil)
}

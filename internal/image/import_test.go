package image

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

func TestImportWithChanges(t *testing.T) {
	s, root := newTestService(t)
	ctx := context.Background()
	body := gzipBytes(t, simpleRootfs(t))
	id, err := s.Import(ctx, bytes.NewReader(body), "example.com/app", "v1", "", []string{
		`CMD ["sh"]`, `ENV A=b`, `ENV B=$A-x`, `WORKDIR /app`, `WORKDIR sub`, `EXPOSE 80 53/udp`,
		`LABEL x=y`, `USER nobody`, `VOLUME /data`, `STOPSIGNAL SIGINT`, `ENTRYPOINT ["/bin/sh", "-c"]`, `ONBUILD RUN true`,
	})
	if err != nil {
		t.Fatal(err)
	}
	img, err := s.Get(ctx, "example.com/app:v1")
	if err != nil || img.ID != id {
		t.Fatal(err)
	}
	c := img.Config.Config
	want := dockerspec.DockerOCIImageConfig{}
	want.Cmd = []string{"sh"} // CMD set before ENTRYPOINT survives it
	want.Entrypoint = []string{"/bin/sh", "-c"}
	want.Env = []string{"A=b", "B=b-x"}
	want.WorkingDir = "/app/sub"
	want.ExposedPorts = map[string]struct{}{"80/tcp": {}, "53/udp": {}}
	want.Labels = map[string]string{"x": "y"}
	want.User = "nobody"
	want.Volumes = map[string]struct{}{"/data": {}}
	want.StopSignal = "SIGINT"
	want.OnBuild = []string{"RUN true"}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("config\n got %+v\nwant %+v", c, want)
	}
	if img.Config.OS != "linux" || len(img.Config.RootFS.DiffIDs) != 1 || len(img.Config.History) != 1 || img.Config.History[0].Comment != "Imported from -" {
		t.Fatalf("image = %+v", img.Config)
	}
	dirs, err := s.extractedLayerDirs(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	if readFile(t, filepath.Join(dirs[0], "hello.txt")) != "hello\n" {
		t.Fatal("layer content")
	}
	// The stored layer blob is the uncompressed tar: its digest is the diff ID.
	if readFile(t, blobPath(root, img.Config.RootFS.DiffIDs[0])) != string(simpleRootfs(t)) {
		t.Fatal("layer blob is not the uncompressed tar")
	}
}

func TestImportRejects(t *testing.T) {
	s, root := newTestService(t)
	ctx := context.Background()
	cases := []struct {
		repo    string
		changes []string
		msg     string
	}{
		// dockerd names the instruction in lower case (checked against 20.10).
		{"", []string{"RUN true"}, "run is not a valid change command"},
		{"", []string{"FROM busybox"}, "from is not a valid change command"},
		{"", []string{"EXPOSE notaport"}, "invalid containerPort: notaport"},
		{"Bad/Name", nil, "invalid reference format: repository name (Name) must be lowercase"},
	}
	for _, c := range cases {
		_, err := s.Import(ctx, bytes.NewReader(simpleRootfs(t)), c.repo, "", "", c.changes)
		if !errdefs.IsInvalidArgument(err) || err.Error() != c.msg {
			t.Errorf("%v %v: got %v, want %q", c.repo, c.changes, err, c.msg)
		}
	}
	if des, _ := os.ReadDir(filepath.Join(root, "images")); len(des) != 0 {
		t.Fatal("rejected import left an image")
	}
}

func TestCmdShellForm(t *testing.T) {
	var cfg dockerspec.DockerOCIImageConfig
	if err := applyChanges(&cfg, []string{"ENTRYPOINT echo hi", "CMD echo $HOME"}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.Entrypoint, []string{"/bin/sh", "-c", "echo hi"}) || !reflect.DeepEqual(cfg.Cmd, []string{"/bin/sh", "-c", "echo $HOME"}) {
		t.Fatalf("%q %q", cfg.Entrypoint, cfg.Cmd)
	}
	// ENTRYPOINT after an inherited CMD resets it, as in docker.
	cfg = dockerspec.DockerOCIImageConfig{}
	cfg.Cmd = []string{"old"}
	if err := applyChanges(&cfg, []string{`ENTRYPOINT ["x"]`}); err != nil || cfg.Cmd != nil {
		t.Fatalf("cmd not reset: %q %v", cfg.Cmd, err)
	}
}

func FuzzApplyChanges(f *testing.F) {
	for _, s := range []string{`CMD ["sh"]`, "ENV A=b C=d", "EXPOSE 80-82/udp", "LABEL a=b", "WORKDIR rel", "HEALTHCHECK CMD true", "ONBUILD RUN x", "USER 1:1", "VOLUME [\"/a\"]", "STOPSIGNAL 9", "ENV A=${B:-x}", "RUN x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, change string) {
		var cfg dockerspec.DockerOCIImageConfig
		err := applyChanges(&cfg, strings.Split(change, "\n"))
		if err != nil && !errdefs.IsInvalidArgument(err) {
			t.Fatalf("error of wrong kind: %v", err)
		}
	})
}

// A layer with a device node is refused before anything is extracted.
func TestDeviceNodesRefused(t *testing.T) {
	for _, typ := range []byte{tar.TypeBlock, tar.TypeChar} {
		s, root := newTestService(t)
		tarball := makeTar(t, tarEntry{name: "ok", body: "x"}, tarEntry{name: "disk", typ: typ})
		_, err := s.Import(context.Background(), bytes.NewReader(tarball), "dev", "latest", "", nil)
		if err == nil || !strings.Contains(err.Error(), "device node (disk): refused") {
			t.Fatalf("type %c: %v", typ, err)
		}
		if _, err := s.Get(context.Background(), "dev:latest"); err == nil {
			t.Fatalf("type %c: an image was registered", typ)
		}
		if layers, _ := os.ReadDir(filepath.Join(root, "layers")); len(layers) != 0 {
			t.Fatalf("type %c: layer directories left: %v", typ, layers)
		}
	}
}

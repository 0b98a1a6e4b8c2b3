package container

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/errs"
)

// fakeArchive answers the archive routes for container "c", path "/f".
type fakeArchive struct {
	fakeContainers
	extracted string
	opts      backend.ContainerExtractOptions
}

var fakeStat = container.PathStat{Name: "f", Size: 3, Mode: 0o644, Mtime: time.Unix(1, 0).UTC(), LinkTarget: ""}

func (f *fakeArchive) StatPath(ctx context.Context, ref, path string) (container.PathStat, error) {
	if path != "/f" {
		return container.PathStat{}, errs.NotFound("Could not find the file %s in container %s", path, ref)
	}
	return fakeStat, nil
}

func (f *fakeArchive) ArchivePath(ctx context.Context, ref, path string) (io.ReadCloser, container.PathStat, error) {
	st, err := f.StatPath(ctx, ref, path)
	return io.NopCloser(strings.NewReader("tar")), st, err
}

func (f *fakeArchive) ExtractToDir(ctx context.Context, ref, path string, content io.Reader, o backend.ContainerExtractOptions) error {
	data, _ := io.ReadAll(content)
	f.extracted, f.opts = path+":"+string(data), o
	return nil
}

func (f *fakeArchive) Changes(ctx context.Context, ref string) ([]container.FilesystemChange, error) {
	return []container.FilesystemChange{{Kind: container.ChangeAdd, Path: "/a"}}, nil
}

func (f *fakeArchive) Export(ctx context.Context, ref string) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader("rootfs")), nil
}

func TestArchiveRoutes(t *testing.T) {
	fa := &fakeArchive{}
	ts := newTestServer(t, fa)

	resp, err := http.Head(ts.URL + "/v1.50/containers/c/archive?path=/f")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	raw, err := base64.StdEncoding.DecodeString(resp.Header.Get("X-Docker-Container-Path-Stat"))
	if err != nil {
		t.Fatal(err)
	}
	var st container.PathStat
	if err := json.Unmarshal(raw, &st); err != nil || st != fakeStat {
		t.Fatalf("stat header %s: %+v, %v", raw, st, err)
	}

	resp, err = http.Get(ts.URL + "/containers/c/archive?path=/missing")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "Could not find the file /missing in container c") {
		t.Fatalf("missing file: %d %s", resp.StatusCode, body)
	}

	req, _ := http.NewRequest(http.MethodPut, ts.URL+"/containers/c/archive?path=/d&noOverwriteDirNonDir=true&copyUIDGID=1", strings.NewReader("tar"))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || fa.extracted != "/d:tar" || !fa.opts.NoOverwriteDirNonDir || !fa.opts.CopyUIDGID {
		t.Fatalf("PUT: %d, %q, %+v", resp.StatusCode, fa.extracted, fa.opts)
	}

	resp, err = http.Get(ts.URL + "/containers/c/archive")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("no path: %d", resp.StatusCode)
	}
}

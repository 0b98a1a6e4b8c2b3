package build

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"

	wcontainer "github.com/wharf/wharf/internal/container"
	"github.com/wharf/wharf/internal/errs"
)

// workdirStep is WORKDIR after the configuration change: as docker's
// classic builder, it creates the directory when the image lacks it, and
// the step has a layer only then.
func (r *run) workdirStep(ctx context.Context, st *stageState, text string) error {
	wd := st.cfg.WorkingDir
	return r.commit(ctx, st, "/bin/sh -c #(nop) "+text, func() (io.ReadCloser, error) {
		if st.imageID == "" {
			return io.NopCloser(dirTar(wd)), nil
		}
		return r.makeWorkdir(ctx, st.imageID, wd)
	})
}

// makeWorkdir returns the layer that creates dir in image imageID, or nil
// when the directory is there already. The work happens in a container
// that never starts, so that symbolic links resolve inside the image.
func (r *run) makeWorkdir(ctx context.Context, imageID, dir string) (io.ReadCloser, error) {
	cs := r.b.containers
	resp, err := cs.Create(ctx, wcontainer.CreateOptions{Config: &container.Config{Image: imageID, Entrypoint: []string{"/wharf-build-workdir"}}})
	if err != nil {
		return nil, err
	}
	// As docker's, the step shows its container.
	fmt.Fprintf(r.out, " ---> Running in %s\n", shortID(resp.ID))
	remove := func() {
		if err := cs.Remove(context.WithoutCancel(ctx), resp.ID, wcontainer.RemoveOptions{Force: true}); err != nil {
			r.b.log.Warn("build: removing WORKDIR container", "id", resp.ID, "err", err)
		}
	}
	defer r.removingNote(resp.ID)
	st, err := cs.StatPath(ctx, resp.ID, dir)
	if err == nil && st.Mode&os.ModeSymlink != 0 {
		// A link to a directory will do, as in docker.
		if st, err = cs.StatPath(ctx, resp.ID, dir+"/."); err != nil {
			remove()
			return nil, errs.Invalid("Cannot mkdir: %s is not a directory", dir)
		}
	}
	switch {
	case err == nil && st.Mode.IsDir():
		remove()
		return nil, nil
	case err == nil:
		remove()
		return nil, errs.Invalid("Cannot mkdir: %s is not a directory", dir)
	case !errdefs.IsNotFound(err):
		remove()
		return nil, err
	}
	// The tar holds the directory alone: the parents it lacks are made
	// 0755 by the extraction, and existing ones (or links to them) stay.
	if err := cs.ExtractToDir(ctx, resp.ID, "/", dirEntry(dir), wcontainer.ExtractOptions{}); err != nil {
		remove()
		return nil, err
	}
	layer, err := cs.LayerTar(ctx, resp.ID)
	if err != nil {
		remove()
		return nil, err
	}
	return &closeFunc{ReadCloser: layer, after: remove}, nil
}

// dirEntry is a tar of one directory entry, dir, mode 0755, owned by root.
func dirEntry(dir string) io.Reader {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: strings.TrimPrefix(dir, "/") + "/", Mode: 0o755})
	_ = tw.Close()
	return &buf
}

// dirTar is a tar of dir and its parents, for WORKDIR on scratch.
func dirTar(dir string) io.Reader {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	name := ""
	for _, part := range strings.Split(strings.Trim(dir, "/"), "/") {
		if part == "" {
			continue
		}
		name += part + "/"
		_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755})
	}
	_ = tw.Close()
	return &buf
}

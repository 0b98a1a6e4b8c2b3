package image

import (
	"archive/tar"
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/containerd/errdefs"
)

// FuzzLoad: any archive given to docker load is loaded or refused with a
// 400, never a panic, and leaves no extracted layer that no image names.
func FuzzLoad(f *testing.F) {
	rootfs := makeTar(f, tarEntry{name: "a", body: "1"})
	f.Add(dockerArchive(f, "fuzz:1", rootfs))
	f.Add(dockerArchive(f, "fuzz:2", rootfs, makeTar(f, tarEntry{name: "dev/sda", typ: tar.TypeBlock})))
	f.Add(dockerArchive(f, "fuzz:3", makeTar(f, tarEntry{name: "l", typ: tar.TypeSymlink, linkname: "../../.."}, tarEntry{name: "l/x", body: "x"})))
	f.Add(makeTar(f, tarEntry{name: "index.json", body: `{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":2}]}`}))
	f.Add(makeTar(f, tarEntry{name: "manifest.json", body: `[{"Config":"../../etc/passwd","Layers":["/etc/shadow"]}]`}))
	// One store for every input, as a daemon gets one load after another.
	s := openService(f, filepath.Join(f.TempDir(), "image"))
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, archive []byte) {
		err := s.Load(ctx, bytes.NewReader(archive), func(string) {})
		if err != nil && !errdefs.IsInvalidArgument(err) && !errdefs.IsNotFound(err) {
			t.Logf("load: %v", err) // I/O errors are not the archive's fault; note them
		}
		n, rerr := removeOrphanLayers(t, s)
		if rerr != nil || n != 0 {
			t.Fatalf("load (%v) left %d layers no image names (%v)", err, n, rerr)
		}
	})
}

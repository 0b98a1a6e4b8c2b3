package image

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/distribution/reference"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/go-archive/compression"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/wharf/wharf/internal/ctxio"
	"github.com/wharf/wharf/internal/errs"
)

// archiveManifest is one entry of a docker-archive's manifest.json.
type archiveManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// load answers "docker load": src is a docker-archive (legacy, or docker
// 25+ with an OCI layout inside) or a plain OCI image layout, possibly
// compressed. report receives docker's "Loaded image: ..." lines.
func (s *Service) load(ctx context.Context, src io.Reader, report func(line string)) error {
	rc, err := compression.DecompressStream(src)
	if err != nil {
		return errs.Invalid("reading archive: %v", err)
	}
	defer rc.Close()
	dir, err := os.MkdirTemp(filepath.Join(s.root, "tmp"), "load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	a, err := spoolArchive(ctx, rc, dir)
	if err != nil {
		return err
	}
	switch {
	case a.has("manifest.json"):
		return s.loadDockerArchive(ctx, a, report)
	case a.has("index.json"):
		return s.loadOCILayout(ctx, a, report)
	}
	return errs.Invalid("invalid archive: neither manifest.json nor index.json found")
}

// spooled is an archive unpacked to flat numbered files. Archive names are
// never used as filesystem paths, so a hostile archive cannot write
// anywhere but dir.
type spooled struct {
	files map[string]string // archive name -> file on disk
	links map[string]string // archive name -> archive name it points to
}

func cleanName(name string) string {
	name = path.Clean("/" + strings.ReplaceAll(name, "\\", "/"))
	return strings.TrimPrefix(name, "/")
}

func spoolArchive(ctx context.Context, r io.Reader, dir string) (*spooled, error) {
	a := &spooled{files: map[string]string{}, links: map[string]string{}}
	tr := tar.NewReader(ctxio.Reader(ctx, r))
	for n := 0; ; n++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return a, nil
		}
		if err != nil {
			return nil, archiveError(err)
		}
		name := cleanName(h.Name)
		switch h.Typeflag {
		case tar.TypeReg:
			p := filepath.Join(dir, strconv.Itoa(n))
			f, err := os.Create(p)
			if err != nil {
				return nil, err
			}
			src := &readErrors{r: tr}
			_, err = io.Copy(f, src)
			if err != nil {
				f.Close()
				if src.err != nil { // not the disk's fault
					err = archiveError(src.err)
				}
				return nil, err
			}
			if err := f.Close(); err != nil {
				return nil, err
			}
			a.files[name] = p
		case tar.TypeSymlink:
			// Legacy docker save links duplicate layer.tar files.
			target := h.Linkname
			if !path.IsAbs(target) {
				target = path.Join(path.Dir(name), target)
			}
			a.links[name] = cleanName(target)
		case tar.TypeLink:
			a.links[name] = cleanName(h.Linkname)
		}
	}
}

// readErrors remembers the error its reader gave, to tell it from the
// writer's in an io.Copy.
type readErrors struct {
	r   io.Reader
	err error
}

func (e *readErrors) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

// archiveError is a failure to read the archive: the client's fault
// (truncated, not a tar), in dockerd's words ("unexpected EOF",
// "archive/tar: invalid tar header"), unless the request was cancelled.
func archiveError(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return errs.Invalid("%v", err)
}

func (a *spooled) resolve(name string) (string, bool) {
	name = cleanName(name)
	for range 16 {
		if p, ok := a.files[name]; ok {
			return p, true
		}
		next, ok := a.links[name]
		if !ok {
			return "", false
		}
		name = next
	}
	return "", false
}

func (a *spooled) has(name string) bool { _, ok := a.resolve(name); return ok }

func (a *spooled) open(name string) (*os.File, error) {
	p, ok := a.resolve(name)
	if !ok {
		return nil, errs.Invalid("invalid archive: %s not found", name)
	}
	return os.Open(p)
}

func (a *spooled) read(name string) ([]byte, error) {
	f, err := a.open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 64<<20))
}

func (s *Service) loadDockerArchive(ctx context.Context, a *spooled, report func(string)) error {
	b, err := a.read("manifest.json")
	if err != nil {
		return err
	}
	var manifests []archiveManifest
	if err := json.Unmarshal(b, &manifests); err != nil {
		return errs.Invalid("invalid manifest.json: %v", err)
	}
	for _, m := range manifests {
		raw, err := a.read(m.Config)
		if err != nil {
			return err
		}
		layers := make([]func() (io.ReadCloser, error), len(m.Layers))
		for i, l := range m.Layers {
			layers[i] = func() (io.ReadCloser, error) { return a.open(l) }
		}
		var tags []reference.NamedTagged
		for _, t := range m.RepoTags {
			named, err := parseNamed(t)
			if err != nil {
				return errs.Invalid("invalid tag %q: %v", t, err)
			}
			tags = append(tags, named)
		}
		if err := s.loadOne(ctx, raw, layers, tags, report); err != nil {
			return err
		}
	}
	return nil
}

// loadOne stores one image's layers (checking each against the config's
// diff IDs) and registers the image.
func (s *Service) loadOne(ctx context.Context, raw []byte, layers []func() (io.ReadCloser, error), tags []reference.NamedTagged, report func(string)) error {
	var cfg dockerspec.DockerOCIImage
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return errs.Invalid("invalid image config: %v", err)
	}
	if len(cfg.RootFS.DiffIDs) != len(layers) {
		return errs.Invalid("invalid archive: %d layers for %d diff IDs", len(layers), len(cfg.RootFS.DiffIDs))
	}
	for i, open := range layers {
		if err := s.putLayer(ctx, open, cfg.RootFS.DiffIDs[i]); err != nil {
			return err
		}
	}
	id, moved, err := s.addImage(ctx, raw, tags)
	if err != nil {
		return err
	}
	for _, t := range tags {
		name := reference.FamiliarString(t)
		if old, ok := moved[name]; ok {
			report(fmt.Sprintf("The image %s already exists, renaming the old one with ID %s to empty string\n", name, old))
		}
		report("Loaded image: " + name + "\n")
	}
	if len(tags) == 0 {
		report("Loaded image ID: " + id.String() + "\n")
	}
	return nil
}

// putLayer decompresses a layer into the blob store, refusing it unless it
// matches diffID.
func (s *Service) putLayer(ctx context.Context, open func() (io.ReadCloser, error), diffID digest.Digest) error {
	if s.hasBlob(ctx, diffID) {
		return nil
	}
	f, err := open()
	if err != nil {
		return err
	}
	defer f.Close()
	rc, err := compression.DecompressStream(f)
	if err != nil {
		return errs.Invalid("layer %s: %v", diffID, err)
	}
	defer rc.Close()
	if _, err := s.blobs.Put(ctx, rc, diffID); err != nil {
		return fmt.Errorf("layer %s: %w", diffID, err)
	}
	return nil
}

// loadOCILayout loads every image named in index.json. Nested indexes
// (multi-platform images) contribute the manifest for this platform.
func (s *Service) loadOCILayout(ctx context.Context, a *spooled, report func(string)) error {
	var idx ocispec.Index
	if err := a.readJSON(ocispec.Descriptor{}, "index.json", &idx); err != nil {
		return err
	}
	for _, desc := range idx.Manifests {
		m, err := a.pickManifest(desc, 0)
		if err != nil {
			return err
		}
		raw, err := a.readBlob(m.Config)
		if err != nil {
			return err
		}
		layers := make([]func() (io.ReadCloser, error), len(m.Layers))
		for i, l := range m.Layers {
			layers[i] = func() (io.ReadCloser, error) { return a.openBlob(l) }
		}
		var tags []reference.NamedTagged
		if name := ociRefName(desc.Annotations); name != "" {
			named, err := parseNamed(name)
			if err != nil {
				return errs.Invalid("invalid image name %q: %v", name, err)
			}
			tags = append(tags, named)
		}
		if err := s.loadOne(ctx, raw, layers, tags, report); err != nil {
			return err
		}
	}
	return nil
}

// ociRefName is the image name an index entry carries: containerd's (and
// docker 25+'s) full name, else the OCI ref name when it is a full
// reference rather than just a tag.
func ociRefName(ann map[string]string) string {
	if n := ann["io.containerd.image.name"]; n != "" {
		return n
	}
	if n := ann[ocispec.AnnotationRefName]; strings.ContainsAny(n, ":/") {
		return n
	}
	return ""
}

func (a *spooled) blobName(d digest.Digest) (string, error) {
	if err := d.Validate(); err != nil {
		return "", errs.Invalid("invalid digest %q", d)
	}
	return "blobs/" + d.Algorithm().String() + "/" + d.Encoded(), nil
}

// readBlob reads a small blob (manifest, config) and checks its digest.
func (a *spooled) readBlob(desc ocispec.Descriptor) ([]byte, error) {
	name, err := a.blobName(desc.Digest)
	if err != nil {
		return nil, err
	}
	b, err := a.read(name)
	if err != nil {
		return nil, err
	}
	if desc.Digest.Algorithm().FromBytes(b) != desc.Digest {
		return nil, errs.Invalid("invalid archive: blob %s does not match its digest", desc.Digest)
	}
	return b, nil
}

func (a *spooled) readJSON(desc ocispec.Descriptor, name string, v any) error {
	var b []byte
	var err error
	if name != "" {
		b, err = a.read(name)
	} else {
		b, err = a.readBlob(desc)
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return errs.Invalid("invalid %s: %v", name+desc.Digest.String(), err)
	}
	return nil
}

// openBlob opens a layer blob. Its digest is checked indirectly: the
// decompressed content must match the config's diff ID.
func (a *spooled) openBlob(desc ocispec.Descriptor) (io.ReadCloser, error) {
	name, err := a.blobName(desc.Digest)
	if err != nil {
		return nil, err
	}
	return a.open(name)
}

func (a *spooled) pickManifest(desc ocispec.Descriptor, depth int) (*ocispec.Manifest, error) {
	if depth > 4 {
		return nil, errs.Invalid("invalid archive: indexes nested too deep")
	}
	switch desc.MediaType {
	case ocispec.MediaTypeImageIndex, "application/vnd.docker.distribution.manifest.list.v2+json":
		var idx ocispec.Index
		if err := a.readJSON(desc, "", &idx); err != nil {
			return nil, err
		}
		for _, d := range idx.Manifests {
			p := d.Platform
			if p == nil || (p.OS == "linux" && p.Architecture == runtime.GOARCH) {
				// Skip attestation manifests, which carry no platform of ours.
				if d.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
					continue
				}
				return a.pickManifest(d, depth+1)
			}
		}
		return nil, errs.NotFound("no image for linux/%s in %s", runtime.GOARCH, desc.Digest)
	case ocispec.MediaTypeImageManifest, "application/vnd.docker.distribution.manifest.v2+json", "":
		var m ocispec.Manifest
		if err := a.readJSON(desc, "", &m); err != nil {
			return nil, err
		}
		return &m, nil
	}
	return nil, errs.Invalid("unsupported media type %s", desc.MediaType)
}

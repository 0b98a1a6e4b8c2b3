package image

import (
	"archive/tar"
	"context"
	"encoding/json"
	"io"
	"time"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/wharf/wharf/internal/ctxio"
	"github.com/wharf/wharf/internal/errs"
)

// saveItem is one image to save and the tags to save it under.
type saveItem struct {
	e    *entry
	tags []reference.NamedTagged
}

// save answers "docker save": it writes to w a tar holding both a
// docker-archive (manifest.json, repositories) and an OCI image layout
// (oci-layout, index.json, blobs/sha256/...), as docker 25+ does, so both
// old and new loaders accept it. Layer blobs are uncompressed tars, so
// their digests equal the diff IDs.
func (s *Service) save(ctx context.Context, refs []string, w io.Writer) error {
	items, err := s.resolveSave(refs)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	// A fixed time keeps the archive reproducible.
	mtime := time.Unix(0, 0)
	for _, d := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(&tar.Header{Name: d, Typeflag: tar.TypeDir, Mode: 0o755, ModTime: mtime}); err != nil {
			return err
		}
	}
	written := map[digest.Digest]bool{}
	writeBytes := func(name string, b []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(b)), ModTime: mtime}); err != nil {
			return err
		}
		_, err := tw.Write(b)
		return err
	}
	writeBlob := func(b []byte) (ocispec.Descriptor, error) {
		d := digest.FromBytes(b)
		if !written[d] {
			written[d] = true
			if err := writeBytes("blobs/sha256/"+d.Encoded(), b); err != nil {
				return ocispec.Descriptor{}, err
			}
		}
		return ocispec.Descriptor{Digest: d, Size: int64(len(b))}, nil
	}

	var manifests []archiveManifest
	index := ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex}
	repositories := map[string]map[string]string{}
	for _, it := range items {
		cfgDesc, err := writeBlob(it.e.raw)
		if err != nil {
			return err
		}
		cfgDesc.MediaType = ocispec.MediaTypeImageConfig
		m := ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest, Config: cfgDesc}
		am := archiveManifest{Config: "blobs/sha256/" + cfgDesc.Digest.Encoded(), RepoTags: []string{}}
		for _, d := range it.e.config.RootFS.DiffIDs {
			size, err := s.writeLayerBlob(ctx, tw, d, written, mtime)
			if err != nil {
				return err
			}
			m.Layers = append(m.Layers, ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: d, Size: size})
			am.Layers = append(am.Layers, "blobs/sha256/"+d.Encoded())
		}
		mb, err := json.Marshal(m)
		if err != nil {
			return err
		}
		mDesc, err := writeBlob(mb)
		if err != nil {
			return err
		}
		mDesc.MediaType = ocispec.MediaTypeImageManifest
		if len(it.tags) == 0 {
			index.Manifests = append(index.Manifests, mDesc)
		}
		for _, t := range it.tags {
			d := mDesc
			d.Annotations = map[string]string{
				"io.containerd.image.name": t.String(),
				ocispec.AnnotationRefName:  t.Tag(),
			}
			index.Manifests = append(index.Manifests, d)
			am.RepoTags = append(am.RepoTags, reference.FamiliarString(t))
			if diffs := it.e.config.RootFS.DiffIDs; len(diffs) > 0 {
				repo := reference.FamiliarName(t)
				if repositories[repo] == nil {
					repositories[repo] = map[string]string{}
				}
				repositories[repo][t.Tag()] = diffs[len(diffs)-1].Encoded()
			}
		}
		manifests = append(manifests, am)
	}
	for _, f := range []struct {
		name string
		v    any
	}{
		{"index.json", index},
		{"manifest.json", manifests},
		{"oci-layout", ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion}},
		{"repositories", repositories},
	} {
		b, err := json.Marshal(f.v)
		if err != nil {
			return err
		}
		if err := writeBytes(f.name, b); err != nil {
			return err
		}
	}
	return tw.Close()
}

// writeLayerBlob copies a layer tar from the store into the archive once.
func (s *Service) writeLayerBlob(ctx context.Context, tw *tar.Writer, d digest.Digest, written map[digest.Digest]bool, mtime time.Time) (int64, error) {
	f, err := s.openBlob(ctx, d)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if written[d] {
		return f.Size(), nil
	}
	written[d] = true
	if err := tw.WriteHeader(&tar.Header{Name: "blobs/sha256/" + d.Encoded(), Typeflag: tar.TypeReg, Mode: 0o644, Size: f.Size(), ModTime: mtime}); err != nil {
		return 0, err
	}
	_, err = io.Copy(tw, ctxio.Reader(ctx, f))
	return f.Size(), err
}

// resolveSave maps save arguments to images: "name:tag" saves that tag,
// a bare name every tag of that repository, an ID the image untagged.
func (s *Service) resolveSave(refs []string) ([]saveItem, error) {
	if len(refs) == 0 {
		return nil, errs.Invalid("no images specified")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var items []saveItem
	pos := map[digest.Digest]int{}
	for _, ref := range refs {
		e, err := s.lookup(ref)
		if err != nil {
			return nil, err
		}
		var tags []reference.NamedTagged
		if !isIDPrefix(e.id, ref) {
			named, err := reference.ParseNormalizedNamed(ref)
			if err != nil {
				return nil, errs.Invalid("%v", err)
			}
			if reference.IsNameOnly(named) {
				for _, r := range s.refs.refsOf(e.id) {
					if r.Name() == named.Name() {
						tags = append(tags, r)
					}
				}
			} else if t, err := parseNamed(ref); err == nil {
				tags = append(tags, t)
			}
		}
		i, ok := pos[e.id]
		if !ok {
			pos[e.id] = len(items)
			items = append(items, saveItem{e: e})
			i = len(items) - 1
		}
		for _, t := range tags {
			if !containsRef(items[i].tags, t) {
				items[i].tags = append(items[i].tags, t)
			}
		}
	}
	return items, nil
}

func containsRef(list []reference.NamedTagged, r reference.NamedTagged) bool {
	for _, x := range list {
		if x.String() == r.String() {
			return true
		}
	}
	return false
}

package image

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/go-archive/compression"
	"github.com/moby/moby/client/pkg/progress"
	"github.com/opencontainers/go-digest"
	"golang.org/x/sync/errgroup"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/errs"
)

// defaultMaxDownloads is dockerd's default (max-concurrent-downloads).
const defaultMaxDownloads = 3

// parsePlatform reads "os[/arch[/variant]]"; "" is linux on this machine's
// architecture.
func parsePlatform(s string) (v1.Platform, error) {
	p := v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
	if s == "" {
		return p, nil
	}
	parts := strings.Split(strings.ToLower(s), "/")
	if len(parts) > 3 || parts[0] == "" {
		return p, errs.Invalid("invalid platform %q: expected os[/arch[/variant]]", s)
	}
	p.OS = parts[0]
	if len(parts) > 1 {
		p.Architecture = parts[1]
	}
	if len(parts) > 2 {
		p.Variant = parts[2]
	}
	if p.Architecture == "aarch64" {
		p.Architecture = "arm64"
	}
	if p.Architecture == "x86_64" || p.Architecture == "x86-64" {
		p.Architecture = "amd64"
	}
	return p, nil
}

func platformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// selectManifest picks the entry of an index for platform want, skipping
// attestations ("unknown/unknown"), as dockerd does.
func selectManifest(idx *v1.IndexManifest, want v1.Platform) (v1.Descriptor, error) {
	for _, d := range idx.Manifests {
		if !d.MediaType.IsImage() && d.MediaType != "" {
			continue
		}
		p := d.Platform
		if p == nil || p.OS != want.OS || p.Architecture != want.Architecture {
			continue
		}
		if want.Variant != "" && p.Variant != want.Variant && !(p.Variant == "" && want.Variant == "v8") {
			continue
		}
		return d, nil
	}
	return v1.Descriptor{}, errs.NotFound("no matching manifest for %s in the manifest list entries", platformString(want))
}

// PullOptions are the parameters of a pull besides the reference (the API
// layer's type).
type PullOptions = backend.ImagePullOptions

// pull fetches ref from its registry and stores it as an image, writing
// dockerd's progress messages to out. Layers download concurrently and
// every blob is checked against its digest; the image (record and tag)
// appears only once everything is stored, so an interrupted pull leaves
// no half image, and the next pull reuses the layers already fetched.
func (s *Service) pull(ctx context.Context, ref reference.Named, o PullOptions, out progress.Output) error {
	changed, err := s.pullOne(ctx, ref, o, out)
	if err != nil {
		return err
	}
	writeStatus(out, reference.FamiliarString(ref), changed)
	return nil
}

func writeStatus(out progress.Output, name string, changed bool) {
	if changed {
		progress.Message(out, "", "Status: Downloaded newer image for "+name)
	} else {
		progress.Message(out, "", "Status: Image is up to date for "+name)
	}
}

// pullAllTags is `pull --all-tags`: every tag of repo, one after the other.
func (s *Service) pullAllTags(ctx context.Context, repo reference.Named, o PullOptions, out progress.Output) error {
	r, err := s.repoOf(repo)
	if err != nil {
		return err
	}
	tags, err := remote.List(r, remote.WithContext(ctx), remote.WithAuth(authenticator(o.Auth)), remote.WithTransport(s.baseTransport(r.RegistryStr())))
	if err != nil {
		return registryError(err, reference.TagNameOnly(repo), true)
	}
	sort.Strings(tags)
	changed := false
	for _, tag := range tags {
		ref, err := reference.WithTag(reference.TrimNamed(repo), tag)
		if err != nil {
			continue
		}
		c, err := s.pullOne(ctx, ref, o, out)
		if err != nil {
			return err
		}
		changed = changed || c
	}
	writeStatus(out, reference.FamiliarName(repo), changed)
	return nil
}

// pullOne pulls ref and reports whether anything changed (a layer was
// downloaded, or the image or this reference to it is new).
func (s *Service) pullOne(ctx context.Context, ref reference.Named, o PullOptions, out progress.Output) (bool, error) {
	platform, err := parsePlatform(o.Platform)
	if err != nil {
		return false, err
	}
	repo, err := s.repoOf(ref)
	if err != nil {
		return false, err
	}
	var rref name.Reference
	tagOrDigest := ""
	switch r := ref.(type) {
	case reference.Canonical:
		tagOrDigest = r.Digest().String()
		rref = repo.Digest(tagOrDigest)
	case reference.Tagged:
		tagOrDigest = r.Tag()
		rref = repo.Tag(tagOrDigest)
	default:
		return false, errs.Invalid("invalid reference %s", ref)
	}
	// The registry's mirrors first (mirrors.go), anonymously: the
	// credentials are the registry's.
	mirrorRepo, desc, fromMirror := s.getFromMirrors(ref, []remote.Option{remote.WithContext(ctx)})
	if fromMirror {
		repo = mirrorRepo
	} else {
		// As dockerd, fetch the manifest before saying anything, so a bad
		// name or credentials give an error status rather than a stream.
		desc, err = remote.Get(rref, remote.WithContext(ctx), remote.WithAuth(authenticator(o.Auth)),
			remote.WithTransport(s.baseTransport(repo.RegistryStr())))
		if err != nil {
			return false, registryError(err, ref, true)
		}
	}
	progress.Message(out, tagOrDigest, "Pulling from "+reference.Path(ref))
	manifestDigest := digest.Digest(desc.Digest.String())
	var img v1.Image
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return false, registryError(err, ref, true)
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return false, registryError(err, ref, true)
		}
		child, err := selectManifest(im, platform)
		if err != nil {
			return false, err
		}
		if img, err = idx.Image(child.Digest); err != nil {
			return false, registryError(err, ref, true)
		}
	} else if desc.MediaType.IsImage() {
		if img, err = desc.Image(); err != nil {
			return false, registryError(err, ref, true)
		}
	} else {
		return false, errs.Invalid("unsupported manifest media type %s for %s", desc.MediaType, reference.FamiliarString(ref))
	}
	m, err := img.Manifest()
	if err != nil {
		return false, registryError(err, ref, true)
	}
	raw, err := img.RawConfigFile()
	if err != nil {
		return false, registryError(err, ref, true)
	}
	if digest.FromBytes(raw).String() != m.Config.Digest.String() {
		return false, errs.Invalid("image config for %s does not match its digest %s", reference.FamiliarString(ref), m.Config.Digest)
	}
	var cfg dockerspec.DockerOCIImage
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return false, errs.Invalid("invalid image config: %v", err)
	}
	if len(cfg.RootFS.DiffIDs) != len(m.Layers) {
		return false, errs.Invalid("invalid image %s: %d layers for %d diff IDs", reference.FamiliarString(ref), len(m.Layers), len(cfg.RootFS.DiffIDs))
	}
	if o.Platform != "" && !desc.MediaType.IsIndex() && (cfg.OS != platform.OS || cfg.Architecture != platform.Architecture) {
		return false, errs.NotFound("image with reference %s was found but its platform (%s/%s) does not match the specified platform (%s)",
			reference.FamiliarString(ref), cfg.OS, cfg.Architecture, platformString(platform))
	}
	// "Image is up to date" when the image and this reference to it were
	// both here already.
	configID := digest.FromBytes(raw)
	s.mu.RLock()
	_, existed := s.images[configID]
	var oldID digest.Digest
	switch r := ref.(type) {
	case reference.NamedTagged:
		oldID, _ = s.refs.get(r)
	case reference.Canonical:
		oldID, _ = s.refs.getDigest(r)
	}
	s.mu.RUnlock()

	downloaded, err := s.pullLayers(ctx, img, m, cfg.RootFS.DiffIDs, repo.String(), out)
	if err != nil {
		return false, registryError(err, ref, true)
	}
	// Extract the new layers, lowest first, as dockerd reports them.
	for i, chain := range chainIDs(cfg.RootFS.DiffIDs) {
		l := m.Layers[i]
		if !downloaded[l.Digest.String()] {
			continue
		}
		id := shortDigest(l.Digest.String())
		extracting := func(r io.Reader, size int64) io.Reader {
			return progress.NewProgressReader(io.NopCloser(r), out, size, id, "Extracting")
		}
		if err := s.createLayer(ctx, chain, cfg.RootFS.DiffIDs[i], extracting); err != nil {
			return false, err
		}
		progress.Update(out, id, "Pull complete")
	}
	var tags []reference.NamedTagged
	if t, ok := ref.(reference.NamedTagged); ok {
		tags = append(tags, t)
	}
	id, _, err := s.addImage(ctx, raw, tags)
	if err != nil {
		return false, err
	}
	canon, err := reference.WithDigest(reference.TrimNamed(ref), manifestDigest)
	if err == nil {
		s.mu.Lock()
		s.refs.setDigest(canon, id)
		err = s.refs.save()
		s.mu.Unlock()
	}
	if err != nil {
		return false, err
	}
	progress.Message(out, "", "Digest: "+manifestDigest.String())
	return len(downloaded) > 0 || !existed || oldID != id, nil
}

// shortDigest is the 12-hex-character ID progress lines carry.
func shortDigest(d string) string {
	d = strings.TrimPrefix(d, "sha256:")
	if len(d) > 12 {
		d = d[:12]
	}
	return d
}

// pullLayers downloads the layers not yet stored, at most
// maxConcurrentDownloads at a time, and returns the compressed digests it
// downloaded.
func (s *Service) pullLayers(ctx context.Context, img v1.Image, m *v1.Manifest, diffIDs []digest.Digest, repo string, out progress.Output) (map[string]bool, error) {
	type job struct {
		layer  v1.Descriptor
		diffID digest.Digest
	}
	var jobs []job
	seen := map[digest.Digest]bool{}
	for i, l := range m.Layers {
		id := shortDigest(l.Digest.String())
		if s.hasBlob(ctx, diffIDs[i]) || seen[diffIDs[i]] {
			if !seen[diffIDs[i]] {
				progress.Update(out, id, "Already exists")
			}
			seen[diffIDs[i]] = true
			continue
		}
		seen[diffIDs[i]] = true
		progress.Update(out, id, "Pulling fs layer")
		jobs = append(jobs, job{l, diffIDs[i]})
	}
	maxConcurrentDownloads := s.transferLimit(&s.maxDownloads, defaultMaxDownloads)
	for i, j := range jobs {
		if i >= maxConcurrentDownloads {
			progress.Update(out, shortDigest(j.layer.Digest.String()), "Waiting")
		}
	}
	// The first failure cancels the other downloads and is the error.
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(maxConcurrentDownloads)
	var mu sync.Mutex
	downloaded := map[string]bool{}
	for _, j := range jobs {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := s.pullLayer(ctx, img, j.layer, j.diffID, out); err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			downloaded[j.layer.Digest.String()] = true
			s.noteLayer(j.diffID, digest.Digest(j.layer.Digest.String()), j.layer.Size, string(j.layer.MediaType), repo)
			return nil
		})
	}
	err := g.Wait()
	return downloaded, err
}

// pullLayer downloads one layer blob, checks its digest, decompresses it
// (gzip, zstd or none) and stores the tar, which must match diffID.
func (s *Service) pullLayer(ctx context.Context, img v1.Image, l v1.Descriptor, diffID digest.Digest, out progress.Output) error {
	id := shortDigest(l.Digest.String())
	layer, err := img.LayerByDigest(l.Digest)
	if err != nil {
		return err
	}
	rc, err := layer.Compressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	pr := progress.NewProgressReader(rc, out, l.Size, id, "Downloading")
	dec, err := compression.DecompressStream(pr)
	if err != nil {
		return fmt.Errorf("layer %s: %w", l.Digest, err)
	}
	_, err = s.blobs.Put(ctx, dec, diffID)
	dec.Close()
	if err != nil {
		return fmt.Errorf("layer %s: %w", l.Digest, err)
	}
	// Read to the end of the compressed stream, so its digest is checked
	// (the verifying reader reports a mismatch at EOF).
	if _, err := io.Copy(io.Discard, pr); err != nil {
		s.removeBlobIfUnused(ctx, diffID)
		return fmt.Errorf("layer %s: %w", l.Digest, err)
	}
	progress.Update(out, id, "Verifying Checksum")
	progress.Update(out, id, "Download complete")
	return nil
}

// removeBlobIfUnused drops a blob that failed verification late, unless an
// image already uses it.
func (s *Service) removeBlobIfUnused(ctx context.Context, d digest.Digest) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.pins[blobFile(d)] > 0 {
		return
	}
	for _, e := range s.images {
		for _, x := range e.config.RootFS.DiffIDs {
			if x == d {
				return
			}
		}
	}
	if err := s.deleteBlob(ctx, d); err != nil {
		s.log.Warn("removing blob", "digest", d, "err", err)
	}
}

// Reference is an image reference as pull takes it (name:tag or name@digest).
type Reference = reference.Named

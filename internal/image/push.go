package image

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/klauspost/compress/gzip"
	registrytypes "github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client/pkg/progress"
	"github.com/opencontainers/go-digest"
	"golang.org/x/sync/errgroup"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/ctxio"
	"github.com/wharf/wharf/internal/errs"
)

// Media types of the docker schema 2 manifests push writes, as dockerd does.
const (
	mediaTypeDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	mediaTypeDockerConfig   = "application/vnd.docker.container.image.v1+json"
	mediaTypeDockerLayer    = "application/vnd.docker.image.rootfs.diff.tar.gzip"
	mediaTypeOCILayerGzip   = "application/vnd.oci.image.layer.v1.tar+gzip"
)

type descriptor struct {
	MediaType string        `json:"mediaType"`
	Size      int64         `json:"size"`
	Digest    digest.Digest `json:"digest"`
}

type schema2Manifest struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Config        descriptor   `json:"config"`
	Layers        []descriptor `json:"layers"`
}

// PushOptions are the parameters of a push besides the reference (the API
// layer's type).
type PushOptions = backend.ImagePushOptions

// push sends the image(s) named repo (one tag, or every tag of the
// repository when tag is empty) to their registry, writing dockerd's
// progress messages to out.
func (s *Service) push(ctx context.Context, repo, tag string, o PushOptions, out progress.Output) error {
	named, err := reference.ParseNormalizedNamed(repo)
	if err != nil {
		return errs.InvalidReference(err)
	}
	named = reference.TrimNamed(named)
	type item struct {
		tag reference.NamedTagged
		e   *entry
	}
	var items []item
	s.mu.RLock()
	for k, id := range s.refs.byRef {
		t, err := parseNamed(k)
		if err != nil || t.Name() != named.Name() || (tag != "" && t.Tag() != tag) {
			continue
		}
		if e := s.images[id]; e != nil {
			items = append(items, item{t, e})
		}
	}
	s.mu.RUnlock()
	if len(items) == 0 {
		what := reference.FamiliarName(named)
		if tag != "" {
			what += ":" + tag
		}
		return errs.NotFound("An image does not exist locally with the tag: %s", what)
	}
	sort.Slice(items, func(i, j int) bool { return items[i].tag.Tag() < items[j].tag.Tag() })

	progress.Message(out, "", "The push refers to repository ["+named.Name()+"]")
	rc, err := s.newRegistryClient(ctx, named, o.Auth, true)
	if err != nil {
		return registryError(err, named, false)
	}
	for _, it := range items {
		if err := s.pushOne(ctx, rc, it.tag, it.e, out); err != nil {
			return registryError(err, named, false)
		}
	}
	return nil
}

// registryClient speaks the distribution API to one repository.
type registryClient struct {
	hc   *http.Client
	reg  name.Registry
	repo name.Repository
	base string // scheme://host/v2/<path>
}

// newRegistryClient authenticates to named's registry for pull (and push)
// on its repository, and pull on the repositories layers may be mounted
// from.
func (s *Service) newRegistryClient(ctx context.Context, named reference.Named, ac registrytypes.AuthConfig, push bool) (*registryClient, error) {
	repo, err := s.repoOf(named)
	if err != nil {
		return nil, err
	}
	reg := repo.Registry
	scopes := []string{repo.Scope(transport.PullScope)}
	if push {
		scopes = []string{repo.Scope(transport.PushScope)}
	}
	rt, err := transport.NewWithContext(ctx, reg, authenticator(ac), s.baseTransport(reg.RegistryStr()), scopes)
	if err != nil {
		return nil, err
	}
	return &registryClient{
		hc:   &http.Client{Transport: rt},
		reg:  reg,
		repo: repo,
		base: fmt.Sprintf("%s://%s/v2/%s", reg.Scheme(), reg.RegistryStr(), repo.RepositoryStr()),
	}, nil
}

// do sends a request and checks its status against ok.
func (c *registryClient) do(ctx context.Context, method, u string, body io.Reader, hdr http.Header, ok ...int) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	if err := transport.CheckError(resp, ok...); err != nil {
		resp.Body.Close()
		return nil, err
	}
	return resp, nil
}

// hasBlob asks the registry whether the repository has blob d.
func (c *registryClient) hasBlob(ctx context.Context, d digest.Digest) bool {
	resp, err := c.do(ctx, http.MethodHead, c.base+"/blobs/"+d.String(), nil, nil, http.StatusOK)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return true
}

// location resolves an upload's Location header against the request URL.
func location(resp *http.Response) (string, error) {
	loc, err := resp.Location()
	if err != nil {
		return "", fmt.Errorf("registry gave no upload location: %w", err)
	}
	return loc.String(), nil
}

// startUpload begins an upload session; with from set it first asks for
// a cross-repository mount and reports whether that succeeded.
func (c *registryClient) startUpload(ctx context.Context, mount digest.Digest, from string) (loc string, mounted bool, err error) {
	u := c.base + "/blobs/uploads/"
	if mount != "" {
		u += "?" + url.Values{"mount": {mount.String()}, "from": {from}}.Encode()
	}
	resp, err := c.do(ctx, http.MethodPost, u, nil, nil, http.StatusAccepted, http.StatusCreated)
	if err != nil {
		return "", false, err
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusCreated {
		return "", true, nil
	}
	loc, err = location(resp)
	return loc, false, err
}

// upload sends body (streamed, size unknown) and commits it as d,
// which digestFn gives once body is consumed.
func (c *registryClient) upload(ctx context.Context, loc string, body io.Reader, digestFn func() digest.Digest) error {
	hdr := http.Header{"Content-Type": {"application/octet-stream"}}
	resp, err := c.do(ctx, http.MethodPatch, loc, body, hdr, http.StatusAccepted, http.StatusNoContent, http.StatusCreated)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if loc, err = location(resp); err != nil {
		return err
	}
	u, err := url.Parse(loc)
	if err != nil {
		return err
	}
	q := u.Query()
	q.Set("digest", digestFn().String())
	u.RawQuery = q.Encode()
	resp, err = c.do(ctx, http.MethodPut, u.String(), http.NoBody, hdr, http.StatusCreated)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

func (s *Service) pushOne(ctx context.Context, c *registryClient, tag reference.NamedTagged, e *entry, out progress.Output) error {
	repoName := c.repo.String() // "registry/path", as layer infos record it
	layers, err := s.pushLayers(ctx, c, e.config.RootFS.DiffIDs, repoName, out)
	if err != nil {
		return err
	}
	cfg := descriptor{MediaType: mediaTypeDockerConfig, Size: int64(len(e.raw)), Digest: e.id}
	if !c.hasBlob(ctx, e.id) {
		loc, _, err := c.startUpload(ctx, "", "")
		if err != nil {
			return err
		}
		if err := c.upload(ctx, loc, bytes.NewReader(e.raw), func() digest.Digest { return e.id }); err != nil {
			return err
		}
	}
	m := schema2Manifest{SchemaVersion: 2, MediaType: mediaTypeDockerManifest, Config: cfg, Layers: layers}
	mb, err := json.MarshalIndent(m, "", "   ")
	if err != nil {
		return err
	}
	resp, err := c.do(ctx, http.MethodPut, c.base+"/manifests/"+tag.Tag(), bytes.NewReader(mb),
		http.Header{"Content-Type": {mediaTypeDockerManifest}}, http.StatusCreated, http.StatusOK, http.StatusAccepted)
	if err != nil {
		return err
	}
	resp.Body.Close()
	md := digest.FromBytes(mb)
	canon, err := reference.WithDigest(reference.TrimNamed(tag), md)
	if err == nil {
		s.mu.Lock()
		if s.images[e.id] != nil {
			s.refs.setDigest(canon, e.id)
			err = s.refs.save()
		}
		s.mu.Unlock()
	}
	if err != nil {
		return err
	}
	progress.Messagef(out, "", "%s: digest: %s size: %d", tag.Tag(), md, len(mb))
	progress.Aux(out, struct {
		Tag    string
		Digest string
		Size   int
	}{tag.Tag(), md.String(), len(mb)})
	return nil
}

// defaultMaxUploads is dockerd's default (max-concurrent-uploads).
const defaultMaxUploads = 5

// pushLayers pushes the layers, at most max-concurrent-uploads at a time,
// and returns their descriptors in order.
func (s *Service) pushLayers(ctx context.Context, c *registryClient, diffIDs []digest.Digest, repoName string, out progress.Output) ([]descriptor, error) {
	maxConcurrentUploads := s.transferLimit(&s.maxUploads, defaultMaxUploads)
	for i, diffID := range diffIDs {
		if i < maxConcurrentUploads {
			progress.Update(out, shortDigest(diffID.String()), "Preparing")
		} else {
			progress.Update(out, shortDigest(diffID.String()), "Waiting")
		}
	}
	// The first failure cancels the other uploads and is the error.
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(maxConcurrentUploads)
	layers := make([]descriptor, len(diffIDs))
	for i, diffID := range diffIDs {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			var err error
			layers[i], err = s.pushLayer(ctx, c, diffID, repoName, out)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return layers, nil
}

// pushLayer makes sure the registry has layer diffID: it is already
// there, or mounted from another repository of the same registry, or
// compressed and uploaded now.
func (s *Service) pushLayer(ctx context.Context, c *registryClient, diffID digest.Digest, repoName string, out progress.Output) (descriptor, error) {
	id := shortDigest(diffID.String())
	li, known := s.readLayerInfo(diffID)
	if known && li.MediaType != mediaTypeDockerLayer && li.MediaType != mediaTypeOCILayerGzip {
		known = false // pushed manifests carry gzip layers only
	}
	if known {
		d := descriptor{MediaType: mediaTypeDockerLayer, Size: li.Size, Digest: li.Digest}
		if c.hasBlob(ctx, li.Digest) {
			progress.Update(out, id, "Layer already exists")
			s.noteLayer(diffID, li.Digest, li.Size, mediaTypeDockerLayer, repoName)
			return d, nil
		}
		prefix := c.reg.RegistryStr() + "/"
		for _, src := range li.Repos {
			from, ok := strings.CutPrefix(src, prefix)
			if !ok || src == repoName {
				continue
			}
			_, mounted, err := c.startUpload(ctx, li.Digest, from)
			if err == nil && mounted {
				progress.Update(out, id, "Mounted from "+from)
				s.noteLayer(diffID, li.Digest, li.Size, mediaTypeDockerLayer, repoName)
				return d, nil
			}
		}
	}
	f, err := s.openBlob(ctx, diffID)
	if err != nil {
		return descriptor{}, err
	}
	defer f.Close()
	loc, _, err := c.startUpload(ctx, "", "")
	if err != nil {
		return descriptor{}, err
	}
	// Compress while uploading; the digest is known at the end.
	pr, pw := io.Pipe()
	dg := digest.SHA256.Digester()
	var size countWriter
	go func() {
		zw := gzip.NewWriter(io.MultiWriter(pw, dg.Hash(), &size))
		src := progress.NewProgressReader(io.NopCloser(f), out, f.Size(), id, "Pushing")
		_, err := io.Copy(zw, ctxio.Reader(ctx, src))
		if cerr := zw.Close(); err == nil {
			err = cerr
		}
		pw.CloseWithError(err)
	}()
	err = c.upload(ctx, loc, pr, dg.Digest)
	pr.CloseWithError(io.ErrClosedPipe) // unblocks the writer if the upload failed early
	if err != nil {
		return descriptor{}, err
	}
	progress.Update(out, id, "Pushed")
	s.noteLayer(diffID, dg.Digest(), int64(size), mediaTypeDockerLayer, repoName)
	return descriptor{MediaType: mediaTypeDockerLayer, Size: int64(size), Digest: dg.Digest()}, nil
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

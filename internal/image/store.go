// Package image stores images and answers the Engine API's image verbs
// (list, inspect, tag, rmi, import, load, save, history) and the registry
// ones (pull, push, login; see pull.go, push.go, login.go).
//
// An image's blobs (its config, its layers' uncompressed tars keyed by diff
// ID) are in a content.Store and its extracted layers in a layer.Store,
// both given to New; the daemon roots both at this service's root, so the
// paths are those of before the stores: blobs/sha256/<hex>, layers/ and l/.
// What the service itself keeps under root (every write is temp file +
// fsync + rename, so a kill -9 at any moment leaves either the old or the
// new state):
//
//	images/<hex>.json        one record per image (the image exists iff this
//	                         file exists and is not marked Deleting)
//	repositories.json        name:tag -> image ID, and name@digest -> image
//	                         ID (RepoDigests: the manifest digests registries gave)
//	distribution/<diff>.json for a layer, the compressed blob registries
//	                         hold for it and where (lets push skip or mount it)
//	tmp/                     scratch space, emptied at startup
//
// Lock order: Service.mu, then the stores' own locks (the stores call
// nothing back). mu is never held across a layer's extraction or a
// transfer.
package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/distribution/reference"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errs"
	wevents "github.com/wharf/wharf/internal/events"
	"github.com/wharf/wharf/internal/fsutil"
	"github.com/wharf/wharf/internal/inuse"
	"github.com/wharf/wharf/internal/keylock"
	"github.com/wharf/wharf/internal/store/content"
	"github.com/wharf/wharf/internal/store/layer"
)

// Image is what the container service needs to know about an image.
type Image struct {
	ID       string // "sha256:<hex>" digest of the config JSON
	Config   dockerspec.DockerOCIImage
	RepoTags []string // familiar form, e.g. "busybox:latest"
}

// Users tells which containers use an image (the daemon's inuse.Index,
// which the container service keeps). The store reads it while holding
// its lock; it must never call back into the store.
type Users interface {
	ImageUsers(imageID string) []inuse.User
}

// record is the per-image file images/<hex>.json.
type record struct {
	// Stored is when the image entered this store; the fallback for
	// images whose config carries no creation time.
	Stored      time.Time `json:"stored"`
	LastTagTime time.Time `json:"lastTagTime,omitzero"`
	// Deleting marks a removal in progress; startup finishes it.
	Deleting bool `json:"deleting,omitempty"`
	// KeepLayers: the removal was forced while stopped containers still
	// use the layers, so only the metadata goes.
	KeepLayers bool `json:"keepLayers,omitempty"`
	// Parent is the image this one was built or committed on, as dockerd
	// records it: images with children are intermediate (hidden from
	// the list and kept by prune), and removing an image prunes its
	// untagged parents.
	Parent digest.Digest `json:"parent,omitempty"`
}

// entry is an image as held in the in-memory index.
type entry struct {
	id     digest.Digest
	rec    record
	config dockerspec.DockerOCIImage
	raw    []byte // the config JSON exactly as stored
	size   int64  // sum of the layer tar sizes
}

// Config is what an image service is made of.
type Config struct {
	Root    string         // the service's own records (layout in the package doc)
	Content content.Store  // image configs and layer tars (nil: a local store in Root)
	Layers  layer.Store    // the layers, extracted (nil: an overlay store in Root)
	Users   Users          // which containers use an image (nil: none do)
	Events  wevents.Logger // nil: no events are published
	Log     *slog.Logger   // nil: discard
}

// Service is the image store.
type Service struct {
	root   string
	log    *slog.Logger
	blobs  content.Store
	layers layer.Store
	events wevents.Logger

	// mu guards images and refs. Held only for index work, never across
	// extraction or network/disk streaming of layers. Lock order: mu, then
	// a layer lock or the users index (a leaf); the store calls no other
	// service, and publishes events only with mu released (events.go).
	mu     sync.RWMutex
	images map[digest.Digest]*entry
	refs   *refStore
	users  Users

	infoLocks keylock.Map // one writer of a layer's distribution record at a time

	// insecure lists registries that may be reached over plain HTTP.
	insecure []string
	// mirrors are the registries' pull mirrors (mirrors.go).
	mirrors Mirrors
	// certsDirs overrides CertsDirs (tests).
	certsDirs []string
	// maxDownloads and maxUploads bound a pull's and a push's layers in
	// flight (daemon.json's max-concurrent-*, reloadable); 0 is dockerd's
	// default.
	maxDownloads, maxUploads atomic.Int32
}

// localStores fills in the stores cfg leaves out with local ones in
// cfg.Root (read-write layers in Root/rw), as the daemon lays them out.
func localStores(cfg *Config) error {
	if cfg.Content == nil {
		blobs, err := content.NewLocal(cfg.Root, content.LocalOptions{})
		if err != nil {
			return fmt.Errorf("content store: %w", err)
		}
		cfg.Content = blobs
	}
	if cfg.Layers == nil {
		layers, err := layer.NewOverlay(layer.OverlayConfig{Root: cfg.Root, RWRoot: filepath.Join(cfg.Root, "rw"), Log: cfg.Log})
		if err != nil {
			return fmt.Errorf("layer store: %w", err)
		}
		cfg.Layers = layers
	}
	return nil
}

// New opens (or creates) the store at cfg.Root, finishing or undoing
// whatever a crash interrupted, and builds the in-memory index.
func New(cfg Config) (*Service, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if err := localStores(&cfg); err != nil {
		return nil, err
	}
	root := cfg.Root
	s := &Service{
		root:   root,
		log:    cfg.Log,
		blobs:  cfg.Content,
		layers: cfg.Layers,
		users:  cfg.Users,
		events: cfg.Events,
		images: map[digest.Digest]*entry{},
	}
	for _, d := range []string{"images", "tmp"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o700); err != nil {
			return nil, err
		}
	}
	// Anything in tmp is a write that never reached its rename.
	if err := emptyDir(filepath.Join(root, "tmp")); err != nil {
		return nil, err
	}
	refs, err := loadRefs(filepath.Join(root, "repositories.json"))
	if err != nil {
		return nil, err
	}
	s.refs = refs
	ctx := context.Background()
	if err := s.loadIndex(ctx); err != nil {
		return nil, err
	}
	if err := s.recover(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Ping reports whether the store is usable.
func (s *Service) Ping(ctx context.Context) error {
	_, err := os.Stat(filepath.Join(s.root, "images"))
	return err
}

func (s *Service) usersOf(id digest.Digest) []inuse.User {
	if s.users == nil {
		return nil
	}
	return s.users.ImageUsers(id.String())
}

func (s *Service) recordPath(id digest.Digest) string {
	return filepath.Join(s.root, "images", id.Encoded()+".json")
}

// loadIndex reads every image record and its config.
func (s *Service) loadIndex(ctx context.Context) error {
	des, err := os.ReadDir(filepath.Join(s.root, "images"))
	if err != nil {
		return err
	}
	for _, de := range des {
		hex, ok := strings.CutSuffix(de.Name(), ".json")
		if !ok {
			continue
		}
		id := digest.NewDigestFromEncoded(digest.SHA256, hex)
		if id.Validate() != nil {
			continue
		}
		var rec record
		b, err := os.ReadFile(filepath.Join(s.root, "images", de.Name()))
		if err == nil {
			err = json.Unmarshal(b, &rec)
		}
		if err != nil {
			return fmt.Errorf("image record %s: %w", hex, err)
		}
		e, err := s.loadEntry(ctx, id, rec)
		if err != nil {
			// A record whose config is gone cannot be served; keep the
			// daemon up and say so.
			s.log.Warn("dropping unreadable image", "id", id, "err", err)
			continue
		}
		s.images[id] = e
	}
	return nil
}

// loadEntry builds an index entry from the stored config blob.
func (s *Service) loadEntry(ctx context.Context, id digest.Digest, rec record) (*entry, error) {
	raw, err := content.ReadBlob(ctx, s.blobs, id)
	if err != nil {
		return nil, err
	}
	e := &entry{id: id, rec: rec, raw: raw}
	if err := json.Unmarshal(raw, &e.config); err != nil {
		return nil, err
	}
	for _, d := range e.config.RootFS.DiffIDs {
		e.size += s.blobSize(ctx, d)
	}
	return e, nil
}

// recover finishes interrupted deletions, drops references to missing
// images, and removes unreferenced blobs and layers (the layer store has
// removed half-extracted layers when it was opened).
func (s *Service) recover(ctx context.Context) error {
	for id, e := range s.images {
		if e.rec.Deleting {
			delete(s.images, id)
			if err := s.removeImageData(ctx, e); err != nil {
				return err
			}
		}
	}
	if s.refs.dropMissing(func(id string) bool { _, ok := s.images[digest.Digest(id)]; return ok }) {
		if err := s.refs.save(); err != nil {
			return err
		}
	}
	if err := s.cleanBlobs(ctx); err != nil {
		return err
	}
	return s.cleanLayers(ctx)
}

// cleanBlobs removes blobs no image refers to: leftovers of an import or
// load that crashed before writing its image record.
func (s *Service) cleanBlobs(ctx context.Context) error {
	used := map[digest.Digest]bool{}
	for id, e := range s.images {
		used[id] = true
		for _, d := range e.config.RootFS.DiffIDs {
			used[d] = true
		}
	}
	var unused []digest.Digest
	err := s.blobs.Walk(ctx, func(i content.Info) error {
		if !used[i.Digest] {
			unused = append(unused, i.Digest)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, d := range unused {
		s.log.Debug("removing unreferenced blob", "digest", d)
		if err := s.deleteBlob(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

// lookup resolves ref the way dockerd's GetImage does: an ID (full, with or
// without "sha256:"), then a name[:tag], then an unambiguous ID prefix.
// Caller holds s.mu.
func (s *Service) lookup(ref string) (*entry, error) {
	if ref == "" {
		return nil, errs.NotFound("No such image: %s", ref)
	}
	if id, ok := fullID(ref); ok {
		if e := s.images[id]; e != nil {
			return e, nil
		}
		return nil, errs.NotFound("No such image: %s", ref)
	}
	if c, ok := parseCanonical(ref); ok {
		if id, ok := s.refs.getDigest(c); ok && s.images[id] != nil {
			return s.images[id], nil
		}
		return nil, errs.NotFound("No such image: %s", ref)
	}
	named, err := parseNamed(ref)
	if err != nil && !isHexPrefix(ref) {
		return nil, errs.InvalidReference(err)
	}
	if err == nil {
		if id, ok := s.refs.get(named); ok {
			if e := s.images[id]; e != nil {
				return e, nil
			}
		}
	}
	if e := s.searchPrefix(ref); e != nil {
		return e, nil
	}
	if err == nil {
		// dockerd's ErrImageDoesNotExist names the tag it looked for.
		return nil, errs.NotFound("No such image: %s", reference.FamiliarString(named))
	}
	return nil, errs.NotFound("No such image: %s", ref)
}

// searchPrefix finds the one image whose ID starts with p; none or several
// give nil (dockerd reports an ambiguous prefix as "No such image" too).
func (s *Service) searchPrefix(p string) *entry {
	p = strings.TrimPrefix(p, "sha256:")
	if !isHexPrefix(p) {
		return nil
	}
	var found *entry
	for id, e := range s.images {
		if strings.HasPrefix(id.Encoded(), p) {
			if found != nil {
				return nil
			}
			found = e
		}
	}
	return found
}

// fullID recognises "sha256:<64 hex>" and bare "<64 hex>".
func fullID(ref string) (digest.Digest, bool) {
	hex := strings.TrimPrefix(ref, "sha256:")
	if len(hex) != 64 || !isHexPrefix(hex) {
		return "", false
	}
	return digest.NewDigestFromEncoded(digest.SHA256, hex), true
}

func isHexPrefix(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Get resolves ref to an image.
func (s *Service) Get(ctx context.Context, ref string) (*Image, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, err := s.lookup(ref)
	if err != nil {
		return nil, err
	}
	return &Image{ID: e.id.String(), Config: e.config, RepoTags: s.refs.tagsOf(e.id)}, nil
}

// writeRecord persists rec for id atomically.
func (s *Service) writeRecord(id digest.Digest, rec record) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return atomicWrite(s.recordPath(id), b)
}

// atomicWrite replaces path with data: temp file in the same directory,
// fsync, rename, fsync the directory.
func atomicWrite(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return fsutil.SyncDir(dir)
}

// emptyDir removes everything inside dir.
func emptyDir(dir string) error {
	des, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var errsOut []error
	for _, de := range des {
		errsOut = append(errsOut, os.RemoveAll(filepath.Join(dir, de.Name())))
	}
	return errors.Join(errsOut...)
}

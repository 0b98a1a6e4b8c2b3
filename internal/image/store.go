// Package image stores images on disk and answers the Engine API's image
// verbs (list, inspect, tag, rmi, import, load, save, history) and the
// registry ones (pull, push, login; see pull.go, push.go, login.go).
//
// Layout under root (every write is temp file + fsync + rename, so a kill -9
// at any moment leaves either the old or the new state):
//
//	blobs/sha256/<hex>       content-addressed blobs: image configs and
//	                         uncompressed layer tars (keyed by diff ID)
//	layers/<chain-hex>/diff  a layer extracted once, in overlay format
//	layers/<chain-hex>/committed  marker written last: extraction finished
//	l/<short>                short symlink to layers/<chain-hex>/diff,
//	                         because overlay mount data must fit one page
//	images/<hex>.json        one record per image (the image exists iff this
//	                         file exists and is not marked Deleting)
//	repositories.json        name:tag -> image ID, and name@digest -> image
//	                         ID (RepoDigests: the manifest digests registries gave)
//	distribution/<diff>.json for a layer, the compressed blob registries
//	                         hold for it and where (lets push skip or mount it)
//	tmp/                     scratch space, emptied at startup
package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/inuse"
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
}

// entry is an image as held in the in-memory index.
type entry struct {
	id     digest.Digest
	rec    record
	config dockerspec.DockerOCIImage
	raw    []byte // the config JSON exactly as stored
	size   int64  // sum of the layer tar sizes
}

// Service is the image store.
type Service struct {
	root   string
	log    *slog.Logger
	events EventLogger
	untar  untarFunc

	// mu guards images and refs. Held only for index work, never across
	// extraction or network/disk streaming of layers. Lock order: mu, then
	// a layer lock or the users index (a leaf); the store calls no other
	// service, and publishes events only with mu released (events.go).
	mu     sync.RWMutex
	images map[digest.Digest]*entry
	refs   *refStore
	users  Users

	layerLocks keyedMutex

	// insecure lists registries that may be reached over plain HTTP.
	insecure []string
	// certsDirs overrides CertsDirs (tests).
	certsDirs []string
}

// Config is what an image service is made of.
type Config struct {
	Root   string       // the store's directory
	Users  Users        // which containers use an image (nil: none do)
	Events EventLogger  // nil: no events are published
	Log    *slog.Logger // nil: discard
}

// New opens (or creates) the store at cfg.Root, finishing or undoing
// whatever a crash interrupted, and builds the in-memory index.
func New(cfg Config) (*Service, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	root := cfg.Root
	s := &Service{
		root:   root,
		users:  cfg.Users,
		events: cfg.Events,
		log:    cfg.Log,
		untar:  defaultUntar(),
		images: map[digest.Digest]*entry{},
	}
	for _, d := range []string{"blobs/sha256", "layers", "l", "images", "tmp"} {
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
	if err := s.loadIndex(); err != nil {
		return nil, err
	}
	if err := s.recover(context.Background()); err != nil {
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
func (s *Service) loadIndex() error {
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
		e, err := s.loadEntry(id, rec)
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
func (s *Service) loadEntry(id digest.Digest, rec record) (*entry, error) {
	raw, err := os.ReadFile(s.blobPath(id))
	if err != nil {
		return nil, err
	}
	e := &entry{id: id, rec: rec, raw: raw}
	if err := json.Unmarshal(raw, &e.config); err != nil {
		return nil, err
	}
	for _, d := range e.config.RootFS.DiffIDs {
		if fi, err := os.Stat(s.blobPath(d)); err == nil {
			e.size += fi.Size()
		}
	}
	return e, nil
}

// recover finishes interrupted deletions, drops references to missing
// images, and removes half-extracted layers and unreferenced blobs.
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
	if err := s.cleanLayers(); err != nil {
		return err
	}
	return s.cleanBlobs()
}

// cleanBlobs removes blobs no image refers to: leftovers of an import or
// load that crashed before writing its image record.
func (s *Service) cleanBlobs() error {
	used := map[string]bool{}
	for id, e := range s.images {
		used[id.Encoded()] = true
		for _, d := range e.config.RootFS.DiffIDs {
			used[d.Encoded()] = true
		}
	}
	dir := filepath.Join(s.root, "blobs", "sha256")
	des, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, de := range des {
		if !used[de.Name()] {
			s.log.Debug("removing unreferenced blob", "digest", de.Name())
			if err := os.Remove(filepath.Join(dir, de.Name())); err != nil {
				return err
			}
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
		return nil, errs.Invalid("invalid reference format: %v", err)
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
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
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

// keyedMutex serialises work on the same key (a layer's chain ID) while
// letting different keys proceed in parallel.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyedLock
}

type keyedLock struct {
	mu   sync.Mutex
	refs int
}

func (k *keyedMutex) lock(key string) func() {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*keyedLock{}
	}
	l := k.locks[key]
	if l == nil {
		l = &keyedLock{}
		k.locks[key] = l
	}
	l.refs++
	k.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		k.mu.Lock()
		l.refs--
		if l.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}

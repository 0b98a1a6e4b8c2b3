// Package registry is wharf's own image registry: the OCI distribution
// specification over a filesystem store, with optional htpasswd basic
// auth, served by `wharf registry serve`.
//
// Blob and manifest bytes are kept by a content.Store rooted at the
// registry's root (blobs/<alg>/<hex>, sha256 or sha512; an upload in
// progress is its resumable write ingest/<uuid>/). What the registry adds
// under root (every file appears by rename, so a crash leaves no partial
// tag or link):
//
//	repos/<name>/_blobs/<key>                 the blob is part of the repository
//	repos/<name>/_manifests/<key>             a manifest of the repository; holds its media type
//	repos/<name>/_tags/<tag>                  the manifest digest the tag points at
//	repos/<name>/_referrers/<subject>/<key>   a manifest whose subject is <subject> (its descriptor)
//	uploads/<uuid>.repo                       the repository an upload in progress is for
//
// where <key> is "<alg>-<hex>" of a digest.
package registry

import (
	"context"
	"crypto/rand"
	_ "crypto/sha512" // sha512 digests
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/fsutil"
	"github.com/wharf/wharf/internal/store/content"
)

var (
	nameRe = lazyRegexp(`^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$`)
	tagRe  = lazyRegexp(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)
)

// Store is the registry's filesystem storage.
type Store struct {
	root  string
	blobs content.Store
}

// NewStore opens (or creates) a store at root. Blobs are not synced before
// they are named: a registry's clients push again what a power loss lost.
func NewStore(root string) (*Store, error) {
	for _, d := range []string{"repos", "uploads"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return nil, err
		}
	}
	blobs, err := content.NewLocal(root, content.LocalOptions{})
	if err != nil {
		return nil, err
	}
	s := &Store{root: root, blobs: blobs}
	return s, s.dropOldUploads()
}

// dropOldUploads removes uploads begun before the content store kept
// their data (uploads/<uuid> beside its .repo): they cannot be resumed, so
// their clients start them again.
func (s *Store) dropOldUploads() error {
	des, err := os.ReadDir(filepath.Join(s.root, "uploads"))
	if err != nil {
		return err
	}
	for _, de := range des {
		if id := de.Name(); uploadIDRe().MatchString(id) {
			s.removeUpload(context.Background(), id)
		}
	}
	return nil
}

// key names the marker files of digest d ("sha256-<hex>").
func key(d digest.Digest) string { return d.Algorithm().String() + "-" + d.Encoded() }

// keyDigest is the inverse of key.
func keyDigest(k string) (digest.Digest, bool) {
	alg, hex, _ := strings.Cut(k, "-")
	return validDigest(alg + ":" + hex)
}

func (s *Store) repoPath(name string, parts ...string) string {
	return filepath.Join(append([]string{s.root, "repos", filepath.FromSlash(name)}, parts...)...)
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// validDigest accepts sha256 and sha512 digests.
func validDigest(s string) (digest.Digest, bool) {
	d, err := digest.Parse(s)
	if err != nil || (d.Algorithm() != digest.SHA256 && d.Algorithm() != digest.SHA512) {
		return "", false
	}
	return d, true
}

// touch creates an empty (or small) marker file atomically.
func touch(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(p, data, 0o644, false)
}

// hasBlob reports whether repository name holds blob d.
func (s *Store) hasBlob(ctx context.Context, name string, d digest.Digest) bool {
	return exists(s.repoPath(name, "_blobs", key(d))) && content.Has(ctx, s.blobs, d)
}

func (s *Store) linkBlob(name string, d digest.Digest) error {
	return touch(s.repoPath(name, "_blobs", key(d)), nil)
}

// blobAnywhere reports whether the blob is stored at all.
func (s *Store) blobAnywhere(ctx context.Context, d digest.Digest) bool {
	return content.Has(ctx, s.blobs, d)
}

// newUpload starts an upload for repository name. Its data is the content
// store's write of the same name, begun by the first openUpload.
func (s *Store) newUpload(name string) (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	id := hex.EncodeToString(b)
	return id, os.WriteFile(s.uploadRepoPath(id), []byte(name), 0o644)
}

func (s *Store) uploadRepoPath(id string) string {
	return filepath.Join(s.root, "uploads", id+".repo")
}

var uploadIDRe = lazyRegexp(`^[0-9a-f]{32}$`)

// isUpload reports whether id is an upload to repository name.
func (s *Store) isUpload(name, id string) bool {
	if !uploadIDRe().MatchString(id) {
		return false
	}
	repo, err := os.ReadFile(s.uploadRepoPath(id))
	return err == nil && string(repo) == name
}

// openUpload resumes upload id's data where it stands. Close it, or
// Commit it to make the blob.
func (s *Store) openUpload(ctx context.Context, id string) (content.Writer, error) {
	return s.blobs.Writer(ctx, id)
}

// uploadSize is how many bytes upload id holds.
func (s *Store) uploadSize(ctx context.Context, id string) (int64, error) {
	w, err := s.openUpload(ctx, id)
	if err != nil {
		return 0, err
	}
	defer w.Close()
	return w.Offset(), nil
}

// removeUpload forgets upload id and its data.
func (s *Store) removeUpload(ctx context.Context, id string) {
	s.blobs.Abort(ctx, id)
	os.Remove(filepath.Join(s.root, "uploads", id))
	os.Remove(s.uploadRepoPath(id))
}

// manifestType returns the media type of manifest d in repository name.
func (s *Store) manifestType(ctx context.Context, name string, d digest.Digest) (string, bool) {
	b, err := os.ReadFile(s.repoPath(name, "_manifests", key(d)))
	if err != nil || !content.Has(ctx, s.blobs, d) {
		return "", false
	}
	return string(b), true
}

// resolveTag returns the manifest digest tag points at.
func (s *Store) resolveTag(name, tag string) (digest.Digest, bool) {
	b, err := os.ReadFile(s.repoPath(name, "_tags", tag))
	if err != nil {
		return "", false
	}
	d, ok := validDigest(strings.TrimSpace(string(b)))
	return d, ok
}

// tags lists repository name's tags, sorted; false if the repository is unknown.
func (s *Store) tags(name string) ([]string, bool) {
	if !exists(s.repoPath(name)) {
		return nil, false
	}
	des, err := os.ReadDir(s.repoPath(name, "_tags"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, false
	}
	out := []string{}
	for _, de := range des {
		if !strings.HasPrefix(de.Name(), ".") {
			out = append(out, de.Name())
		}
	}
	sort.Strings(out)
	return out, true
}

// repositories lists every repository name, sorted.
func (s *Store) repositories() []string {
	var out []string
	base := filepath.Join(s.root, "repos")
	filepath.WalkDir(base, func(p string, de fs.DirEntry, err error) error {
		if err != nil || !de.IsDir() {
			return nil
		}
		if strings.HasPrefix(de.Name(), "_") {
			return filepath.SkipDir
		}
		if exists(filepath.Join(p, "_manifests")) {
			rel, _ := filepath.Rel(base, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// deleteManifest removes manifest d from repository name, with the tags
// pointing at it and its entry among its subject's referrers.
func (s *Store) deleteManifest(name string, d digest.Digest) error {
	if err := os.Remove(s.repoPath(name, "_manifests", key(d))); err != nil {
		return err
	}
	tags, _ := s.tags(name)
	for _, t := range tags {
		if td, ok := s.resolveTag(name, t); ok && td == d {
			os.Remove(s.repoPath(name, "_tags", t))
		}
	}
	subjects, _ := os.ReadDir(s.repoPath(name, "_referrers"))
	for _, sub := range subjects {
		os.Remove(s.repoPath(name, "_referrers", sub.Name(), key(d)))
	}
	return nil
}

// lazyRegexp compiles expr on first use: wharf links this package into
// its CLI (wharf registry), and every CLI start would compile them.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

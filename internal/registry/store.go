// Package registry is wharf's own image registry: the OCI distribution
// specification over a filesystem store, with optional htpasswd basic
// auth, served by `wharf registry serve`.
//
// Layout under root (every file appears by rename, so a crash leaves no
// partial blob, tag or link):
//
//	blobs/<alg>/<hex>                         content, by digest (sha256 or sha512)
//	repos/<name>/_blobs/<key>                 the blob is part of the repository
//	repos/<name>/_manifests/<key>             a manifest of the repository; holds its media type
//	repos/<name>/_tags/<tag>                  the manifest digest the tag points at
//	repos/<name>/_referrers/<subject>/<key>   a manifest whose subject is <subject> (its descriptor)
//	uploads/<uuid>                            an upload in progress (data), uploads/<uuid>.repo its repository
//
// where <key> is "<alg>-<hex>" of a digest.
package registry

import (
	"crypto/rand"
	_ "crypto/sha512" // sha512 digests

	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/fsutil"
)

var (
	nameRe = regexp.MustCompile(`^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$`)
	tagRe  = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)
)

// Store is the registry's filesystem storage.
type Store struct {
	root string
}

// NewStore opens (or creates) a store at root.
func NewStore(root string) (*Store, error) {
	for _, d := range []string{"blobs/sha256", "blobs/sha512", "repos", "uploads"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return nil, err
		}
	}
	return &Store{root: root}, nil
}

func (s *Store) blobPath(d digest.Digest) string {
	return filepath.Join(s.root, "blobs", d.Algorithm().String(), d.Encoded())
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
func (s *Store) hasBlob(name string, d digest.Digest) bool {
	return exists(s.repoPath(name, "_blobs", key(d))) && exists(s.blobPath(d))
}

func (s *Store) linkBlob(name string, d digest.Digest) error {
	return touch(s.repoPath(name, "_blobs", key(d)), nil)
}

// blobAnywhere reports whether the blob is stored at all.
func (s *Store) blobAnywhere(d digest.Digest) bool { return exists(s.blobPath(d)) }

// commitUpload moves the finished upload file into the blob store after
// checking its digest.
func (s *Store) commitUpload(tmp string, want digest.Digest) error {
	f, err := os.Open(tmp)
	if err != nil {
		return err
	}
	got, err := want.Algorithm().FromReader(f)
	f.Close()
	if err != nil {
		return err
	}
	if got != want {
		return errDigestMismatch
	}
	if exists(s.blobPath(want)) {
		return os.Remove(tmp)
	}
	return os.Rename(tmp, s.blobPath(want))
}

var errDigestMismatch = errors.New("digest mismatch")

// newUpload starts an upload for repository name.
func (s *Store) newUpload(name string) (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	id := hex.EncodeToString(b)
	if err := os.WriteFile(s.uploadPath(id), nil, 0o644); err != nil {
		return "", err
	}
	return id, os.WriteFile(s.uploadPath(id)+".repo", []byte(name), 0o644)
}

func (s *Store) uploadPath(id string) string {
	return filepath.Join(s.root, "uploads", id)
}

var uploadIDRe = regexp.MustCompile(`^[0-9a-f]{32}$`)

// upload returns the size of upload id of repository name, or false.
func (s *Store) upload(name, id string) (int64, bool) {
	if !uploadIDRe.MatchString(id) {
		return 0, false
	}
	repo, err := os.ReadFile(s.uploadPath(id) + ".repo")
	if err != nil || string(repo) != name {
		return 0, false
	}
	fi, err := os.Stat(s.uploadPath(id))
	if err != nil {
		return 0, false
	}
	return fi.Size(), true
}

func (s *Store) appendUpload(id string, r io.Reader) (int64, error) {
	f, err := os.OpenFile(s.uploadPath(id), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	fi, err := os.Stat(s.uploadPath(id))
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

func (s *Store) removeUpload(id string) {
	os.Remove(s.uploadPath(id))
	os.Remove(s.uploadPath(id) + ".repo")
}

// manifestType returns the media type of manifest d in repository name.
func (s *Store) manifestType(name string, d digest.Digest) (string, bool) {
	b, err := os.ReadFile(s.repoPath(name, "_manifests", key(d)))
	if err != nil || !exists(s.blobPath(d)) {
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

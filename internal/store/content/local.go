package content

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sync"

	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/ctxio"
	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/fsutil"
)

// algorithms are the digests blobs may be stored under.
var algorithms = []digest.Algorithm{digest.SHA256, digest.SHA512}

// refRe is what a Writer's ref may be: a file name, never a dot file
// (those are Put's).
var refRe = lazyRegexp(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// LocalOptions tune a Local store.
type LocalOptions struct {
	// Sync flushes each blob to disk before its rename, so that a power
	// loss cannot leave a blob that has its name but not its bytes. A
	// crashed process needs no fsync (the rename alone is atomic), so
	// stores that can refetch their blobs leave it off.
	Sync bool
}

// Local is a Store on the local file system (layout in the package doc).
type Local struct {
	root string
	opts LocalOptions

	mu      sync.Mutex
	writing map[string]bool // refs with an open Writer
}

// NewLocal opens (or creates) a store at root. One-shot writes a crash
// interrupted are removed; resumable ones are kept for their Writers.
// Directories it makes are private to the owner: blobs are served through
// the services, never read in place by other users.
func NewLocal(root string, opts LocalOptions) (*Local, error) {
	s := &Local{root: root, opts: opts, writing: map[string]bool{}}
	for _, alg := range algorithms {
		if err := os.MkdirAll(s.algDir(alg), 0o700); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(s.ingestDir(), 0o700); err != nil {
		return nil, err
	}
	des, err := os.ReadDir(s.ingestDir())
	if err != nil {
		return nil, err
	}
	for _, de := range des {
		if !refRe().MatchString(de.Name()) {
			if err := os.RemoveAll(filepath.Join(s.ingestDir(), de.Name())); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

func (s *Local) algDir(alg digest.Algorithm) string {
	return filepath.Join(s.root, "blobs", alg.String())
}

func (s *Local) blobPath(d digest.Digest) string {
	return filepath.Join(s.algDir(d.Algorithm()), d.Encoded())
}

func (s *Local) ingestDir() string { return filepath.Join(s.root, "ingest") }

// checkDigest refuses digests the store cannot hold (a bad one could also
// name a path outside it).
func checkDigest(d digest.Digest) error {
	if err := d.Validate(); err != nil {
		return errs.Invalid("invalid digest %q: %v", d, err)
	}
	if d.Algorithm() != digest.SHA256 && d.Algorithm() != digest.SHA512 {
		return errs.Invalid("unsupported digest algorithm %s", d.Algorithm())
	}
	return nil
}

func infoOf(d digest.Digest, fi fs.FileInfo) Info {
	return Info{Digest: d, Size: fi.Size(), CreatedAt: fi.ModTime()}
}

// Info implements Store.
func (s *Local) Info(ctx context.Context, d digest.Digest) (Info, error) {
	if err := checkDigest(d); err != nil {
		return Info{}, err
	}
	fi, err := os.Stat(s.blobPath(d))
	if err != nil {
		return Info{}, notFound(d, err)
	}
	return infoOf(d, fi), nil
}

func notFound(d digest.Digest, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return errs.NotFound("blob %s not found", d)
	}
	return err
}

// ReaderAt implements Store.
func (s *Local) ReaderAt(ctx context.Context, d digest.Digest) (ReaderAt, error) {
	if err := checkDigest(d); err != nil {
		return nil, err
	}
	f, err := os.Open(s.blobPath(d))
	if err != nil {
		return nil, notFound(d, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return fileReaderAt{f, fi.Size()}, nil
}

type fileReaderAt struct {
	*os.File
	size int64
}

func (r fileReaderAt) Size() int64 { return r.size }

// Walk implements Store.
func (s *Local) Walk(ctx context.Context, fn func(Info) error) error {
	for _, alg := range algorithms {
		des, err := os.ReadDir(s.algDir(alg))
		if err != nil {
			return err
		}
		for _, de := range des {
			if err := ctx.Err(); err != nil {
				return err
			}
			d := digest.NewDigestFromEncoded(alg, de.Name())
			if d.Validate() != nil {
				continue
			}
			fi, err := de.Info()
			if errors.Is(err, fs.ErrNotExist) {
				continue // deleted meanwhile
			}
			if err != nil {
				return err
			}
			if err := fn(infoOf(d, fi)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Delete implements Store.
func (s *Local) Delete(ctx context.Context, d digest.Digest) error {
	if err := checkDigest(d); err != nil {
		return err
	}
	return notFound(d, os.Remove(s.blobPath(d)))
}

// Put implements Store.
func (s *Local) Put(ctx context.Context, r io.Reader, expected digest.Digest) (Info, error) {
	alg := digest.SHA256
	if expected != "" {
		if err := checkDigest(expected); err != nil {
			return Info{}, err
		}
		alg = expected.Algorithm()
	}
	f, err := os.CreateTemp(s.ingestDir(), ".put-*")
	if err != nil {
		return Info{}, err
	}
	defer os.Remove(f.Name()) // no-op after the rename
	defer f.Close()
	h := alg.Hash()
	if _, err := io.Copy(io.MultiWriter(f, h), ctxio.Reader(ctx, r)); err != nil {
		return Info{}, err
	}
	got := digest.NewDigest(alg, h)
	if expected != "" && got != expected {
		return Info{}, mismatch(expected, got)
	}
	if err := s.closeFile(f); err != nil {
		return Info{}, err
	}
	return s.install(f.Name(), got)
}

func mismatch(expected, got digest.Digest) error {
	return errs.Invalid("digest mismatch: expected %s, got %s", expected, got)
}

// closeFile closes a finished write, flushing it first if the store syncs.
func (s *Local) closeFile(f *os.File) error {
	if s.opts.Sync {
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// install renames the finished file at path into place as blob d. A blob
// already there is identical (it has the same digest) and is kept.
func (s *Local) install(path string, d digest.Digest) (Info, error) {
	target := s.blobPath(d)
	if fi, err := os.Stat(target); err == nil {
		os.Remove(path)
		return infoOf(d, fi), nil
	}
	if err := os.Rename(path, target); err != nil {
		return Info{}, err
	}
	if s.opts.Sync {
		if err := fsutil.SyncDir(filepath.Dir(target)); err != nil {
			return Info{}, err
		}
	}
	fi, err := os.Stat(target)
	if err != nil {
		return Info{}, err
	}
	return infoOf(d, fi), nil
}

// Writer implements Store.
func (s *Local) Writer(ctx context.Context, ref string) (Writer, error) {
	if !refRe().MatchString(ref) {
		return nil, errs.Invalid("invalid write reference %q", ref)
	}
	if err := s.take(ref); err != nil {
		return nil, err
	}
	w, err := s.openWriter(ctx, ref)
	if err != nil {
		s.release(ref)
		return nil, err
	}
	return w, nil
}

// take claims ref for one Writer (or Abort) at a time.
func (s *Local) take(ref string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.writing[ref] {
		return errs.Conflict("write %s is in progress", ref)
	}
	s.writing[ref] = true
	return nil
}

func (s *Local) release(ref string) {
	s.mu.Lock()
	delete(s.writing, ref)
	s.mu.Unlock()
}

// Abort implements Store.
func (s *Local) Abort(ctx context.Context, ref string) error {
	if !refRe().MatchString(ref) {
		return errs.Invalid("invalid write reference %q", ref)
	}
	if err := s.take(ref); err != nil {
		return err
	}
	defer s.release(ref)
	dir := filepath.Join(s.ingestDir(), ref)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return errs.NotFound("no write %s", ref)
	}
	return os.RemoveAll(dir)
}

// lazyRegexp compiles expr on first use: the wharf CLI links this package
// (wharf registry), and every CLI start would compile it.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

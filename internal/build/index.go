package build

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/moby/go-archive/compression"

	"github.com/wharf/wharf/internal/errs"
)

// ctxEntry is one file system object of a build context as its tar
// header described it; a regular file's bytes are in the spool.
type ctxEntry struct {
	typ       byte  // tar.TypeDir, tar.TypeReg or tar.TypeSymlink
	mode      int64 // permission and setuid/setgid/sticky bits
	mtime     time.Time
	link      string // a symbolic link's target
	sp        *spool
	off, size int64
	sum       [sha256.Size]byte // a regular file's content digest
}

func (e *ctxEntry) content() io.Reader { return e.sp.section(e.off, e.size) }

// contextIndex is a build context read once, never extracted: every entry
// by its clean relative path ("." is the root), regular files' contents
// spooled and hashed on the way. COPY and ADD resolve their sources, the
// cache checksums them and layers are written from it.
type contextIndex struct {
	entries map[string]*ctxEntry
	sp      *spool
	total   int64
	names   []string // the entries in walk order; nil when stale
}

func newContextIndex(sp *spool) *contextIndex {
	return &contextIndex{
		entries: map[string]*ctxEntry{".": {typ: tar.TypeDir, mode: 0o755}},
		sp:      sp,
	}
}

// errOutside is a path that leaves the context through a symbolic link.
var errOutside = errors.New("outside the build context")

// readContextIndex reads the (possibly compressed) tarball r into a new
// index whose file contents go to sp.
func readContextIndex(ctx context.Context, r io.Reader, sp *spool) (*contextIndex, error) {
	ix := newContextIndex(sp)
	if err := ix.addTar(ctx, r, ""); err != nil {
		return nil, err
	}
	return ix, nil
}

// addTar adds the entries of the tarball r under prefix. Entries that
// would land outside the index are refused, as are entries under a
// non-directory; only regular files, directories, symbolic links and hard
// links (which become copies of their target) are kept, other types are
// ignored.
func (ix *contextIndex) addTar(ctx context.Context, r io.Reader, prefix string) error {
	rc, err := compression.DecompressStream(r)
	if err != nil {
		return errs.Invalid("reading build context: %v", err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	h := sha256.New()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			ix.names = nil
			return nil
		}
		if err != nil {
			return errs.Invalid("reading build context: %v", err)
		}
		// A name climbing out of the root is hostile; a leading "/" is
		// dropped, as tar does.
		name, ok := cleanRel(hdr.Name)
		if c := path.Clean(strings.TrimLeft(hdr.Name, "/")); c == ".." || strings.HasPrefix(c, "../") {
			ok = false
		}
		if !ok {
			return errs.Invalid("build context: invalid path %q", hdr.Name)
		}
		name = joinRel(prefix, name)
		if name == "." {
			continue
		}
		e := &ctxEntry{typ: hdr.Typeflag, mode: hdr.Mode & 0o7777, mtime: hdr.ModTime}
		switch hdr.Typeflag {
		case tar.TypeDir:
		case tar.TypeSymlink:
			e.link = hdr.Linkname
		case tar.TypeReg:
			if ix.total += hdr.Size; ix.total > MaxContextSize {
				return errs.Invalid("build context is larger than %d bytes", int64(MaxContextSize))
			}
			h.Reset()
			e.sp = ix.sp
			e.off, e.size, err = ix.sp.append(io.TeeReader(tr, h), -1)
			if err != nil {
				return errs.Invalid("reading build context: %v", err)
			}
			h.Sum(e.sum[:0])
		case tar.TypeLink:
			target, ok := cleanRel(hdr.Linkname)
			t := ix.entries[joinRel(prefix, target)]
			if !ok || t == nil || t.typ != tar.TypeReg {
				continue
			}
			c := *t
			e = &c
		default:
			continue // devices, FIFOs: nothing a build copies
		}
		if err := ix.put(name, e); err != nil {
			return errs.Invalid("build context: %v: %q", err, hdr.Name)
		}
	}
}

// put adds e at name, making the missing parent directories. A parent that
// is not a directory, or a directory replaced by something else, is an
// error: extracted, either would write through or over something else.
func (ix *contextIndex) put(name string, e *ctxEntry) error {
	for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
		p := ix.entries[dir]
		if p == nil {
			ix.entries[dir] = &ctxEntry{typ: tar.TypeDir, mode: 0o755}
			continue
		}
		if p.typ != tar.TypeDir {
			return errors.New("path under a non-directory")
		}
	}
	if old := ix.entries[name]; old != nil && old.typ == tar.TypeDir && e.typ != tar.TypeDir {
		return errors.New("directory replaced by a non-directory")
	}
	ix.entries[name] = e
	ix.names = nil
	return nil
}

func joinRel(prefix, name string) string {
	if prefix == "" || prefix == "." {
		return name
	}
	return path.Join(prefix, name)
}

// walkOrder compares paths as a depth-first walk of sorted directories
// meets them: a directory's contents come right after it.
func walkOrder(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, cb := a[i], b[i]
		if ca == cb {
			continue
		}
		if ca == '/' {
			return -1
		}
		if cb == '/' {
			return 1
		}
		return int(ca) - int(cb)
	}
	return len(a) - len(b)
}

// sorted is every entry's path but the root's, in walk order.
func (ix *contextIndex) sorted() []string {
	if ix.names == nil {
		ix.names = make([]string, 0, len(ix.entries))
		for n := range ix.entries {
			if n != "." {
				ix.names = append(ix.names, n)
			}
		}
		slices.SortFunc(ix.names, walkOrder)
	}
	return ix.names
}

// under is the paths inside directory dir (not dir itself), in walk order.
func (ix *contextIndex) under(dir string) []string {
	names := ix.sorted()
	if dir == "." {
		return names
	}
	prefix := dir + "/"
	i, _ := slices.BinarySearchFunc(names, prefix, walkOrder)
	j := i
	for j < len(names) && strings.HasPrefix(names[j], prefix) {
		j++
	}
	return names[i:j]
}

// children is the names of the entries directly inside dir, sorted.
func (ix *contextIndex) children(dir string) []string {
	var out []string
	for _, n := range ix.under(dir) {
		rel := n
		if dir != "." {
			rel = n[len(dir)+1:]
		}
		if !strings.Contains(rel, "/") {
			out = append(out, rel)
		}
	}
	slices.Sort(out)
	return out
}

// resolve follows the symbolic links in p within the index, as the
// kernel would with the context as the root, and returns the path it
// leads to. With followLast unset a link as the last element is not
// followed. A link that leads out of the context (an absolute target, or
// one going above the root) is errOutside; a missing element is
// fs.ErrNotExist.
func (ix *contextIndex) resolve(p string, followLast bool) (string, error) {
	todo := splitPath(p)
	var cur []string
	links := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(cur) == 0 {
				return "", errOutside
			}
			cur = cur[:len(cur)-1]
			continue
		}
		next := strings.Join(append(cur, c), "/")
		e := ix.entries[next]
		if e == nil {
			return "", errNotExist
		}
		if e.typ == tar.TypeSymlink && (len(todo) > 0 || followLast) {
			if links++; links > 255 {
				return "", errors.New("too many levels of symbolic links")
			}
			if path.IsAbs(e.link) {
				return "", errOutside
			}
			todo = append(splitPath(e.link), todo...)
			continue
		}
		if len(todo) > 0 && e.typ != tar.TypeDir {
			return "", errNotExist
		}
		cur = append(cur, c)
	}
	if len(cur) == 0 {
		return ".", nil
	}
	return strings.Join(cur, "/"), nil
}

var errNotExist = errors.New("file does not exist")

func splitPath(p string) []string {
	return strings.Split(p, "/")
}

// lstat finds the entry at p, following links in its directories but not
// a link at p itself, and returns it with its real path.
func (ix *contextIndex) lstat(p string) (string, *ctxEntry, error) {
	real, err := ix.resolve(p, false)
	if err != nil {
		return "", nil, err
	}
	return real, ix.entries[real], nil
}

// errFileTooLarge is a file readFile will not read: see maxFileSize.
var errFileTooLarge = errors.New("file too large")

// readFile returns the contents of the regular file at p, following
// links, if it is no larger than maxFileSize.
func (ix *contextIndex) readFile(p string) ([]byte, error) {
	real, err := ix.resolve(p, true)
	if err != nil {
		return nil, err
	}
	e := ix.entries[real]
	if e.typ != tar.TypeReg {
		return nil, fmt.Errorf("%s: not a regular file", p)
	}
	if e.size > maxFileSize {
		return nil, errFileTooLarge
	}
	return io.ReadAll(e.content())
}

// glob returns the paths matching pattern, a clean relative path, as
// filepath.Glob does on a file system: directories along the way are
// listed through symbolic links.
func (ix *contextIndex) glob(pattern string) ([]string, error) {
	if !hasMeta(pattern) {
		if _, _, err := ix.lstat(pattern); err != nil {
			if errors.Is(err, errOutside) {
				return nil, err
			}
			return nil, nil
		}
		return []string{pattern}, nil
	}
	dir, file := path.Split(pattern)
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" {
		dir = "."
	}
	if _, err := path.Match(file, ""); err != nil {
		return nil, err
	}
	dirs := []string{dir}
	if hasMeta(dir) {
		var err error
		if dirs, err = ix.glob(dir); err != nil {
			return nil, err
		}
	}
	var out []string
	for _, d := range dirs {
		real, err := ix.resolve(d, true)
		if errors.Is(err, errOutside) {
			return nil, err
		}
		if err != nil || ix.entries[real].typ != tar.TypeDir {
			continue
		}
		for _, c := range ix.children(real) {
			if ok, _ := path.Match(file, c); ok {
				out = append(out, joinRel(d, c))
			}
		}
	}
	return out, nil
}

func hasMeta(p string) bool { return strings.ContainsAny(p, "*?[\\") }

// close releases the spooled contents.
func (ix *contextIndex) close() error { return ix.sp.close() }

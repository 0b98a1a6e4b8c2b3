package build

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/moby/go-archive/compression"

	wcontainer "github.com/wharf/wharf/internal/container"
	"github.com/wharf/wharf/internal/errs"

	"github.com/moby/moby/api/types/container"
)

// copySpec is a COPY or ADD instruction with its words expanded.
type copySpec struct {
	sources      []string
	dest         string
	from         string
	chown, chmod string
	add          bool
}

// copyEntry is one file system object the layer will hold.
type copyEntry struct {
	src     string // path on this machine
	name    string // path in the layer, without a leading slash
	fi      fs.FileInfo
	archive bool // ADD of a local tar: its entries go under name
}

// copyStep is COPY/ADD: a layer tar of the sources, built directly
// from the context (or another stage's or image's files).
func (r *run) copyStep(ctx context.Context, st *stageState, c copySpec) error {
	root := r.contextDir
	if c.from != "" {
		dir, err := r.fromRoot(ctx, c)
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		root = dir
	}
	uid, gid, err := parseChown(c.chown)
	if err != nil {
		return err
	}
	var mode *os.FileMode
	if c.chmod != "" {
		m, err := strconv.ParseUint(c.chmod, 8, 32)
		if err != nil || m > 0o7777 {
			return errs.Invalid("invalid chmod parameter: %s", c.chmod)
		}
		fm := os.FileMode(m)
		mode = &fm
	}
	entries, err := collect(root, st.cfg.WorkingDir, c)
	if err != nil {
		return err
	}
	sum, err := checksum(entries, uid, gid, mode)
	if err != nil {
		return err
	}
	verb := "COPY"
	if c.add {
		verb = "ADD"
	}
	createdBy := fmt.Sprintf("/bin/sh -c #(nop) %s %s:%s in %s", verb, kindOf(entries), sum, c.dest)
	if c.from != "" {
		createdBy += " (from " + c.from + ")"
	}
	return r.commit(ctx, st, createdBy, func() (io.ReadCloser, error) {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(writeLayer(pw, entries, uid, gid, mode)) }()
		return pr, nil
	})
}

func kindOf(entries []copyEntry) string {
	if len(entries) == 1 && entries[0].fi.Mode().IsRegular() {
		return "file"
	}
	return "dir"
}

// collect resolves the sources against root into the layer's entries.
func collect(root, workdir string, c copySpec) ([]copyEntry, error) {
	verb := "COPY"
	if c.add {
		verb = "ADD"
	}
	dest := c.dest
	if !path.IsAbs(dest) {
		dest = path.Join("/", workdir, dest)
	}
	destDir := strings.HasSuffix(c.dest, "/") || strings.HasSuffix(c.dest, "/.") || c.dest == "."
	var matches []string
	for _, src := range c.sources {
		if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
			return nil, errs.Invalid("%s failed: remote URLs are not supported by this builder: %s", verb, src)
		}
		clean := filepath.Clean(filepath.FromSlash(src))
		if clean == ".." || strings.HasPrefix(clean, "../") {
			return nil, errs.Invalid("%s failed: forbidden path outside the build context: %s", verb, src)
		}
		rel, _ := cleanRel(src)
		p := filepath.Join(root, rel)
		if strings.ContainsAny(rel, "*?[") {
			ms, err := filepath.Glob(p)
			if err != nil {
				return nil, errs.Invalid("%s failed: %v", verb, err)
			}
			if len(ms) == 0 {
				return nil, errs.Invalid("%s failed: no source files were specified", verb)
			}
			matches = append(matches, ms...)
			continue
		}
		if _, err := os.Lstat(p); err != nil {
			return nil, errs.Invalid("%s failed: file not found in build context or excluded by .dockerignore: stat %s: file does not exist", verb, src)
		}
		matches = append(matches, p)
	}
	if len(matches) > 1 {
		destDir = true
	}
	var out []copyEntry
	for _, m := range matches {
		if err := inside(root, m); err != nil {
			return nil, errs.Invalid("%s failed: forbidden path outside the build context: %s", verb, strings.TrimPrefix(m, root))
		}
		fi, err := os.Lstat(m)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			name := dest
			if destDir {
				name = path.Join(dest, filepath.Base(m))
			}
			e := copyEntry{src: m, name: strings.TrimPrefix(name, "/"), fi: fi}
			if c.add && fi.Mode().IsRegular() && isArchive(m) {
				e.name, e.archive = strings.TrimPrefix(dest, "/"), true
			}
			out = append(out, e)
			continue
		}
		err = filepath.WalkDir(m, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(m, p)
			if rel == "." {
				return nil // the directory's contents are copied, not itself
			}
			name := strings.TrimPrefix(path.Join(dest, filepath.ToSlash(rel)), "/")
			out = append(out, copyEntry{src: p, name: name, fi: fi})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// inside checks that p, with its symbolic links resolved, is under root.
func inside(root, p string) error {
	if filepath.Clean(p) != filepath.Clean(root) {
		p = filepath.Dir(p) // p itself may be a link, copied as one
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return err
	}
	rootReal, err := filepath.EvalSymlinks(root)
	if err != nil {
		return err
	}
	if real != rootReal && !strings.HasPrefix(real, rootReal+string(filepath.Separator)) {
		return errors.New("outside")
	}
	return nil
}

func isArchive(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	rc, err := compression.DecompressStream(f)
	if err != nil {
		return false
	}
	defer rc.Close()
	_, err = tar.NewReader(rc).Next()
	return err == nil
}

// parseChown parses --chown's numeric "uid[:gid]" ("root" is 0).
func parseChown(s string) (int, int, error) {
	if s == "" {
		return 0, 0, nil
	}
	u, g, hasG := strings.Cut(s, ":")
	if !hasG {
		g = u
	}
	num := func(v string) (int, error) {
		if v == "root" {
			return 0, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, errs.Invalid("unable to convert uid/gid chown string to host mapping: only numeric ids and root are supported: %s", s)
		}
		return n, nil
	}
	uid, err := num(u)
	if err != nil {
		return 0, 0, err
	}
	gid, err := num(g)
	return uid, gid, err
}

// header is the tar header of e in the layer.
func header(e copyEntry, uid, gid int, mode *os.FileMode) (*tar.Header, error) {
	link := ""
	if e.fi.Mode()&os.ModeSymlink != 0 {
		l, err := os.Readlink(e.src)
		if err != nil {
			return nil, err
		}
		link = l
	}
	h, err := tar.FileInfoHeader(e.fi, link)
	if err != nil {
		return nil, err
	}
	h.Name = e.name
	if e.fi.IsDir() {
		h.Name += "/"
	}
	h.Uid, h.Gid, h.Uname, h.Gname = uid, gid, "", ""
	if mode != nil && e.fi.Mode()&os.ModeSymlink == 0 {
		h.Mode = int64(*mode)
	}
	h.Format = tar.FormatPAX
	return h, nil
}

// checksum is the content's checksum for the cache: names, modes,
// owners, link targets and contents, but not modification times.
func checksum(entries []copyEntry, uid, gid int, mode *os.FileMode) (string, error) {
	h := sha256.New()
	for _, e := range entries {
		hd, err := header(e, uid, gid, mode)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%o\x00%d\x00%d\x00%s\x00%d\x00%t\x00", hd.Name, hd.Mode, hd.Uid, hd.Gid, hd.Linkname, hd.Size, e.archive)
		if e.fi.Mode().IsRegular() {
			f, err := os.Open(e.src)
			if err != nil {
				return "", err
			}
			_, err = io.Copy(h, f)
			f.Close()
			if err != nil {
				return "", err
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writeLayer writes the entries as an uncompressed layer tar to w.
func writeLayer(w io.Writer, entries []copyEntry, uid, gid int, mode *os.FileMode) error {
	tw := tar.NewWriter(w)
	for _, e := range entries {
		if e.archive {
			if err := copyArchive(tw, e); err != nil {
				return err
			}
			continue
		}
		hd, err := header(e, uid, gid, mode)
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(hd); err != nil {
			return err
		}
		if e.fi.Mode().IsRegular() {
			f, err := os.Open(e.src)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			if err != nil {
				return err
			}
		}
	}
	return tw.Close()
}

// copyArchive writes the entries of the local tar e.src under e.name (ADD).
func copyArchive(tw *tar.Writer, e copyEntry) error {
	f, err := os.Open(e.src)
	if err != nil {
		return err
	}
	defer f.Close()
	rc, err := compression.DecompressStream(f)
	if err != nil {
		return err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		rel, ok := cleanRel(h.Name)
		if !ok || rel == "." {
			continue
		}
		h.Name = path.Join(e.name, filepath.ToSlash(rel))
		if h.Typeflag == tar.TypeDir {
			h.Name += "/"
		}
		if h.Typeflag == tar.TypeLink {
			lrel, _ := cleanRel(h.Linkname)
			h.Linkname = path.Join(e.name, filepath.ToSlash(lrel))
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return err
		}
	}
}

// fromRoot copies COPY --from's sources out of a stage's or an image's
// file system into a new directory and returns it.
func (r *run) fromRoot(ctx context.Context, c copySpec) (string, error) {
	imageID := ""
	if j := r.stageIndex(c.from, len(r.stages)); j >= 0 {
		st, ok := r.built[j]
		if !ok {
			return "", errs.Invalid("COPY --from=%s: stage not built", c.from)
		}
		imageID = st.imageID
	} else {
		img, err := r.b.images.Get(ctx, c.from)
		if err != nil {
			return "", err
		}
		imageID = img.ID
	}
	dir, err := os.MkdirTemp(r.b.tmp, "from-")
	if err != nil {
		return "", err
	}
	if imageID == "" {
		return dir, nil
	}
	cs := r.b.containers
	resp, err := cs.Create(ctx, wcontainer.CreateOptions{Config: &container.Config{Image: imageID, Entrypoint: []string{"/wharf-build-copy"}}})
	if err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	defer cs.Remove(context.WithoutCancel(ctx), resp.ID, wcontainer.RemoveOptions{Force: true})
	for _, src := range c.sources {
		rel, _ := cleanRel(src)
		if strings.ContainsAny(rel, "*?[") {
			os.RemoveAll(dir)
			return "", errs.Invalid("COPY --from: wildcards are not supported by this builder: %s", src)
		}
		tr, _, err := cs.ArchivePath(ctx, resp.ID, "/"+filepath.ToSlash(rel))
		if err != nil {
			os.RemoveAll(dir)
			return "", errs.Invalid("COPY failed: stat %s: file does not exist", src)
		}
		target := filepath.Join(dir, filepath.Dir(rel))
		err = os.MkdirAll(target, 0o755)
		if err == nil {
			err = extractContext(ctx, tr, target)
		}
		tr.Close()
		if err != nil {
			os.RemoveAll(dir)
			return "", err
		}
	}
	return dir, nil
}

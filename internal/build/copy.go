package build

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/moby/go-archive"
	"github.com/moby/go-archive/chrootarchive"
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
	checksum     string // ADD --checksum, for a remote source
	add          bool
}

func (c copySpec) verb() string {
	if c.add {
		return "ADD"
	}
	return "COPY"
}

// copyEntry is one file system object the layer will hold.
type copyEntry struct {
	e       *ctxEntry
	name    string // path in the layer, without a leading slash
	url     string // where a remote ADD source came from
	archive bool   // ADD of a local tar: its entries go under name
	// unpacked is where the local tar was unpacked (see unpackArchives).
	unpacked string
}

// copyStep is COPY/ADD: a layer tar of the sources, written straight from
// the context index (or an index of another stage's or image's files).
// The cache checksum comes from the index's digests, so a cache hit reads
// and writes no file contents at all.
func (r *run) copyStep(ctx context.Context, st *stageState, c copySpec) error {
	ix := r.index
	if c.from != "" {
		fix, err := r.fromIndex(ctx, c)
		if err != nil {
			return err
		}
		defer fix.close()
		ix = fix
	}
	if err := validChown(c.chown); err != nil {
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
	entries, err := r.collectAll(ctx, ix, st.cfg.WorkingDir, c)
	if err != nil {
		return err
	}
	sum := checksum(entries, c.chown, mode)
	createdBy := fmt.Sprintf("/bin/sh -c #(nop) %s %s:%s in %s", c.verb(), kindOf(entries), sum, c.dest)
	if c.from != "" {
		createdBy += " (from " + c.from + ")"
	}
	return r.commit(ctx, st, createdBy, func() (io.ReadCloser, error) {
		// Names in --chown are looked up only now: the key holds the
		// names, and the parent image, which has the passwd and group
		// files, is part of the key too.
		uid, gid, err := r.chownIDs(ctx, st, c.chown)
		if err != nil {
			return nil, err
		}
		return r.b.layerOf(entries, uid, gid, mode)
	})
}

// layerOf is the layer tar of entries, written as it is read. The local
// archives ADD takes are unpacked first, into scratch space that the
// writer removes when it is done.
func (b *Builder) layerOf(entries []copyEntry, uid, gid int, mode *os.FileMode) (io.ReadCloser, error) {
	scratch, err := b.unpackArchives(entries)
	if err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	go func() {
		err := writeLayer(pw, entries, uid, gid, mode)
		if scratch != "" {
			_ = os.RemoveAll(scratch)
		}
		pw.CloseWithError(err)
	}()
	return pr, nil
}

// unpackArchives unpacks each local archive among entries, as dockerd's
// ADD does, into a directory of its own under one new scratch directory,
// which it returns ("" if there was no archive). It sets the entries'
// unpacked.
func (b *Builder) unpackArchives(entries []copyEntry) (scratch string, err error) {
	defer func() {
		if err != nil && scratch != "" {
			_ = os.RemoveAll(scratch)
		}
	}()
	for i := range entries {
		e := &entries[i]
		if !e.archive {
			continue
		}
		if scratch == "" {
			if scratch, err = os.MkdirTemp(b.tmp, "add-"); err != nil {
				return "", err
			}
		}
		e.unpacked = filepath.Join(scratch, strconv.Itoa(i))
		if err := os.Mkdir(e.unpacked, 0o755); err != nil {
			return scratch, err
		}
		if err := unpackArchive(e.e.content(), e.unpacked); err != nil {
			return scratch, errs.Invalid("failed to copy files: %v", err)
		}
	}
	return scratch, nil
}

// unpackArchive unpacks the (possibly compressed) tar r into dir as
// dockerd's ADD does, and with the extractor the image store's load and
// import use (go-archive): inside a chroot at dir when root, with dir as
// the root every name, hard link and absolute symbolic link is taken in.
// What would climb out of it ("../x", a hard link to "../../etc/passwd",
// a file written through a link to "../..") is refused, so that the
// layer made of dir extracts when a container needs it.
func unpackArchive(r io.Reader, dir string) error {
	opts := &archive.TarOptions{BestEffortXattrs: true}
	if os.Geteuid() != 0 {
		// os.Root confines it as well; only the owners are lost.
		opts.NoLchown = true
		return archive.Untar(r, dir, opts)
	}
	return chrootarchive.Untar(r, dir, opts)
}

func kindOf(entries []copyEntry) string {
	if len(entries) == 1 && entries[0].e.typ == tar.TypeReg {
		return "file"
	}
	return "dir"
}

// collectAll is collect, with remote ADD sources downloaded first.
func (r *run) collectAll(ctx context.Context, ix *contextIndex, workdir string, c copySpec) ([]copyEntry, error) {
	var remote []copyEntry
	var local []string
	for _, src := range c.sources {
		if !isURL(src) {
			local = append(local, src)
			continue
		}
		if !c.add {
			return nil, errs.Invalid("COPY failed: source can't be a URL for COPY: %s", src)
		}
		e, name, err := r.b.download(ctx, r.index.sp, src, c.checksum)
		if err != nil {
			return nil, err
		}
		remote = append(remote, copyEntry{e: e, name: name, url: src})
	}
	if c.checksum != "" && len(local) > 0 {
		return nil, errs.Invalid("ADD failed: checksum can't be specified for non-HTTP(S) sources")
	}
	dest, destDir := destOf(workdir, c)
	if len(c.sources) > 1 {
		destDir = true
	}
	for i, rc := range remote {
		switch {
		case destDir && rc.name == "":
			return nil, errs.Invalid("ADD failed: cannot determine filename for source %s", rc.url)
		case destDir:
			remote[i].name = strings.TrimPrefix(path.Join(dest, rc.name), "/")
		default:
			remote[i].name = strings.TrimPrefix(dest, "/")
		}
	}
	if len(local) == 0 {
		return remote, nil
	}
	lc := c
	lc.sources = local
	if len(remote) > 0 {
		// With a URL among the sources the destination is a directory.
		lc.dest, workdir = dest+"/", "/"
	}
	entries, err := collect(ix, workdir, lc)
	if err != nil {
		return nil, err
	}
	return append(remote, entries...), nil
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// destOf is the destination's absolute path and whether it names a
// directory.
func destOf(workdir string, c copySpec) (string, bool) {
	dest := c.dest
	if !path.IsAbs(dest) {
		dest = path.Join("/", workdir, dest)
	}
	return dest, strings.HasSuffix(c.dest, "/") || strings.HasSuffix(c.dest, "/.") || c.dest == "."
}

// collect resolves the local sources against the index into the layer's
// entries. Symbolic links are followed within the context; one leading
// out of it is refused.
func collect(ix *contextIndex, workdir string, c copySpec) ([]copyEntry, error) {
	verb := c.verb()
	dest, destDir := destOf(workdir, c)
	var matches []string
	for _, src := range c.sources {
		if isURL(src) {
			return nil, errs.Invalid("%s failed: source can't be a URL for %s: %s", verb, verb, src)
		}
		clean := path.Clean(src)
		if clean == ".." || strings.HasPrefix(clean, "../") {
			return nil, errs.Invalid("%s failed: forbidden path outside the build context: %s", verb, src)
		}
		rel, _ := cleanRel(src)
		if strings.ContainsAny(rel, "*?[") {
			ms, err := ix.glob(rel)
			if errors.Is(err, errOutside) {
				return nil, errs.Invalid("%s failed: forbidden path outside the build context: %s", verb, src)
			}
			if err != nil {
				return nil, errs.Invalid("%s failed: %v", verb, err)
			}
			if len(ms) == 0 {
				return nil, errs.Invalid("%s failed: no source files were specified", verb)
			}
			matches = append(matches, ms...)
			continue
		}
		if _, _, err := ix.lstat(rel); err != nil && !errors.Is(err, errOutside) {
			return nil, errs.Invalid("%s failed: file not found in build context or excluded by .dockerignore: stat %s: file does not exist", verb, src)
		}
		matches = append(matches, rel)
	}
	if len(matches) > 1 {
		destDir = true
	}
	var out []copyEntry
	for _, m := range matches {
		real, e, err := ix.lstat(m)
		if errors.Is(err, errOutside) {
			return nil, errs.Invalid("%s failed: forbidden path outside the build context: %s", verb, m)
		}
		if err != nil {
			return nil, errs.Invalid("%s failed: file not found in build context or excluded by .dockerignore: stat %s: file does not exist", verb, m)
		}
		if e.typ != tar.TypeDir {
			name := dest
			if destDir {
				name = path.Join(dest, path.Base(m))
			}
			ce := copyEntry{e: e, name: strings.TrimPrefix(name, "/")}
			if c.add && e.typ == tar.TypeReg && isArchive(e) {
				ce.name, ce.archive = strings.TrimPrefix(dest, "/"), true
			}
			out = append(out, ce)
			continue
		}
		// A directory's contents are copied, not the directory itself.
		for _, n := range ix.under(real) {
			rel := n
			if real != "." {
				rel = n[len(real)+1:]
			}
			out = append(out, copyEntry{e: ix.entries[n], name: strings.TrimPrefix(path.Join(dest, rel), "/")})
		}
	}
	return out, nil
}

func isArchive(e *ctxEntry) bool {
	rc, err := compression.DecompressStream(e.content())
	if err != nil {
		return false
	}
	defer rc.Close()
	_, err = tar.NewReader(rc).Next()
	return err == nil
}

// header is the tar header of e in the layer.
func header(e copyEntry, uid, gid int, mode *os.FileMode) *tar.Header {
	h := &tar.Header{
		Typeflag: e.e.typ,
		Name:     e.name,
		Mode:     e.e.mode,
		ModTime:  e.e.mtime,
		Linkname: e.e.link,
		Uid:      uid,
		Gid:      gid,
		Format:   tar.FormatPAX,
	}
	switch e.e.typ {
	case tar.TypeDir:
		h.Name += "/"
	case tar.TypeReg:
		h.Size = e.e.size
	}
	if mode != nil && e.e.typ != tar.TypeSymlink {
		h.Mode = int64(*mode)
	}
	return h
}

// checksum is the sources' checksum for the cache: names, types, modes,
// link targets, sizes and content digests, the --chown as written and,
// for remote sources, the URL; not modification times. It reads no file
// contents: the index has their digests.
func checksum(entries []copyEntry, chown string, mode *os.FileMode) string {
	h := sha256.New()
	fmt.Fprintf(h, "chown=%s\x00", chown)
	for _, e := range entries {
		hd := header(e, 0, 0, mode)
		fmt.Fprintf(h, "%s\x00%c\x00%o\x00%s\x00%d\x00%t\x00%s\x00", hd.Name, hd.Typeflag, hd.Mode, hd.Linkname, hd.Size, e.archive, e.url)
		if e.e.typ == tar.TypeReg {
			h.Write(e.e.sum[:])
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// writeLayer writes the entries as an uncompressed layer tar to w.
func writeLayer(w io.Writer, entries []copyEntry, uid, gid int, mode *os.FileMode) error {
	tw := tar.NewWriter(w)
	for _, e := range entries {
		if e.archive {
			if err := copyUnpacked(tw, e); err != nil {
				return err
			}
			continue
		}
		if err := tw.WriteHeader(header(e, uid, gid, mode)); err != nil {
			return err
		}
		if e.e.typ == tar.TypeReg {
			if _, err := io.Copy(tw, e.e.content()); err != nil {
				return err
			}
		}
	}
	return tw.Close()
}

// copyUnpacked writes the unpacked local tar of e under e.name (ADD).
func copyUnpacked(tw *tar.Writer, e copyEntry) error {
	rc, err := archive.TarWithOptions(e.unpacked, &archive.TarOptions{})
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
		rel := path.Clean(h.Name)
		if rel == "." {
			continue
		}
		h.Name = path.Join(e.name, rel)
		if h.Typeflag == tar.TypeDir {
			h.Name += "/"
		}
		if h.Typeflag == tar.TypeLink {
			h.Linkname = path.Join(e.name, path.Clean(h.Linkname))
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return err
		}
	}
}

// fromIndex indexes COPY --from's sources out of a stage's or an image's
// file system. A glob source brings the directory its pattern starts in.
func (r *run) fromIndex(ctx context.Context, c copySpec) (*contextIndex, error) {
	imageID := ""
	if j := r.stageIndex(c.from, len(r.stages)); j >= 0 {
		st, ok := r.built[j]
		if !ok {
			return nil, errs.Invalid("COPY --from=%s: stage not built", c.from)
		}
		imageID = st.imageID
	} else {
		img, err := r.b.images.Get(ctx, c.from)
		if err != nil {
			return nil, err
		}
		imageID = img.ID
	}
	ix := newContextIndex(newSpool(r.b.tmp, memSpoolMax))
	if imageID == "" {
		return ix, nil
	}
	err := r.withContainer(ctx, imageID, func(id string) error {
		for _, src := range c.sources {
			rel, _ := cleanRel(src)
			if strings.ContainsAny(rel, "*?[") {
				rel = fixedPrefix(rel)
			}
			p := "/" + rel
			if rel == "." {
				p = "/"
			}
			tr, _, err := r.b.containers.ArchivePath(ctx, id, p)
			if err != nil {
				return errs.Invalid("COPY failed: stat %s: file does not exist", src)
			}
			err = ix.addTar(ctx, tr, path.Dir(rel))
			tr.Close()
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		ix.close()
		return nil, err
	}
	return ix, nil
}

// fixedPrefix is the directory part of pattern before its first element
// with a wildcard ("." if that is the first).
func fixedPrefix(pattern string) string {
	parts := strings.Split(pattern, "/")
	for i, p := range parts {
		if strings.ContainsAny(p, "*?[") {
			if i == 0 {
				return "."
			}
			return strings.Join(parts[:i], "/")
		}
	}
	return pattern
}

// withContainer runs f with a container of imageID that is never
// started: a way at the image's files.
func (r *run) withContainer(ctx context.Context, imageID string, f func(id string) error) error {
	cs := r.b.containers
	resp, err := cs.Create(ctx, wcontainer.CreateOptions{Config: &container.Config{Image: imageID, Entrypoint: []string{"/wharf-build-copy"}}})
	if err != nil {
		return err
	}
	defer cs.Remove(context.WithoutCancel(ctx), resp.ID, wcontainer.RemoveOptions{Force: true})
	return f(resp.ID)
}

package main

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/docker/cli/cli/command/image/build"
	"github.com/moby/patternmatcher"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

// fastContext wraps the classic `build` commands (build, image build,
// builder build). For a local directory context wharf writes the context
// tarball itself and hands it to docker's own build code as a tarball on
// stdin ("-"), so flags, output, messages and exit codes stay docker's.
// docker's code walks the context twice (a readability check, then the
// tar) and opens every file through the runtime's poller; on thousands of
// small files that is most of a cached build's time. tarContext walks
// once, reads small files ahead on two goroutines and uses plain
// open/read/close. Anything unusual (stdin, URLs, git, a Dockerfile outside
// the context) takes docker's path unchanged.
func fastContext(root *cobra.Command) {
	for _, path := range [][]string{{"build"}, {"image", "build"}, {"builder", "build"}} {
		cmd, _, err := root.Find(path)
		if err != nil || cmd == root || cmd.Name() != "build" || cmd.RunE == nil {
			continue
		}
		if cmd.Flags().Lookup("progress") == nil {
			// BuildKit's flag, which docker users pass out of habit; the
			// classic builder's output is always plain.
			cmd.Flags().String("progress", "auto", "Set type of progress output (auto, plain, tty); the classic builder's is always plain")
		}
		orig := cmd.RunE
		cmd.RunE = func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				if ok := useFastContext(c, args[0]); ok {
					args = []string{"-"}
				}
			}
			return orig(c, args)
		}
	}
}

// useFastContext starts writing the context of dir to stdin, for docker's
// build code to read as "-", and sets --file to the Dockerfile's path in
// it. It reports false, having changed nothing, when docker's own path
// should be taken.
func useFastContext(c *cobra.Command, dir string) bool {
	file := c.Flags().Lookup("file")
	if file == nil || file.Value.String() == "-" {
		return false
	}
	if t, err := build.DetectContextType(dir); err != nil || t != build.ContextTypeLocal {
		return false
	}
	contextDir, relDockerfile, err := build.GetContextFromLocalDir(dir, file.Value.String())
	if err != nil || strings.HasPrefix(relDockerfile, ".."+string(filepath.Separator)) {
		return false // docker's path reports the error, or sends the Dockerfile along
	}
	excludes, err := build.ReadDockerignore(contextDir)
	if err != nil {
		return false
	}
	relDockerfile = filepath.ToSlash(relDockerfile)
	pm, err := patternmatcher.New(build.TrimBuildFilesFromExcludes(excludes, relDockerfile, false))
	if err != nil {
		return false
	}
	// docker's code reads the tarball from the process's stdin, a
	// blocking file to the runtime: the pipe must block too.
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return false
	}
	if err := unix.Dup2(p[0], 0); err != nil {
		unix.Close(p[0])
		unix.Close(p[1])
		return false
	}
	unix.Close(p[0])
	// A bigger pipe: fewer switches between writer and reader.
	_, _ = unix.FcntlInt(uintptr(p[1]), unix.F_SETPIPE_SZ, 1<<20)
	pw := os.NewFile(uintptr(p[1]), "context")
	if err := file.Value.Set(relDockerfile); err != nil {
		return false
	}
	go func() {
		err := tarContext(pw, contextDir, pm)
		pw.Close()
		if err != nil {
			// The daemon has part of a context: stop, as docker's
			// check before sending would have.
			fmt.Fprintf(os.Stderr, "checking context: %v\n", err)
			os.Exit(1)
		}
	}()
	return true
}

// readAhead is the largest file read ahead of the tar writer; bigger ones
// are copied when their turn comes.
const readAhead = 128 << 10

// ctxItem is one entry of the context tarball.
type ctxItem struct {
	path string // on this machine
	hdr  *tar.Header
	data []byte        // a small regular file's contents, once done is closed
	err  error         // reading data
	done chan struct{} // nil when nothing is read ahead
}

// tarContext writes the context directory dir as a tarball to w, leaving
// out what pm excludes as docker's build code does: an excluded directory
// is skipped unless an exception pattern may match inside it; owners are
// 0:0; a file with several links is sent once, then as hard links.
func tarContext(w io.Writer, dir string, pm *patternmatcher.PatternMatcher) error {
	items := make(chan *ctxItem, 128)
	reads := make(chan *ctxItem, 128)
	walkErr := make(chan error, 1)
	go func() {
		defer close(items)
		defer close(reads)
		walkErr <- walkContext(dir, pm, func(it *ctxItem) {
			if it.done != nil {
				reads <- it
			}
			items <- it
		})
	}()
	for range 2 {
		go func() {
			for it := range reads {
				it.data, it.err = readSmall(it.path, it.hdr.Size)
				close(it.done)
			}
		}()
	}
	tw := tar.NewWriter(w)
	var err error
	first := true
	for it := range items {
		if err != nil {
			continue // drain, so the walker ends
		}
		if first && !plainName(it.hdr.Name) {
			// A long or non-ASCII name needs a PAX header before its
			// own; docker's check for a tarball on stdin sees only the
			// first two blocks, so a plain "./" goes first.
			err = tw.WriteHeader(&tar.Header{Name: "./", Typeflag: tar.TypeDir, Mode: 0o755})
		}
		first = false
		if err == nil {
			err = writeItem(tw, it)
		}
	}
	if werr := <-walkErr; err == nil {
		err = werr
	}
	if err != nil {
		return err
	}
	return tw.Close()
}

func writeItem(tw *tar.Writer, it *ctxItem) error {
	if it.done != nil {
		<-it.done
		if it.err != nil {
			return it.err
		}
	}
	if err := tw.WriteHeader(it.hdr); err != nil {
		return err
	}
	switch {
	case it.done != nil:
		_, err := tw.Write(it.data)
		return err
	case it.hdr.Typeflag == tar.TypeReg && it.hdr.Size > 0:
		f, err := os.Open(it.path)
		if err != nil {
			return readErr(it.path, err)
		}
		defer f.Close()
		if _, err := io.Copy(tw, io.LimitReader(f, it.hdr.Size)); err != nil {
			return err
		}
	}
	return nil
}

// readSmall reads the size bytes of the regular file p.
func readSmall(p string, size int64) ([]byte, error) {
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, readErr(p, err)
	}
	defer unix.Close(fd)
	b := make([]byte, size)
	for n := 0; n < len(b); {
		m, err := unix.Read(fd, b[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, readErr(p, err)
		}
		if m == 0 {
			return nil, fmt.Errorf("%s: file changed while it was read", p)
		}
		n += m
	}
	return b, nil
}

// readErr words a failure to read a context file as docker's check does.
func readErr(p string, err error) error {
	if os.IsPermission(err) {
		return fmt.Errorf("no permission to read from '%s'", p)
	}
	return err
}

// walkContext calls emit for each entry of dir to send, in walk order.
func walkContext(dir string, pm *patternmatcher.PatternMatcher, emit func(*ctxItem)) error {
	inodes := map[uint64]string{} // files with several links, sent once
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsPermission(err) {
				return fmt.Errorf("can't stat '%s'", p)
			}
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		skip, err := pm.MatchesOrParentMatches(rel)
		if err != nil {
			return err
		}
		if skip {
			if !d.IsDir() {
				return nil
			}
			if pm.Exclusions() {
				for _, pat := range pm.Patterns() {
					if pat.Exclusion() && strings.HasPrefix(pat.String()+"/", rel+"/") {
						return nil // an exception may keep something inside
					}
				}
			}
			return filepath.SkipDir
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		// Whole seconds, as docker's tar has them: a sub-second mtime
		// would need a PAX header first, and docker's check that stdin
		// holds a tarball only looks at the first two blocks.
		hdr := &tar.Header{Name: rel, Mode: tarMode(fi.Mode()), ModTime: fi.ModTime().Truncate(time.Second)}
		it := &ctxItem{path: p, hdr: hdr}
		st, _ := fi.Sys().(*syscall.Stat_t)
		switch m := fi.Mode(); {
		case m.IsDir():
			hdr.Typeflag, hdr.Name = tar.TypeDir, rel+"/"
		case m.IsRegular():
			hdr.Typeflag, hdr.Size = tar.TypeReg, fi.Size()
			if st != nil && st.Nlink > 1 {
				if first, ok := inodes[st.Ino]; ok {
					hdr.Typeflag, hdr.Size, hdr.Linkname = tar.TypeLink, 0, first
					break
				}
				inodes[st.Ino] = rel
			}
			if hdr.Size > 0 && hdr.Size <= readAhead {
				it.done = make(chan struct{})
			}
		case m&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, link
		case m&fs.ModeNamedPipe != 0:
			hdr.Typeflag = tar.TypeFifo
		case m&fs.ModeDevice != 0 && st != nil:
			hdr.Typeflag = tar.TypeBlock
			if m&fs.ModeCharDevice != 0 {
				hdr.Typeflag = tar.TypeChar
			}
			hdr.Devmajor, hdr.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
		default:
			return nil // sockets: not archived
		}
		emit(it)
		return nil
	})
}

// plainName reports whether name fits a ustar header without a PAX one.
func plainName(name string) bool {
	if len(name) >= 100 {
		return false
	}
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 {
			return false
		}
	}
	return true
}

// tarMode is a file's permission bits with setuid, setgid and sticky.
func tarMode(m fs.FileMode) int64 {
	mode := int64(m.Perm())
	if m&fs.ModeSetuid != 0 {
		mode |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		mode |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		mode |= 0o1000
	}
	return mode
}

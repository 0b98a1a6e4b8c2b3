package logger

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	units "github.com/docker/go-units"
)

// Rotation is when and how a container's log file is rotated: past
// MaxSize bytes it becomes <log>.1 (<log>.1.gz with Compress), the older
// ones move up one, and at most MaxFile files are kept, the live one
// included. MaxSize 0 never rotates.
type Rotation struct {
	MaxSize  int64
	MaxFile  int
	Compress bool
}

// local's defaults, as dockerd's local driver (also the journald
// driver's local copy, dockerd's "dual logging" cache).
var localDefaults = Rotation{MaxSize: 20 << 20, MaxFile: 5, Compress: true}

// RotationFor reads a driver's rotation options (checked already by
// ValidateLogOpts): json-file rotates only when max-size is set, as
// dockerd's; local and journald's local copy default to 20MB × 5 files,
// compressed.
func RotationFor(driver string, opts map[string]string) Rotation {
	r := Rotation{MaxFile: 1}
	if driver == "local" || driver == "journald" {
		r = localDefaults
	}
	if v, ok := opts["max-size"]; ok {
		if n, err := units.RAMInBytes(v); err == nil {
			r.MaxSize = n
		}
	}
	if v, ok := opts["max-file"]; ok {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			r.MaxFile = n
		}
	}
	if v, ok := opts["compress"]; ok {
		r.Compress, _ = strconv.ParseBool(v)
	}
	if r.MaxSize <= 0 {
		return Rotation{MaxFile: 1}
	}
	return r
}

// rotated is the name of the n-th rotated file of path, gzipped or not.
func rotated(path string, n int, gz bool) string {
	name := path + "." + strconv.Itoa(n)
	if gz {
		name += ".gz"
	}
	return name
}

// Files lists path's rotated files that exist, oldest first, then path.
func Files(path string) []string {
	var older []string
	for n := 1; ; n++ {
		if _, err := os.Stat(rotated(path, n, true)); err == nil {
			older = append(older, rotated(path, n, true))
		} else if _, err := os.Stat(rotated(path, n, false)); err == nil {
			older = append(older, rotated(path, n, false))
		} else {
			break
		}
	}
	files := make([]string, 0, len(older)+1)
	for i := len(older) - 1; i >= 0; i-- {
		files = append(files, older[i])
	}
	return append(files, path)
}

// Open opens one of Files, reading a gzipped one through gunzip.
func Open(name string) (io.ReadCloser, error) {
	f, err := os.Open(name)
	if err != nil || len(name) < 3 || name[len(name)-3:] != ".gz" {
		return f, err
	}
	z, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{z, f}, nil
}

// Rotate moves path to path.1 (shifting the older files up and dropping
// those beyond MaxFile), then calls reopen, which asks the writer to
// start a new path, and waits for it to. The writer goes on writing into
// path.1 until it reopens, so nothing is lost. With MaxFile 1 the
// writer's reopen alone starts the file anew. CompressFirst then
// compresses path.1 if the rotation says so.
func Rotate(path string, r Rotation, reopen func() error) error {
	if r.MaxFile > 1 {
		for n := r.MaxFile; n <= r.MaxFile+1; n++ { // files a smaller max-file left
			os.Remove(rotated(path, n, true))
			os.Remove(rotated(path, n, false))
		}
		for n := r.MaxFile - 2; n >= 1; n-- {
			for _, gz := range []bool{true, false} {
				if err := os.Rename(rotated(path, n, gz), rotated(path, n+1, gz)); err != nil && !errors.Is(err, os.ErrNotExist) {
					return err
				}
			}
		}
		if err := os.Rename(path, rotated(path, 1, false)); err != nil {
			return err
		}
	}
	if err := reopen(); err != nil {
		return fmt.Errorf("reopening the log: %w", err)
	}
	if r.MaxFile == 1 {
		return nil
	}
	// The writer makes the new file when it has let go of the old one.
	for deadline := time.Now().Add(reopenTimeout); ; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the log writer did not reopen %s within %s", path, reopenTimeout)
		}
	}
}

// reopenTimeout bounds the wait for the writer to start its new file.
const reopenTimeout = 5 * time.Second

// CompressFirst gzips path.1, the newest rotated file, once its writer
// has let go of it (after Rotate), when the rotation says to.
func CompressFirst(path string, r Rotation) error {
	if !r.Compress || r.MaxFile < 2 {
		return nil
	}
	if _, err := os.Stat(rotated(path, 1, false)); err != nil {
		return nil
	}
	return compress(rotated(path, 1, false), rotated(path, 1, true))
}

// compress gzips from into to (through a temporary file) and removes from.
func compress(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := to + ".tmp"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	z := gzip.NewWriter(out)
	_, err = io.Copy(z, in)
	if cerr := z.Close(); err == nil {
		err = cerr
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, to)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Remove(from)
}

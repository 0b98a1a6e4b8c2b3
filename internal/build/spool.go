package build

import (
	"errors"
	"io"
	"os"
	"sync"
)

// spoolChunk is the size of the in-memory pieces of a spool: appending
// never copies what is already held, as a growing slice would.
const spoolChunk = 1 << 20

// memSpoolMax is how much of a spool stays in memory; the rest goes to a
// file. A typical context fits, so a build writes nothing to disk for it.
const memSpoolMax = 64 << 20

// spool holds the file contents of a build context, one after the other:
// the first memMax bytes in memory, the rest in a file under dir. The file
// is unlinked as soon as it is created, so a killed daemon leaves nothing
// behind. Appends and reads may come from several goroutines.
type spool struct {
	mu     sync.Mutex
	dir    string
	memMax int64
	chunks [][]byte
	size   int64
	f      *os.File
	buf    []byte // append's, reused: a context is thousands of appends
}

func newSpool(dir string, memMax int64) *spool {
	return &spool{dir: dir, memMax: memMax}
}

// append copies r to the end of the spool and returns where it starts and
// how long it is. At most limit bytes are taken (-1 for no limit); more is
// errTooLarge.
func (s *spool) append(r io.Reader, limit int64) (off, n int64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	off = s.size
	if s.buf == nil {
		s.buf = make([]byte, 32<<10)
	}
	buf := s.buf
	for {
		if limit >= 0 && n > limit {
			s.truncate(off)
			return 0, 0, errTooLarge
		}
		m, rerr := r.Read(buf)
		if m > 0 {
			if err := s.write(buf[:m]); err != nil {
				s.truncate(off)
				return 0, 0, err
			}
			n += int64(m)
		}
		if errors.Is(rerr, io.EOF) {
			if limit >= 0 && n > limit {
				s.truncate(off)
				return 0, 0, errTooLarge
			}
			return off, n, nil
		}
		if rerr != nil {
			s.truncate(off)
			return 0, 0, rerr
		}
	}
}

var errTooLarge = errors.New("too large")

// write appends p. Caller holds s.mu.
func (s *spool) write(p []byte) error {
	for len(p) > 0 {
		if s.size >= s.memMax {
			if s.f == nil {
				f, err := os.CreateTemp(s.dir, "spool-")
				if err != nil {
					return err
				}
				_ = os.Remove(f.Name())
				s.f = f
			}
			if _, err := s.f.WriteAt(p, s.size-s.memMax); err != nil {
				return err
			}
			s.size += int64(len(p))
			return nil
		}
		i, o := s.size/spoolChunk, s.size%spoolChunk
		if int(i) == len(s.chunks) {
			s.chunks = append(s.chunks, make([]byte, spoolChunk))
		}
		room := min(int64(spoolChunk)-o, s.memMax-s.size)
		m := copy(s.chunks[i][o:o+room], p)
		p = p[m:]
		s.size += int64(m)
	}
	return nil
}

// truncate drops what a failed append wrote. Caller holds s.mu.
func (s *spool) truncate(size int64) {
	s.size = size
	if s.f != nil && size >= s.memMax {
		_ = s.f.Truncate(size - s.memMax)
	}
}

// ReadAt reads spooled bytes; it is io.ReaderAt.
func (s *spool) ReadAt(p []byte, off int64) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for len(p) > 0 {
		if off >= s.size {
			return n, io.EOF
		}
		if off >= s.memMax {
			want := min(int64(len(p)), s.size-off)
			m, err := s.f.ReadAt(p[:want], off-s.memMax)
			n += m
			if err != nil {
				return n, err
			}
			p, off = p[m:], off+int64(m)
			continue
		}
		i, o := off/spoolChunk, off%spoolChunk
		end := min(int64(spoolChunk), s.size-i*spoolChunk, s.memMax-i*spoolChunk)
		m := copy(p, s.chunks[i][o:end])
		n += m
		p, off = p[m:], off+int64(m)
	}
	return n, nil
}

// section reads n bytes from off.
func (s *spool) section(off, n int64) io.Reader {
	return io.NewSectionReader(s, off, n)
}

// close releases the spool's memory and file.
func (s *spool) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chunks, s.size = nil, 0
	if s.f != nil {
		err := s.f.Close()
		s.f = nil
		return err
	}
	return nil
}

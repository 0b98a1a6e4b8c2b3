package container

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"time"

	"github.com/wharf/wharf/internal/api/backend"
)

// conmon writes logs in the CRI "k8s-file" format, one line per chunk:
//
//	2026-11-23T07:05:07.475781769+00:00 stdout F the line
//
// where F ends a line and P marks a partial one (no newline yet).

// LogsOptions are the query parameters of GET /containers/{id}/logs (the
// API layer's type).
type LogsOptions = backend.ContainerLogsOptions

// logEntry is one message: a whole line, or what a partial run joined.
type logEntry struct {
	time    time.Time
	stderr  bool
	content []byte // including its trailing newline, if any
}

// Logs writes the container's log to stdout/stderr (the same writer for a
// TTY container) as filtered by o, and follows it if asked.
func (s *Service) Logs(ctx context.Context, ref string, stdout, stderr io.Writer, o LogsOptions) (tty bool, err error) {
	c, err := s.readableLog(ref)
	if err != nil {
		return false, err
	}
	return c.Config.Tty, s.copyLogs(ctx, c, stdout, stderr, o)
}

// LogsTTY is what the logs route asks before it answers: whether the
// container's log can be read back (an error, in docker's words, if not)
// and whether its streams are a terminal (and so not multiplexed).
func (s *Service) LogsTTY(ref string) (bool, error) {
	c, err := s.readableLog(ref)
	if err != nil {
		return false, err
	}
	return c.Config.Tty, nil
}

// readableLog finds the container ref names, unless its log driver keeps
// nothing to read back.
func (s *Service) readableLog(ref string) (*Container, error) {
	c, err := s.get(ref)
	if err != nil {
		return nil, err
	}
	if c.HostConfig.LogConfig.Type == "none" {
		return nil, errLogsNotReadable
	}
	return c, nil
}

// IsTTY reports whether a container's streams are a terminal (and so not
// multiplexed on the wire).
func (s *Service) IsTTY(ref string) (bool, error) {
	c, err := s.get(ref)
	if err != nil {
		return false, err
	}
	return c.Config.Tty, nil
}

func (s *Service) copyLogs(ctx context.Context, c *Container, stdout, stderr io.Writer, o LogsOptions) error {
	if !o.Stdout && !o.Stderr {
		o.Stdout, o.Stderr = true, true
	}
	f, err := os.Open(s.logPath(c))
	if os.IsNotExist(err) {
		if !o.Follow {
			return nil
		}
		if f, err = s.waitLogFile(ctx, c); f == nil {
			return err
		}
	} else if err != nil {
		return err
	}
	defer func() { f.Close() }()

	details := logDetails(c)
	// The log as it is now: read up to its present size, so that a
	// container writing faster than the client reads cannot keep the
	// answer from ending. Entries stream out as they are read; only a
	// tail is held: a long log never sits in memory.
	var size int64
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
	}
	r := &logReader{r: bufio.NewReaderSize(f, 64*1024)}
	emit := func(e logEntry) error {
		if (!o.Since.IsZero() && e.time.Before(o.Since)) || (!o.Until.IsZero() && e.time.After(o.Until)) {
			return nil
		}
		w := stdout
		if e.stderr {
			if !o.Stderr {
				return nil
			}
			w = stderr
		} else if !o.Stdout {
			return nil
		}
		if w == nil {
			return nil
		}
		msg := e.content
		if o.Details {
			msg = append(append(details[:len(details):len(details)], ' '), msg...)
		}
		if o.Timestamps {
			msg = append([]byte(e.time.UTC().Format(time.RFC3339Nano)+" "), msg...)
		}
		_, err := w.Write(msg)
		return err
	}
	var tail []logEntry
	keep := func(e logEntry) error {
		switch {
		case o.Tail < 0:
			return emit(e)
		case o.Tail > 0:
			if len(tail) == o.Tail {
				tail = tail[1:]
			}
			tail = append(tail, e)
		}
		return nil
	}
	// The rotated files first, oldest first: they no longer change.
	for _, e := range s.rotatedEntries(c, f) {
		if err := keep(e); err != nil {
			return err
		}
	}
	for r.consumed < size {
		e, ok := r.next(o.Follow)
		if !ok {
			break
		}
		if err := keep(e); err != nil {
			return err
		}
	}
	for _, e := range tail {
		if err := emit(e); err != nil {
			return err
		}
	}
	if !o.Follow {
		return nil
	}
	for {
		e, ok := r.next(true)
		if ok {
			if !o.Until.IsZero() && e.time.After(o.Until) {
				return nil
			}
			if err := emit(e); err != nil {
				return err
			}
			continue
		}
		if next := s.rotatedAway(c, f); next != nil {
			// conmon let go of f when it made the new file: f is whole.
			for {
				e, ok := r.next(true)
				if !ok {
					break
				}
				if err := emit(e); err != nil {
					next.Close()
					return err
				}
			}
			f.Close()
			f = next
			r.r = bufio.NewReaderSize(f, 64*1024)
			continue
		}
		l := c.watch()
		running, changed := l.running || l.pending || l.status == "created", l.changed
		if !running {
			// Drain what conmon wrote before the exit, then stop.
			for {
				e, ok := r.next(false)
				if !ok {
					return nil
				}
				if err := emit(e); err != nil {
					return err
				}
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitLogFile waits for a not-yet-started container's log to appear.
func (s *Service) waitLogFile(ctx context.Context, c *Container) (*os.File, error) {
	for {
		if f, err := os.Open(s.logPath(c)); err == nil {
			return f, nil
		}
		l := c.watch()
		gone, changed := l.removed, l.changed
		if gone {
			return nil, nil
		}
		select {
		case <-ctx.Done():
			return nil, nil
		case <-changed:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// logReader parses k8s-file lines, joining partial lines into one entry.
type logReader struct {
	r        *bufio.Reader
	pending  []byte // a line read without its newline yet
	partial  *logEntry
	consumed int64 // bytes of the file read so far
}

// next returns the next complete entry. With follow, a line still being
// written is kept for the next call instead of being parsed half.
func (l *logReader) next(follow bool) (logEntry, bool) {
	for {
		line, err := l.r.ReadBytes('\n')
		l.consumed += int64(len(line))
		l.pending = append(l.pending, line...)
		if err != nil {
			if !follow && len(l.pending) > 0 && l.partial == nil {
				// An unterminated last line at the end of a finished log.
				line, l.pending = l.pending, nil
				if e, ok := parseLogLine(line); ok {
					return e.logEntry, true
				}
			}
			return logEntry{}, false
		}
		line, l.pending = l.pending, nil
		e, ok := parseLogLine(bytes.TrimSuffix(line, []byte("\n")))
		if !ok {
			continue
		}
		if e.partialFlag {
			if l.partial == nil {
				p := e.logEntry
				l.partial = &p
			} else {
				l.partial.content = append(l.partial.content, e.content...)
			}
			continue
		}
		if l.partial != nil {
			p := *l.partial
			l.partial = nil
			p.content = append(p.content, e.content...)
			p.content = append(p.content, '\n')
			return p, true
		}
		e.content = append(e.content, '\n')
		return e.logEntry, true
	}
}

type parsedLine struct {
	logEntry
	partialFlag bool
}

func parseLogLine(line []byte) (parsedLine, bool) {
	fields := bytes.SplitN(line, []byte(" "), 4)
	if len(fields) < 3 {
		return parsedLine{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(fields[0]))
	if err != nil {
		return parsedLine{}, false
	}
	var content []byte
	if len(fields) == 4 {
		content = append([]byte(nil), fields[3]...)
	}
	return parsedLine{
		logEntry:    logEntry{time: t, stderr: string(fields[1]) == "stderr", content: content},
		partialFlag: string(fields[2]) == "P",
	}, true
}

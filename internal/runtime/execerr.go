package runtime

import (
	"bytes"
	"io"
	"sync"
)

// runtimeErrorPrefixes begin the lines a runtime writes, besides its
// log, where the process to exec would write when it cannot start it.
// crun 1.8 writes them on the process's stderr (a terminal's output with
// -t): the command missing or not executable, the working directory
// missing, the exec itself failing. runc writes "exec failed: ..." on
// its own stderr, which is the process's terminal with -t. docker's
// users see such an error once, in the daemon's error, never in the
// process's output.
var runtimeErrorPrefixes = [][]byte{[]byte("executable file `"), []byte("open executable"), []byte("chdir `"), []byte("exec: "), []byte("exec failed: ")}

// maxRuntimeErrorLine bounds what runtimeErrorFilter holds back.
const maxRuntimeErrorLine = 4096

// runtimeErrorFilter passes an exec'd process's output on, but holds
// back its first line while that may be the runtime's error line: until
// more output comes (the process ran: the line was its own) or the
// process ends, when end drops it if the runtime failed to start the
// process and writes it otherwise. Output that cannot be such a line is
// never held.
type runtimeErrorFilter struct {
	mu   sync.Mutex
	w    io.Writer
	held []byte
	open bool // past the first line: everything passes
}

func (f *runtimeErrorFilter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.open {
		return f.w.Write(p)
	}
	f.held = append(f.held, p...)
	if mayBeRuntimeError(f.held) {
		return len(p), nil
	}
	f.open = true
	held := f.held
	f.held = nil
	if _, err := f.w.Write(held); err != nil {
		return 0, err
	}
	return len(p), nil
}

// end releases a held line: dropped when the runtime failed to start
// the process (its error reaches the client in docker's words instead).
func (f *runtimeErrorFilter) end(runtimeFailed bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !runtimeFailed && len(f.held) > 0 {
		f.w.Write(f.held)
	}
	f.held, f.open = nil, true
}

// mayBeRuntimeError reports whether b may be (the start of) a runtime's
// error line: one line at most, which starts with one of the prefixes or
// is the start of one.
func mayBeRuntimeError(b []byte) bool {
	if len(b) > maxRuntimeErrorLine {
		return false
	}
	line, _, complete := bytes.Cut(b, []byte("\n"))
	if complete && len(line)+1 != len(b) {
		return false
	}
	for _, p := range runtimeErrorPrefixes {
		if bytes.HasPrefix(line, p) || !complete && bytes.HasPrefix(p, line) {
			return true
		}
	}
	return false
}

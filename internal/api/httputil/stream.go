package httputil

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client/pkg/versions"
	"golang.org/x/sys/unix"
)

// Hijack takes over the connection for a raw stream (attach, exec start).
// Clients that asked to upgrade get 101 Switching Protocols, as from
// dockerd; the headers already set (API version, server) go out too.
func Hijack(w http.ResponseWriter, r *http.Request, contentType string) (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("connection cannot be hijacked")
	}
	header := w.Header().Clone()
	conn, rw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	// The request body may still hold buffered client bytes; they belong to the stream.
	if r.Header.Get("Upgrade") != "" {
		fmt.Fprintf(rw, "HTTP/1.1 101 UPGRADED\r\nContent-Type: %s\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n", contentType)
	} else {
		fmt.Fprintf(rw, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n", contentType)
	}
	header.Del("Content-Type")
	header.Write(rw)
	rw.WriteString("\r\n")
	if err := rw.Flush(); err != nil {
		conn.Close()
		return nil, nil, err
	}
	waitRead(conn, headWait)
	return conn, rw, nil
}

// headWait bounds how long a hijacked stream waits for the client to read
// the response head.
const headWait = 100 * time.Millisecond

// waitRead waits, at most max, until the peer has read everything sent
// on conn (a unix socket's send queue is empty). Clients such as
// python's docker SDK parse the response head through a buffered reader
// and then read the raw socket: stream bytes that arrived with the head
// would sit in that buffer and be lost (attach with logs=1 answers at
// once). dockerd is merely slow enough to escape this; we wait instead.
func waitRead(conn net.Conn, max time.Duration) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return
	}
	deadline := time.Now().Add(max)
	for delay := 50 * time.Microsecond; time.Now().Before(deadline); delay = min(2*delay, 5*time.Millisecond) {
		queued, ioctlErr := 0, error(nil)
		if err := raw.Control(func(fd uintptr) {
			queued, ioctlErr = unix.IoctlGetInt(int(fd), unix.SIOCOUTQ)
		}); err != nil || ioctlErr != nil || queued == 0 {
			return
		}
		time.Sleep(delay)
	}
}

// NotifyClosed calls gone once the client has hung up conn, until stop
// is called; a hijacked stream uses it to stop serving a client that is
// no longer there, as dockerd's notifyClosed does. Hanging up is closing
// the socket: a half-close that ends the client's stdin is not. The
// descriptor is polled, never read, so stdin stays the stream's; stop
// wakes the poll at once (a pipe), so closing conn after it waits for
// nothing.
func NotifyClosed(conn net.Conn, gone func()) (stop func()) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return func() {}
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return func() {}
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return func() {}
	}
	go func() {
		defer pr.Close()
		raw.Control(func(fd uintptr) {
			// No events asked for on conn: poll reports only POLLHUP,
			// POLLERR and POLLNVAL. The pipe reports POLLHUP on stop.
			fds := []unix.PollFd{{Fd: int32(fd)}, {Fd: int32(pr.Fd())}}
			for {
				_, err := unix.Poll(fds, -1)
				if err == unix.EINTR {
					continue
				}
				if err == nil && fds[1].Revents == 0 && fds[0].Revents != 0 {
					gone()
				}
				return
			}
		})
	}()
	return func() { pw.Close() }
}

// StreamContentType is the media type dockerd announces on a hijacked
// stream: the multiplexed one only to a client that asked to upgrade at
// API 1.42 or later, the raw one otherwise, whatever the framing.
func StreamContentType(r *http.Request, multiplexed bool) string {
	if multiplexed && r.Header.Get("Upgrade") != "" &&
		versions.GreaterThanOrEqualTo(VersionFromContext(r.Context()), "1.42") {
		return "application/vnd.docker.multiplexed-stream"
	}
	return "application/vnd.docker.raw-stream"
}

// HijackStreams takes over the connection for a container's or exec's
// stdio and returns the writers for its stdout and stderr (see
// StreamWriters) and the reader for the client's stdin.
func HijackStreams(w http.ResponseWriter, r *http.Request, tty bool) (net.Conn, *bufio.ReadWriter, io.Writer, io.Writer, error) {
	conn, rw, err := Hijack(w, r, StreamContentType(r, !tty))
	if err != nil {
		return nil, nil, nil, nil, err
	}
	stdout, stderr, _ := StreamWriters(conn, tty)
	return conn, rw, stdout, stderr, nil
}

// StreamWriters returns the writers for a container's stdout and stderr:
// raw for a TTY, multiplexed (docker's stdcopy framing) otherwise. Each
// write is flushed so followers see output at once.
func StreamWriters(w io.Writer, tty bool) (stdout, stderr io.Writer, contentType string) {
	fw := &flushWriter{w: w}
	if tty {
		return fw, fw, "application/vnd.docker.raw-stream"
	}
	stdout, stderr = newMuxWriters(fw)
	return stdout, stderr, "application/vnd.docker.multiplexed-stream"
}

type flushWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (f *flushWriter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.w.Write(p)
	if fl, ok := f.w.(http.Flusher); ok {
		fl.Flush()
	}
	return n, err
}

// muxWriter frames a container's stdout and stderr onto one stream the
// way docker does (pkg/stdcopy): an 8-byte header — the stream number,
// three zero bytes, the payload length big-endian — then the payload.
// The two streams may be written from different goroutines, so each
// frame goes out whole under a shared lock.
type muxWriter struct {
	mu *sync.Mutex
	w  io.Writer
	fd byte
}

func newMuxWriters(w io.Writer) (stdout, stderr io.Writer) {
	mu := &sync.Mutex{}
	return &muxWriter{mu: mu, w: w, fd: 1}, &muxWriter{mu: mu, w: w, fd: 2}
}

func (m *muxWriter) Write(p []byte) (int, error) {
	frame := make([]byte, 8+len(p))
	frame[0] = m.fd
	binary.BigEndian.PutUint32(frame[4:], uint32(len(p)))
	copy(frame[8:], p)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.w.Write(frame); err != nil {
		return 0, err
	}
	return len(p), nil
}

// JSONStream writes newline-delimited JSON progress messages, flushing
// each; the 200 header goes out with the first.
type JSONStream struct {
	w       http.ResponseWriter
	enc     *json.Encoder
	started bool
}

// NewJSONStream returns a stream of messages to w.
func NewJSONStream(w http.ResponseWriter) *JSONStream {
	return &JSONStream{w: w, enc: json.NewEncoder(w)}
}

// Started reports whether the header has gone out, after which an error
// can only travel inside the stream (Fail).
func (st *JSONStream) Started() bool { return st.started }

// Send writes m.
func (st *JSONStream) Send(m any) {
	st.start()
	_ = st.enc.Encode(m)
	st.flush()
}

// Write passes on messages already encoded, such as a progress.Output's,
// so that they reach the client as they happen.
func (st *JSONStream) Write(p []byte) (int, error) {
	st.start()
	n, err := st.w.Write(p)
	st.flush()
	return n, err
}

func (st *JSONStream) start() {
	if !st.started {
		st.started = true
		st.w.Header().Set("Content-Type", "application/json")
		st.w.WriteHeader(http.StatusOK)
	}
}

func (st *JSONStream) flush() {
	if f, ok := st.w.(http.Flusher); ok {
		f.Flush()
	}
}

// Fail reports an error inside the stream; "error" is kept beside
// errorDetail for older clients.
// An error that carries a *jsonstream.Error (a build step's exit code)
// sends its code too.
func (st *JSONStream) Fail(err error) {
	detail := &jsonstream.Error{Message: err.Error()}
	var coded *jsonstream.Error
	if errors.As(err, &coded) {
		detail.Code = coded.Code
	}
	st.Send(struct {
		jsonstream.Message
		ErrorMessage string `json:"error,omitempty"`
	}{jsonstream.Message{Error: detail}, err.Error()})
}

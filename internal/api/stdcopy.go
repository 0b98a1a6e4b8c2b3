package api

import (
	"encoding/binary"
	"io"
	"sync"
)

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

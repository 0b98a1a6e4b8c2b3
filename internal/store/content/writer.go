package content

import (
	"context"
	"encoding"
	"encoding/json"
	"hash"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/ctxio"
	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/fsutil"
)

// localWriter is a resumable write under ingest/<ref>.
type localWriter struct {
	s      *Local
	ctx    context.Context
	ref    string
	dir    string
	f      *os.File // nil once closed or committed
	offset int64
	// h is the sha256 of the data so far, or nil when a resumed write
	// found no usable saved state: Commit then re-reads the data.
	h hash.Hash
}

// hashState is ingest/<ref>/hash: the sha256 state after Offset bytes.
type hashState struct {
	Offset int64  `json:"offset"`
	State  []byte `json:"state"`
}

func (s *Local) openWriter(ctx context.Context, ref string) (*localWriter, error) {
	dir := filepath.Join(s.ingestDir(), ref)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, "data"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	w := &localWriter{s: s, ctx: ctx, ref: ref, dir: dir, f: f, offset: fi.Size()}
	w.h = w.resumeHash()
	return w, nil
}

// resumeHash restores the hash state saved by the last Close, if it
// matches the data on disk (a crash may have left more data than state).
func (w *localWriter) resumeHash() hash.Hash {
	h := digest.SHA256.Hash()
	if w.offset == 0 {
		return h
	}
	b, err := os.ReadFile(filepath.Join(w.dir, "hash"))
	var st hashState
	if err != nil || json.Unmarshal(b, &st) != nil || st.Offset != w.offset {
		return nil
	}
	u, ok := h.(encoding.BinaryUnmarshaler)
	if !ok || u.UnmarshalBinary(st.State) != nil {
		return nil
	}
	return h
}

func (w *localWriter) Write(p []byte) (int, error) {
	if w.f == nil {
		return 0, os.ErrClosed
	}
	if err := w.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := w.f.Write(p)
	if w.h != nil {
		w.h.Write(p[:n])
	}
	w.offset += int64(n)
	return n, err
}

func (w *localWriter) Offset() int64 { return w.offset }

func (w *localWriter) Close() error {
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	w.saveHash()
	w.s.release(w.ref)
	return err
}

// saveHash records the hash state, so that the write's next Writer need
// not re-read the data: a registry upload's final PUT would otherwise hash
// the whole blob again. Without it Commit re-reads: slower, still right.
func (w *localWriter) saveHash() {
	path := filepath.Join(w.dir, "hash")
	var state []byte
	if m, ok := w.h.(encoding.BinaryMarshaler); ok {
		state, _ = m.MarshalBinary()
	}
	b, _ := json.Marshal(hashState{Offset: w.offset, State: state})
	if state == nil || fsutil.WriteFileAtomic(path, b, 0o644, false) != nil {
		os.Remove(path)
	}
}

func (w *localWriter) Commit(ctx context.Context, expected digest.Digest) (Info, error) {
	if w.f == nil {
		return Info{}, errs.Invalid("write %s is closed", w.ref)
	}
	alg := digest.SHA256
	if expected != "" {
		if err := checkDigest(expected); err != nil {
			return Info{}, err
		}
		alg = expected.Algorithm()
	}
	defer w.s.release(w.ref)
	f := w.f
	w.f = nil
	if err := w.s.closeFile(f); err != nil {
		return Info{}, err
	}
	data := filepath.Join(w.dir, "data")
	var got digest.Digest
	if w.h != nil && alg == digest.SHA256 {
		got = digest.NewDigest(alg, w.h)
	} else {
		var err error
		if got, err = hashFile(ctx, data, alg); err != nil {
			return Info{}, err
		}
	}
	if expected != "" && got != expected {
		os.RemoveAll(w.dir)
		return Info{}, mismatch(expected, got)
	}
	info, err := w.s.install(data, got)
	if err != nil {
		return Info{}, err
	}
	return info, os.RemoveAll(w.dir)
}

func hashFile(ctx context.Context, path string, alg digest.Algorithm) (digest.Digest, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return alg.FromReader(ctxio.Reader(ctx, f))
}

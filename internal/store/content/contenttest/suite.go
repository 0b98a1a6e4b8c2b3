// Package contenttest is the conformance suite for content.Store: every
// implementation runs it (containerd's content testsuite idiom), so the
// image service and the registry can rely on the same behaviour from any.
package contenttest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	"golang.org/x/sync/errgroup"

	"github.com/wharf/wharf/internal/store/content"
)

// RunTestSuite runs every check against fresh stores made by newStore.
func RunTestSuite(t *testing.T, newStore func(t *testing.T) content.Store) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s content.Store)
	}{
		{"PutGet", checkPutGet},
		{"SHA512", checkSHA512},
		{"WrongDigestRefused", checkWrongDigest},
		{"NotFound", checkNotFound},
		{"ConcurrentWritersOfOneBlob", checkConcurrentWriters},
		{"Delete", checkDelete},
		{"Walk", checkWalk},
		{"ReaderSeesAllOrNothing", checkAllOrNothing},
		{"CancelMidPutLeavesNothing", checkCancelPut},
		{"CancelMidWriterThenAbort", checkCancelWriter},
		{"ResumeWriter", checkResume},
		{"OneWriterPerRef", checkOneWriterPerRef},
		{"CommitMismatchDiscards", checkCommitMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// mustRead checks that blob d is stored with exactly want as its bytes.
func mustRead(t *testing.T, s content.Store, d digest.Digest, want []byte) {
	t.Helper()
	ctx := context.Background()
	info, err := s.Info(ctx, d)
	if err != nil {
		t.Fatalf("Info(%s): %v", d, err)
	}
	if info.Digest != d || info.Size != int64(len(want)) {
		t.Fatalf("Info(%s) = %+v, want size %d", d, info, len(want))
	}
	got, err := content.ReadBlob(ctx, s, d)
	if err != nil {
		t.Fatalf("ReadBlob(%s): %v", d, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("blob %s: read %d bytes that differ from the %d written", d, len(got), len(want))
	}
}

// openWriter opens a Writer of ref or fails the test.
func openWriter(t *testing.T, ctx context.Context, s content.Store, ref string) content.Writer {
	t.Helper()
	w, err := s.Writer(ctx, ref)
	if err != nil {
		t.Fatalf("Writer(%s): %v", ref, err)
	}
	return w
}

// walkAll lists every stored blob.
func walkAll(t *testing.T, s content.Store) map[digest.Digest]content.Info {
	t.Helper()
	all := map[digest.Digest]content.Info{}
	if err := s.Walk(context.Background(), func(i content.Info) error {
		all[i.Digest] = i
		return nil
	}); err != nil {
		t.Fatalf("Walk: %v", err)
	}
	return all
}

func mustBeEmpty(t *testing.T, s content.Store) {
	t.Helper()
	if all := walkAll(t, s); len(all) != 0 {
		t.Fatalf("store holds %d blobs, want none: %v", len(all), all)
	}
}

func checkPutGet(t *testing.T, s content.Store) {
	ctx := context.Background()
	data := randomBytes(t, 100_000)
	want := digest.FromBytes(data)
	info, err := s.Put(ctx, bytes.NewReader(data), "")
	if err != nil || info.Digest != want || info.Size != int64(len(data)) {
		t.Fatalf("Put = %+v, %v; want %s", info, err, want)
	}
	mustRead(t, s, want, data)
	// Again, now with the digest expected: already there, still fine.
	if info, err := s.Put(ctx, bytes.NewReader(data), want); err != nil || info.Digest != want {
		t.Fatalf("second Put = %+v, %v", info, err)
	}
	empty, err := s.Put(ctx, bytes.NewReader(nil), "")
	if err != nil || empty.Digest != digest.FromBytes(nil) || empty.Size != 0 {
		t.Fatalf("empty Put = %+v, %v", empty, err)
	}
	mustRead(t, s, empty.Digest, []byte{})
	ra, err := s.ReaderAt(ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	defer ra.Close()
	part := make([]byte, 10)
	if _, err := ra.ReadAt(part, 5000); err != nil || !bytes.Equal(part, data[5000:5010]) {
		t.Fatalf("ReadAt in the middle: %v", err)
	}
}

func checkSHA512(t *testing.T, s content.Store) {
	ctx := context.Background()
	data := randomBytes(t, 4096)
	d := digest.SHA512.FromBytes(data)
	if info, err := s.Put(ctx, bytes.NewReader(data), d); err != nil || info.Digest != d {
		t.Fatalf("Put sha512 = %+v, %v", info, err)
	}
	mustRead(t, s, d, data)
	if _, ok := walkAll(t, s)[d]; !ok {
		t.Fatal("Walk misses the sha512 blob")
	}
	// A Writer hashes sha256 as it goes; a sha512 commit must still check.
	data2 := randomBytes(t, 4096)
	w := openWriter(t, ctx, s, "sha512")
	w.Write(data2)
	d2 := digest.SHA512.FromBytes(data2)
	if info, err := w.Commit(ctx, d2); err != nil || info.Digest != d2 {
		t.Fatalf("Commit sha512 = %+v, %v", info, err)
	}
	mustRead(t, s, d2, data2)
}

func checkWrongDigest(t *testing.T, s content.Store) {
	ctx := context.Background()
	data, other := randomBytes(t, 5000), randomBytes(t, 10)
	_, err := s.Put(ctx, bytes.NewReader(data), digest.FromBytes(other))
	if !errdefs.IsInvalidArgument(err) {
		t.Fatalf("Put with the wrong digest: %v, want invalid argument", err)
	}
	for _, d := range []digest.Digest{digest.FromBytes(data), digest.FromBytes(other)} {
		if _, err := s.Info(ctx, d); !errdefs.IsNotFound(err) {
			t.Fatalf("Info(%s) after a refused Put: %v", d, err)
		}
	}
	mustBeEmpty(t, s)
	for _, bad := range []digest.Digest{"sha256:zz", "md5:d41d8cd98f00b204e9800998ecf8427e", "sha256:../../etc"} {
		if _, err := s.Put(ctx, bytes.NewReader(data), bad); !errdefs.IsInvalidArgument(err) {
			t.Fatalf("Put with digest %q: %v, want invalid argument", bad, err)
		}
		if _, err := s.Info(ctx, bad); !errdefs.IsInvalidArgument(err) {
			t.Fatalf("Info(%q): %v, want invalid argument", bad, err)
		}
	}
	mustBeEmpty(t, s)
}

func checkNotFound(t *testing.T, s content.Store) {
	ctx := context.Background()
	d := digest.FromString("absent")
	if _, err := s.Info(ctx, d); !errdefs.IsNotFound(err) {
		t.Fatalf("Info: %v", err)
	}
	if _, err := s.ReaderAt(ctx, d); !errdefs.IsNotFound(err) {
		t.Fatalf("ReaderAt: %v", err)
	}
	if err := s.Delete(ctx, d); !errdefs.IsNotFound(err) {
		t.Fatalf("Delete: %v", err)
	}
	if err := s.Abort(ctx, "absent"); !errdefs.IsNotFound(err) {
		t.Fatalf("Abort: %v", err)
	}
}

// Many writers of one blob at once, by Put and by Writers of their own
// refs: all succeed, and one intact blob results.
func checkConcurrentWriters(t *testing.T, s content.Store) {
	ctx := context.Background()
	data := randomBytes(t, 1<<20)
	want := digest.FromBytes(data)
	var g errgroup.Group
	for i := range 16 {
		g.Go(func() error {
			var info content.Info
			var err error
			if i%2 == 0 {
				info, err = s.Put(ctx, bytes.NewReader(data), want)
			} else {
				info, err = writeAll(ctx, s, "w"+string(rune('a'+i)), data, want)
			}
			if err == nil && info.Digest != want {
				err = errors.New("wrong digest " + info.Digest.String())
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	mustRead(t, s, want, data)
	if all := walkAll(t, s); len(all) != 1 {
		t.Fatalf("%d blobs stored, want 1", len(all))
	}
}

// writeAll writes data through a Writer of ref in small pieces and commits.
func writeAll(ctx context.Context, s content.Store, ref string, data []byte, expected digest.Digest) (content.Info, error) {
	w, err := s.Writer(ctx, ref)
	if err != nil {
		return content.Info{}, err
	}
	defer w.Close()
	for p := data; len(p) > 0; {
		n := min(len(p), 64<<10)
		if _, err := w.Write(p[:n]); err != nil {
			return content.Info{}, err
		}
		p = p[n:]
	}
	return w.Commit(ctx, expected)
}

func checkDelete(t *testing.T, s content.Store) {
	ctx := context.Background()
	data := randomBytes(t, 1000)
	info, err := s.Put(ctx, bytes.NewReader(data), "")
	if err != nil {
		t.Fatal(err)
	}
	keep, err := s.Put(ctx, bytes.NewReader([]byte("keep")), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, info.Digest); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Info(ctx, info.Digest); !errdefs.IsNotFound(err) {
		t.Fatalf("Info after Delete: %v", err)
	}
	if _, err := s.ReaderAt(ctx, info.Digest); !errdefs.IsNotFound(err) {
		t.Fatalf("ReaderAt after Delete: %v", err)
	}
	if err := s.Delete(ctx, info.Digest); !errdefs.IsNotFound(err) {
		t.Fatalf("second Delete: %v", err)
	}
	mustRead(t, s, keep.Digest, []byte("keep"))
	if _, err := s.Put(ctx, bytes.NewReader(data), info.Digest); err != nil {
		t.Fatalf("Put after Delete: %v", err)
	}
	mustRead(t, s, info.Digest, data)
}

func checkWalk(t *testing.T, s content.Store) {
	ctx := context.Background()
	want := map[digest.Digest]int64{}
	for i := range 5 {
		data := randomBytes(t, 100*(i+1))
		info, err := s.Put(ctx, bytes.NewReader(data), "")
		if err != nil {
			t.Fatal(err)
		}
		want[info.Digest] = int64(len(data))
	}
	// A write in progress is not a blob.
	w := openWriter(t, ctx, s, "unfinished")
	w.Write([]byte("half"))
	w.Close()
	all := walkAll(t, s)
	if len(all) != len(want) {
		t.Fatalf("Walk found %d blobs, want %d", len(all), len(want))
	}
	for d, size := range want {
		if all[d].Size != size {
			t.Fatalf("Walk: %s has size %d, want %d", d, all[d].Size, size)
		}
	}
	stop := errors.New("stop")
	calls := 0
	err := s.Walk(ctx, func(content.Info) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("Walk after fn's error: %v, %d calls", err, calls)
	}
}

// slowReader hands out its data in small pieces, yielding in between, so
// that a write takes a while.
type slowReader struct {
	data []byte
}

func (r *slowReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 32<<10)], r.data)
	r.data = r.data[n:]
	time.Sleep(100 * time.Microsecond)
	return n, nil
}

// A reader looking while a blob is written sees it whole or not at all.
func checkAllOrNothing(t *testing.T, s content.Store) {
	ctx := context.Background()
	data := randomBytes(t, 4<<20)
	d := digest.FromBytes(data)
	done := make(chan error, 1)
	go func() {
		_, err := s.Put(ctx, &slowReader{data: data}, d)
		done <- err
	}()
	seen := false
	for finished := false; !finished; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			finished = true
		default:
		}
		info, err := s.Info(ctx, d)
		if errdefs.IsNotFound(err) && !finished {
			continue
		}
		if err != nil || info.Size != int64(len(data)) {
			t.Fatalf("during the write, Info = %+v, %v", info, err)
		}
		mustRead(t, s, d, data)
		seen = true
	}
	if !seen {
		t.Fatal("blob never seen")
	}
}

// cancellingReader cancels its context halfway through its data.
type cancellingReader struct {
	data   []byte
	at     int
	cancel context.CancelFunc
}

func (r *cancellingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	if r.at >= len(r.data)/2 {
		r.cancel()
	}
	n := copy(p[:min(len(p), 4096)], r.data[r.at:])
	r.at += n
	if r.at == len(r.data) {
		r.data = nil
	}
	return n, nil
}

func checkCancelPut(t *testing.T, s content.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	data := randomBytes(t, 1<<20)
	d := digest.FromBytes(data)
	_, err := s.Put(ctx, &cancellingReader{data: data, cancel: cancel}, d)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Put cancelled halfway: %v", err)
	}
	if _, err := s.Info(context.Background(), d); !errdefs.IsNotFound(err) {
		t.Fatalf("Info after a cancelled Put: %v", err)
	}
	mustBeEmpty(t, s)
	if _, err := s.Put(context.Background(), bytes.NewReader(data), d); err != nil {
		t.Fatalf("Put after a cancelled one: %v", err)
	}
	mustRead(t, s, d, data)
}

func checkCancelWriter(t *testing.T, s content.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	w := openWriter(t, ctx, s, "upload")
	if _, err := w.Write([]byte("first half")); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := w.Write([]byte("second half")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Write after cancel: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Abort(context.Background(), "upload"); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	if err := s.Abort(context.Background(), "upload"); !errdefs.IsNotFound(err) {
		t.Fatalf("second Abort: %v", err)
	}
	w = openWriter(t, context.Background(), s, "upload")
	defer w.Close()
	if w.Offset() != 0 {
		t.Fatalf("aborted write resumed at %d", w.Offset())
	}
	mustBeEmpty(t, s)
}

func checkResume(t *testing.T, s content.Store) {
	ctx := context.Background()
	data := randomBytes(t, 300_000)
	for _, d := range []digest.Digest{digest.FromBytes(data), digest.SHA512.FromBytes(data)} {
		ref := "resume-" + d.Algorithm().String()
		written := int64(0)
		for i, part := range [][]byte{data[:100_000], data[100_000:250_000], data[250_000:]} {
			w := openWriter(t, ctx, s, ref)
			if w.Offset() != written {
				t.Fatalf("resumed at %d, want %d", w.Offset(), written)
			}
			if _, err := w.Write(part); err != nil {
				t.Fatal(err)
			}
			written += int64(len(part))
			if i < 2 {
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				continue
			}
			if w.Offset() != int64(len(data)) {
				t.Fatalf("offset %d before commit, want %d", w.Offset(), len(data))
			}
			if info, err := w.Commit(ctx, d); err != nil || info.Digest != d || info.Size != int64(len(data)) {
				t.Fatalf("Commit = %+v, %v", info, err)
			}
		}
		mustRead(t, s, d, data)
		if err := s.Abort(ctx, ref); !errdefs.IsNotFound(err) {
			t.Fatalf("a committed write is still there: %v", err)
		}
	}
	// Commit with no digest expected stores the content under its sha256.
	w := openWriter(t, ctx, s, "anydigest")
	w.Write([]byte("free"))
	if info, err := w.Commit(ctx, ""); err != nil || info.Digest != digest.FromString("free") {
		t.Fatalf("Commit without a digest = %+v, %v", info, err)
	}
}

func checkOneWriterPerRef(t *testing.T, s content.Store) {
	ctx := context.Background()
	w := openWriter(t, ctx, s, "busy")
	if _, err := s.Writer(ctx, "busy"); !errdefs.IsConflict(err) {
		t.Fatalf("second Writer of a ref: %v, want conflict", err)
	}
	if err := s.Abort(ctx, "busy"); !errdefs.IsConflict(err) {
		t.Fatalf("Abort of an open write: %v, want conflict", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	openWriter(t, ctx, s, "busy").Close()
	for _, bad := range []string{"", "../x", ".hidden", "a/b"} {
		if _, err := s.Writer(ctx, bad); !errdefs.IsInvalidArgument(err) {
			t.Fatalf("Writer(%q): %v, want invalid argument", bad, err)
		}
	}
}

func checkCommitMismatch(t *testing.T, s content.Store) {
	ctx := context.Background()
	w := openWriter(t, ctx, s, "bad")
	w.Write([]byte("these bytes"))
	if _, err := w.Commit(ctx, digest.FromString("other bytes")); !errdefs.IsInvalidArgument(err) {
		t.Fatalf("Commit with the wrong digest: %v", err)
	}
	if err := s.Abort(ctx, "bad"); !errdefs.IsNotFound(err) {
		t.Fatalf("a refused write was kept: %v", err)
	}
	openWriter(t, ctx, s, "bad").Close() // the ref is free again
	mustBeEmpty(t, s)
}

// Package content stores blobs by digest: image configs and layer tars for
// the image service, every blob and manifest for the registry. Nothing else
// writes blob bytes; both services reach them through Store.
//
// Local, the implementation on the local file system, lays out its root as
//
//	blobs/<alg>/<hex>   a committed blob (sha256 or sha512), read-only by convention
//	ingest/<ref>/data   a resumable write in progress (Writer), with
//	ingest/<ref>/hash   the hash state at its last Close, so resuming need not re-read
//	ingest/.put-*       a one-shot write in progress (Put); emptied at start
//
// A blob appears under its name only by rename, once complete and verified,
// so a reader sees all of a blob or none of it, and a crash leaves at worst a
// file under ingest/.
//
// Lock order: Local.mu guards only the set of refs with an open Writer and
// is never held across I/O, so it nests under any lock of a caller and
// takes none itself. Blob writes need no lock: two writers of the same blob
// rename identical bytes to the same name.
package content

import (
	"context"
	_ "crypto/sha256" // digest algorithms the store accepts
	_ "crypto/sha512"
	"errors"
	"io"
	"time"

	"github.com/opencontainers/go-digest"
)

// Store holds blobs by digest.
type Store interface {
	// Info describes blob d; errs.NotFound if it is not stored.
	Info(ctx context.Context, d digest.Digest) (Info, error)
	// ReaderAt opens blob d for reading; errs.NotFound if it is not stored.
	ReaderAt(ctx context.Context, d digest.Digest) (ReaderAt, error)
	// Walk calls fn for every stored blob, in no particular order, and
	// stops at fn's first error, which it returns.
	Walk(ctx context.Context, fn func(Info) error) error
	// Delete removes blob d; errs.NotFound if it is not stored. Readers
	// that have it open may keep reading.
	Delete(ctx context.Context, d digest.Digest) error

	// Put stores all r yields as one blob. With expected set, content of
	// another digest is refused (errs.Invalid) and nothing is stored; an
	// expected sha512 digest makes the blob a sha512 one. Any failure,
	// ctx's end included, leaves nothing behind. Storing a blob that is
	// already there succeeds.
	Put(ctx context.Context, r io.Reader, expected digest.Digest) (Info, error)
	// Writer begins, or resumes where the last Writer of ref closed, a
	// write that may span many calls (a registry's chunked upload). One
	// Writer per ref at a time: another is refused (errs.Conflict) until
	// the first is closed or committed.
	Writer(ctx context.Context, ref string) (Writer, error)
	// Abort discards the write ref; errs.NotFound if there is none.
	Abort(ctx context.Context, ref string) error
}

// Info describes a stored blob.
type Info struct {
	Digest    digest.Digest
	Size      int64
	CreatedAt time.Time
}

// ReaderAt reads a stored blob. Local's are files, and so also
// io.ReadSeekers from the blob's start: a server can hand them to net/http,
// which sends files with sendfile(2).
type ReaderAt interface {
	io.ReaderAt
	io.Closer
	Size() int64
}

// Writer is a write in progress. Writes fail with ctx's error once the ctx
// it was opened with is done; what was written stays until Abort.
type Writer interface {
	io.Writer
	// Offset is how many bytes the write holds so far.
	Offset() int64
	// Commit stores what was written as a blob, checked against expected
	// if set (errs.Invalid on a mismatch, and the write is discarded). The
	// Writer is closed either way.
	Commit(ctx context.Context, expected digest.Digest) (Info, error)
	// Close releases the Writer and keeps what was written, for a later
	// Writer of the same ref to resume. Closing twice is harmless.
	Close() error
}

// ReadBlob returns the whole of blob d: for the small ones (configs,
// manifests) that are used as a byte slice.
func ReadBlob(ctx context.Context, s Store, d digest.Digest) ([]byte, error) {
	ra, err := s.ReaderAt(ctx, d)
	if err != nil {
		return nil, err
	}
	defer ra.Close()
	b := make([]byte, ra.Size())
	if n, err := ra.ReadAt(b, 0); n < len(b) {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return b, nil
}

// Has reports whether blob d is stored.
func Has(ctx context.Context, s Store, d digest.Digest) bool {
	_, err := s.Info(ctx, d)
	return err == nil
}

package build

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/wharf/wharf/internal/errs"
)

// download fetches ADD's remote source into the build's spool and returns
// it as an entry with the file name the URL gives it ("" for none). As
// docker does, the file is 0600 and takes its modification time from
// Last-Modified. checksum, if set ("sha256:<hex>"), must match.
func (b *Builder) download(ctx context.Context, sp *spool, src, checksum string) (*ctxEntry, string, error) {
	var want []byte
	if checksum != "" {
		hexSum, ok := strings.CutPrefix(checksum, "sha256:")
		w, err := hex.DecodeString(hexSum)
		if !ok || err != nil || len(w) != sha256.Size {
			return nil, "", errs.Invalid("ADD failed: invalid checksum %q: want sha256:<64 hex digits>", checksum)
		}
		want = w
	}
	u, err := url.Parse(src)
	if err != nil {
		return nil, "", errs.Invalid("ADD failed: %v", err)
	}
	name := path.Base(u.Path)
	if strings.HasSuffix(u.Path, "/") || name == "/" || name == "." {
		name = ""
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return nil, "", errs.Invalid("ADD failed: %v", err)
	}
	resp, err := b.http.Do(req)
	if err != nil {
		return nil, "", errs.Invalid("ADD failed: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return nil, "", errs.Invalid("ADD failed: failed to GET %s with status %s", src, resp.Status)
	}
	h := sha256.New()
	e := &ctxEntry{typ: tar.TypeReg, mode: 0o600, mtime: time.Unix(0, 0), sp: sp}
	e.off, e.size, err = sp.append(io.TeeReader(resp.Body, h), MaxContextSize)
	if errors.Is(err, errTooLarge) {
		return nil, "", errs.Invalid("ADD failed: %s is larger than %d bytes", src, int64(MaxContextSize))
	}
	if err != nil {
		return nil, "", errs.Invalid("ADD failed: reading %s: %v", src, err)
	}
	h.Sum(e.sum[:0])
	if want != nil && string(want) != string(e.sum[:]) {
		return nil, "", errs.Invalid("ADD failed: checksum mismatch for %s: expected %s, got sha256:%s", src, checksum, hex.EncodeToString(e.sum[:]))
	}
	if lm := resp.Header.Get("Last-Modified"); lm != "" {
		if t, err := http.ParseTime(lm); err == nil {
			e.mtime = t
		}
	}
	return e, name, nil
}

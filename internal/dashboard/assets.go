package dashboard

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// assets holds the front end built from web/ (`make web` writes
// assets/dist, each file with its .gz and .br beside it when those are
// smaller) and a placeholder page for a wharfd built without it, so Go
// builds never need Node.
//
//go:embed all:assets
var assets embed.FS

// file is one static file, with its compressed forms when smaller.
type file struct {
	body, gz, br []byte
	contentType  string
	etag         string
}

// loadAssets reads the built front end, or the placeholder. The build
// compressed each file (gzip and brotli, at their best); a file without
// a .gz beside it is gzipped here, once, rather than on every load.
func loadAssets() (map[string]file, error) {
	root, err := fs.Sub(assets, "assets/dist")
	if err != nil {
		return nil, err
	}
	if _, err := fs.Stat(root, "index.html"); err != nil {
		page, err := assets.ReadFile("assets/placeholder.html")
		if err != nil {
			return nil, err
		}
		return map[string]file{"index.html": newFile("index.html", page, nil, nil)}, nil
	}
	files := map[string]file{}
	err = fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".gz") || strings.HasSuffix(p, ".br") {
			return err
		}
		body, err := fs.ReadFile(root, p)
		if err != nil {
			return err
		}
		gz, _ := fs.ReadFile(root, p+".gz")
		br, _ := fs.ReadFile(root, p+".br")
		files[p] = newFile(p, body, gz, br)
		return nil
	})
	return files, err
}

func newFile(name string, body, gz, br []byte) file {
	sum := sha256.Sum256(body)
	f := file{body: body, gz: gz, br: br, contentType: mime.TypeByExtension(path.Ext(name)), etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	if f.contentType == "" {
		f.contentType = http.DetectContentType(body)
	}
	if f.gz == nil && len(body) > 512 {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(body)
		zw.Close()
		f.gz = buf.Bytes()
	}
	if len(f.gz) >= len(body) {
		f.gz = nil
	}
	if len(f.br) >= len(body) {
		f.br = nil
	}
	return f
}

// serveFile writes a static file: Vite's hashed names under assets/ are
// immutable, everything else (index.html) is revalidated on every load.
func serveFile(w http.ResponseWriter, r *http.Request, name string, f file) {
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	if strings.HasPrefix(name, "assets/") {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	body, etag := f.body, f.etag
	if f.gz != nil || f.br != nil {
		h.Add("Vary", "Accept-Encoding")
	}
	switch {
	case f.br != nil && accepts(r, "br"):
		h.Set("Content-Encoding", "br")
		body, etag = f.br, strings.TrimSuffix(etag, `"`)+`-br"`
	case f.gz != nil && accepts(r, "gzip"):
		h.Set("Content-Encoding", "gzip")
		body, etag = f.gz, strings.TrimSuffix(etag, `"`)+`-gz"`
	}
	h.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// accepts reports whether the request's Accept-Encoding takes enc (and
// not with q=0).
func accepts(r *http.Request, enc string) bool {
	for _, e := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(e, ";")
		if strings.TrimSpace(name) != enc {
			continue
		}
		if q, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			v, err := strconv.ParseFloat(q, 64)
			return err != nil || v > 0
		}
		return true
	}
	return false
}

// contentSecurityPolicy allows the page its own origin and, by their
// hashes, index.html's inline scripts (the boot script that sends the
// first view's requests before the app's script loads): never another
// inline script, so an injected one does not run.
func contentSecurityPolicy(index []byte) string {
	scripts := "'self'"
	for _, m := range regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindAllSubmatch(index, -1) {
		sum := sha256.Sum256(m[1])
		scripts += " 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	return "default-src 'self'; script-src " + scripts + "; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
}

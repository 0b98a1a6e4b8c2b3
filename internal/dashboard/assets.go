package dashboard

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// assets holds the front end built from web/ (`make web` writes
// assets/dist) and a placeholder page for a wharfd built without it, so
// Go builds never need Node.
//
//go:embed all:assets
var assets embed.FS

// file is one static file, with its gzip form when that is smaller.
type file struct {
	body, gz    []byte
	contentType string
	etag        string
}

// loadAssets reads the built front end, or the placeholder, and
// compresses each file once, at start-up, rather than on every load.
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
		return map[string]file{"index.html": newFile("index.html", page)}, nil
	}
	files := map[string]file{}
	err = fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(root, p)
		if err != nil {
			return err
		}
		files[p] = newFile(p, body)
		return nil
	})
	return files, err
}

func newFile(name string, body []byte) file {
	sum := sha256.Sum256(body)
	f := file{body: body, contentType: mime.TypeByExtension(path.Ext(name)), etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	if f.contentType == "" {
		f.contentType = http.DetectContentType(body)
	}
	if len(body) > 512 {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(body)
		zw.Close()
		if buf.Len() < len(body) {
			f.gz = buf.Bytes()
		}
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
	if f.gz != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			h.Set("Content-Encoding", "gzip")
			body, etag = f.gz, strings.TrimSuffix(etag, `"`)+`-gz"`
		}
	}
	h.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

func acceptsGzip(r *http.Request) bool {
	for _, enc := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		if strings.TrimSpace(strings.SplitN(enc, ";", 2)[0]) == "gzip" {
			return true
		}
	}
	return false
}

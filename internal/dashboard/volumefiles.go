package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"time"
)

// The volume file browser: list a volume's directories and download its
// files, read-only. The Engine API has no such route (Docker Desktop
// mounts the volume in a helper container); here the volume's
// Mountpoint comes from the API (GET /volumes/{name}), and every path is
// opened beneath it through os.Root, which refuses `..` and symlinks
// that lead out, whatever the volume's content (a container may have
// planted links in it).

// maxListing bounds one directory's listing.
const maxListing = 10000

// VolumeEntry is one name in a volume's directory.
type VolumeEntry struct {
	Name    string
	Type    string // file, dir, symlink or other
	Size    int64
	Mode    string
	ModTime time.Time
	Target  string `json:",omitempty"` // a symlink's target, as written
}

// VolumeListing is GET /volumes/{name}/files' answer.
type VolumeListing struct {
	Path      string // slash-separated, from the volume's root ("/")
	Entries   []VolumeEntry
	Truncated bool `json:",omitempty"`
}

// volumePath cleans a path inside a volume into os.Root's terms: relative,
// slash-separated, "." for the root. `..` anywhere is refused outright
// (os.Root would also refuse it where it leads out).
func volumePath(p string) (string, error) {
	if strings.ContainsRune(p, 0) {
		return "", errors.New("invalid path: contains a NUL byte")
	}
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return "", fmt.Errorf("invalid path %q: .. is not allowed", p)
		}
	}
	rel := strings.TrimPrefix(path.Clean("/"+p), "/")
	if rel == "" {
		rel = "."
	}
	return rel, nil
}

// openVolume opens the root of the named volume, as the API reports it.
func (s *Server) openVolume(ctx context.Context, name string) (*os.Root, int, error) {
	var vol struct{ Mountpoint string }
	if status, err := s.apiGet(ctx, "/volumes/"+url.PathEscape(name), &vol); err != nil {
		return nil, status, err
	}
	if vol.Mountpoint == "" {
		return nil, http.StatusNotImplemented, fmt.Errorf("volume %s has no mountpoint on this host", name)
	}
	root, err := os.OpenRoot(vol.Mountpoint)
	if err != nil {
		return nil, http.StatusInternalServerError, fmt.Errorf("volume %s: %w", name, err)
	}
	return root, http.StatusOK, nil
}

// openRequested opens the volume of r's path and, beneath its
// mountpoint, the file or directory of r's ?path=; on failure it has
// answered w and ok is false. Callers close both.
func (s *Server) openRequested(w http.ResponseWriter, r *http.Request) (root *os.Root, f *os.File, rel string, ok bool) {
	rel, err := volumePath(r.URL.Query().Get("path"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return nil, nil, "", false
	}
	root, status, err := s.openVolume(r.Context(), r.PathValue("name"))
	if err != nil {
		writeError(w, status, err.Error())
		return nil, nil, "", false
	}
	f, err = root.Open(rel)
	if err != nil {
		root.Close()
		writeFSError(w, rel, err)
		return nil, nil, "", false
	}
	return root, f, rel, true
}

func (s *Server) volumeFiles(w http.ResponseWriter, r *http.Request) {
	root, dir, rel, ok := s.openRequested(w, r)
	if !ok {
		return
	}
	defer root.Close()
	defer dir.Close()
	entries, err := dir.ReadDir(maxListing + 1)
	if err != nil && !errors.Is(err, io.EOF) {
		writeFSError(w, rel, err)
		return
	}
	out := VolumeListing{Path: "/" + strings.TrimPrefix(rel, "."), Entries: []VolumeEntry{}}
	if len(entries) > maxListing {
		entries, out.Truncated = entries[:maxListing], true
	}
	for _, e := range entries {
		info, err := e.Info() // lstat: a symlink is shown, not followed
		if err != nil {
			continue // removed while listing
		}
		ve := VolumeEntry{Name: e.Name(), Size: info.Size(), Mode: info.Mode().String(), ModTime: info.ModTime().UTC()}
		switch {
		case info.Mode().IsRegular():
			ve.Type = "file"
		case info.IsDir():
			ve.Type = "dir"
		case info.Mode()&fs.ModeSymlink != 0:
			ve.Type = "symlink"
			ve.Target, _ = root.Readlink(path.Join(rel, e.Name()))
		default:
			ve.Type = "other"
		}
		out.Entries = append(out.Entries, ve)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) volumeDownload(w http.ResponseWriter, r *http.Request) {
	root, f, rel, ok := s.openRequested(w, r)
	if !ok {
		return
	}
	defer root.Close()
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		writeFSError(w, rel, err)
		return
	}
	if !info.Mode().IsRegular() {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("/%s is not a regular file", rel))
		return
	}
	// A download, never a page of this origin: whatever the file holds.
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": path.Base(rel)}))
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", info.ModTime(), f)
}

// writeFSError answers a failure to open a path in a volume: 404 when it
// is not there, 400 when it leads out of the volume.
func writeFSError(w http.ResponseWriter, rel string, err error) {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		writeError(w, http.StatusNotFound, fmt.Sprintf("/%s: no such file or directory in the volume", rel))
	case strings.Contains(err.Error(), "escapes"), strings.Contains(err.Error(), "not a directory"):
		writeError(w, http.StatusBadRequest, fmt.Sprintf("/%s: %v", rel, errors.Unwrap(err)))
	default:
		writeError(w, http.StatusInternalServerError, fmt.Sprintf("/%s: %v", rel, err))
	}
}

// apiGet calls the Engine API in-process (as the page's /api/ requests
// go) and decodes its JSON answer; on failure it returns the API's status
// and message.
func (s *Server) apiGet(ctx context.Context, p string, v any) (int, error) {
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) { return s.inproc.dial(ctx) },
	}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://dashboard"+p, nil)
	if err != nil {
		return http.StatusBadRequest, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return http.StatusInternalServerError, err
	}
	defer resp.Body.Close()
	body := io.LimitReader(resp.Body, 4<<20)
	if resp.StatusCode != http.StatusOK {
		var msg struct{ Message string }
		if json.NewDecoder(body).Decode(&msg) != nil || msg.Message == "" {
			msg.Message = resp.Status
		}
		return resp.StatusCode, errors.New(msg.Message)
	}
	return http.StatusOK, json.NewDecoder(body).Decode(v)
}

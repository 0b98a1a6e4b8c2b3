package dashboard

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/docker/cli/cli/command/image/build"
	"github.com/moby/go-archive"
)

// Build from a directory on the daemon's host: the page names the
// directory, and here it is packed as `docker build DIR` packs it (the
// docker CLI's own code: .dockerignore, the Dockerfile's place, owner
// root) and handed to the Engine API's POST /build in-process, whose
// message stream goes to the page as it comes. The build itself is the
// API's, exactly as for `wharf build`.
//
// Which paths: any absolute directory, read with the daemon's rights
// (root). A session comes from a login link that only users of the API
// socket can get, and they are root already (they may bind-mount / into
// a container), so a host path shows them nothing new; paths a non-root
// user could not read are therefore not refused. The same rule holds for
// compose's project directory (compose.go).

// buildRequest is the body of POST /images/build.
type buildRequest struct {
	Path       string // the context directory, absolute, on the daemon's host
	Dockerfile string // relative to Path; empty: Dockerfile (or dockerfile)
	Tag        string // name[:tag]; empty: untagged
	NoCache    bool
	Pull       bool
}

func (s *Server) buildImage(w http.ResponseWriter, r *http.Request) {
	var req buildRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "bad build request: "+err.Error())
		return
	}
	ctxDir, dockerfile, err := buildContext(req)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	defer ctxDir.Close()

	q := url.Values{"dockerfile": {dockerfile}, "rm": {"1"}}
	if req.Tag != "" {
		q.Set("t", req.Tag)
	}
	if req.NoCache {
		q.Set("nocache", "1")
	}
	if req.Pull {
		q.Set("pull", "1")
	}
	// The page going away cancels the build, as ^C does to `docker build`.
	apiReq, err := http.NewRequestWithContext(r.Context(), http.MethodPost, "/build?"+q.Encode(), ctxDir)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	apiReq.Header.Set("Content-Type", "application/x-tar")
	s.api.ServeHTTP(w, apiReq)
}

// buildContext checks the request and returns the context as a tar
// stream, with the Dockerfile's path inside it. Its errors are the
// docker CLI's words for the same mistakes.
func buildContext(req buildRequest) (io.ReadCloser, string, error) {
	if !filepath.IsAbs(req.Path) {
		return nil, "", fmt.Errorf("unable to prepare context: %q is not an absolute path on the daemon's host", req.Path)
	}
	if _, err := os.Stat(req.Path); err != nil {
		return nil, "", fmt.Errorf("unable to prepare context: path %q not found", req.Path)
	}
	dockerfile := ""
	if req.Dockerfile != "" {
		if filepath.IsAbs(req.Dockerfile) {
			dockerfile = req.Dockerfile
		} else {
			dockerfile = filepath.Join(req.Path, req.Dockerfile)
		}
	}
	dir, rel, err := build.GetContextFromLocalDir(req.Path, dockerfile)
	if err != nil {
		return nil, "", fmt.Errorf("unable to prepare context: %w", err)
	}
	// A Dockerfile outside the context is refused rather than copied in:
	// the page names one directory, and everything read comes from it.
	if rel == ".." || strings.HasPrefix(rel, "../") {
		return nil, "", fmt.Errorf("unable to prepare context: the Dockerfile (%s) must be within the build context (%s)", dockerfile, dir)
	}
	excludes, err := build.ReadDockerignore(dir)
	if err != nil {
		return nil, "", err
	}
	if err := build.ValidateContextDirectory(dir, excludes); err != nil {
		return nil, "", fmt.Errorf("checking context: %w", err)
	}
	rel = filepath.ToSlash(rel)
	excludes = build.TrimBuildFilesFromExcludes(excludes, rel, false)
	tar, err := archive.TarWithOptions(dir, &archive.TarOptions{
		ExcludePatterns: excludes,
		ChownOpts:       &archive.ChownOpts{UID: 0, GID: 0},
	})
	if err != nil {
		return nil, "", err
	}
	return tar, rel, nil
}

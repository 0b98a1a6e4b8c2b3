package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/wharf/wharf/internal/store/content"
)

// maxManifest bounds a manifest body, as distribution does (4 MiB).
const maxManifest = 4 << 20

// Server is the registry's HTTP handler.
type Server struct {
	store *Store
	auth  *Htpasswd // nil: anonymous access
	log   *slog.Logger
}

// NewServer serves store; auth may be nil.
func NewServer(store *Store, auth *Htpasswd, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{store: store, auth: auth, log: log}
}

// regError is one entry of the distribution error body.
type regError struct {
	status  int
	Code    string `json:"code"`
	Message string `json:"message"`
	Detail  any    `json:"detail,omitempty"`
}

func (e regError) with(detail any) regError { e.Detail = detail; return e }

var (
	errBlobUnknown       = regError{http.StatusNotFound, "BLOB_UNKNOWN", "blob unknown to registry", nil}
	errUploadUnknown     = regError{http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry", nil}
	errDigestInvalid     = regError{http.StatusBadRequest, "DIGEST_INVALID", "provided digest did not match uploaded content", nil}
	errManifestUnknown   = regError{http.StatusNotFound, "MANIFEST_UNKNOWN", "manifest unknown", nil}
	errManifestInvalid   = regError{http.StatusBadRequest, "MANIFEST_INVALID", "manifest invalid", nil}
	errManifestBlob      = regError{http.StatusBadRequest, "MANIFEST_BLOB_UNKNOWN", "blob unknown to registry", nil}
	errNameInvalid       = regError{http.StatusBadRequest, "NAME_INVALID", "invalid repository name", nil}
	errNameUnknown       = regError{http.StatusNotFound, "NAME_UNKNOWN", "repository name not known to registry", nil}
	errTagInvalid        = regError{http.StatusBadRequest, "TAG_INVALID", "manifest tag did not match URI", nil}
	errRangeInvalid      = regError{http.StatusRequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID", "blob upload invalid", nil}
	errUnauthorized      = regError{http.StatusUnauthorized, "UNAUTHORIZED", "authentication required", nil}
	errUnsupported       = regError{http.StatusMethodNotAllowed, "UNSUPPORTED", "The operation is unsupported.", nil}
	errPaginationInvalid = regError{http.StatusBadRequest, "PAGINATION_NUMBER_INVALID", "invalid number of results requested", nil}
)

func writeError(w http.ResponseWriter, e regError) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(e.status)
	json.NewEncoder(w).Encode(map[string][]regError{"errors": {e}})
}

var (
	uploadsRe   = lazyRegexp(`^/v2/(.+)/blobs/uploads/?$`)
	uploadRe    = lazyRegexp(`^/v2/(.+)/blobs/uploads/([^/]+)$`)
	blobRe      = lazyRegexp(`^/v2/(.+)/blobs/([^/]+)$`)
	manifestRe  = lazyRegexp(`^/v2/(.+)/manifests/([^/]+)$`)
	tagsRe      = lazyRegexp(`^/v2/(.+)/tags/list$`)
	referrersRe = lazyRegexp(`^/v2/(.+)/referrers/([^/]+)$`)
)

// ServeHTTP routes the distribution API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	s.log.Debug("registry request", "method", r.Method, "path", r.URL.Path)
	if s.auth != nil && !s.auth.allow(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="Registry Realm"`)
		writeError(w, errUnauthorized)
		return
	}
	p := r.URL.Path
	if p == "/v2" || p == "/v2/" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		io.WriteString(w, "{}")
		return
	}
	if p == "/v2/_catalog" {
		s.catalog(w, r)
		return
	}
	type route struct {
		re *regexp.Regexp
		h  func(w http.ResponseWriter, r *http.Request, name, arg string)
	}
	for _, rt := range []route{
		{uploadsRe(), s.uploads},
		{uploadRe(), s.upload},
		{blobRe(), s.blob},
		{manifestRe(), s.manifest},
		{tagsRe(), s.tagsList},
		{referrersRe(), s.referrers},
	} {
		m := rt.re.FindStringSubmatch(p)
		if m == nil {
			continue
		}
		if !nameRe().MatchString(m[1]) || len(m[1]) > 255 {
			writeError(w, errNameInvalid.with(map[string]string{"name": m[1]}))
			return
		}
		arg := ""
		if len(m) > 2 {
			arg = m[2]
		}
		rt.h(w, r, m[1], arg)
		return
	}
	http.NotFound(w, r)
}

func blobURL(name string, d digest.Digest) string { return "/v2/" + name + "/blobs/" + d.String() }

func uploadURL(name, id string) string { return "/v2/" + name + "/blobs/uploads/" + id }

func (s *Server) blob(w http.ResponseWriter, r *http.Request, name, arg string) {
	d, ok := validDigest(arg)
	if !ok {
		writeError(w, errDigestInvalid)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if !s.store.hasBlob(r.Context(), name, d) {
			writeError(w, errBlobUnknown.with(map[string]string{"digest": arg}))
			return
		}
		info, err := s.store.blobs.Info(r.Context(), d)
		var ra content.ReaderAt
		if err == nil {
			ra, err = s.store.blobs.ReaderAt(r.Context(), d)
		}
		if err != nil {
			writeError(w, errBlobUnknown)
			return
		}
		defer ra.Close()
		w.Header().Set("Docker-Content-Digest", d.String())
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Etag", `"`+d.String()+`"`)
		http.ServeContent(w, r, "", info.CreatedAt, readSeeker(ra))
	case http.MethodDelete:
		if !s.store.hasBlob(r.Context(), name, d) {
			writeError(w, errBlobUnknown)
			return
		}
		if err := os.Remove(s.store.repoPath(name, "_blobs", key(d))); err != nil {
			s.internal(w, err)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	default:
		writeError(w, errUnsupported)
	}
}

// readSeeker reads ra from its start. A reader that can seek itself (the
// local store's, a file) is used as it is: net/http then sends it with
// sendfile(2) instead of copying it through user space.
func readSeeker(ra content.ReaderAt) io.ReadSeeker {
	if rs, ok := ra.(io.ReadSeeker); ok {
		return rs
	}
	return io.NewSectionReader(ra, 0, ra.Size())
}

func (s *Server) internal(w http.ResponseWriter, err error) {
	s.log.Error("registry", "err", err)
	writeError(w, regError{http.StatusInternalServerError, "UNKNOWN", "unknown error", err.Error()})
}

// uploads is POST /v2/<name>/blobs/uploads/: a cross-repository mount, a
// monolithic upload (?digest=) or the start of a session.
func (s *Server) uploads(w http.ResponseWriter, r *http.Request, name, _ string) {
	if r.Method != http.MethodPost {
		writeError(w, errUnsupported)
		return
	}
	q := r.URL.Query()
	if m := q.Get("mount"); m != "" {
		if d, ok := validDigest(m); ok {
			from := q.Get("from")
			if (from != "" && nameRe().MatchString(from) && s.store.hasBlob(r.Context(), from, d)) || (from == "" && s.store.blobAnywhere(r.Context(), d)) {
				if err := s.store.linkBlob(name, d); err != nil {
					s.internal(w, err)
					return
				}
				w.Header().Set("Location", blobURL(name, d))
				w.Header().Set("Docker-Content-Digest", d.String())
				w.WriteHeader(http.StatusCreated)
				return
			}
		}
		// Not mountable: start an ordinary upload, as the spec says.
	}
	id, err := s.store.newUpload(name)
	if err != nil {
		s.internal(w, err)
		return
	}
	if dg := q.Get("digest"); dg != "" {
		uw, err := s.store.openUpload(r.Context(), id)
		if err != nil {
			s.internal(w, err)
			return
		}
		defer uw.Close()
		s.finishUpload(w, r, name, id, uw, dg)
		return
	}
	w.Header().Set("Location", uploadURL(name, id))
	w.Header().Set("Docker-Upload-UUID", id)
	w.Header().Set("Range", "0-0")
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusAccepted)
}

// contentRange parses "start-end" (with or without "bytes=").
func contentRange(v string) (start, end int64, ok bool) {
	v = strings.TrimPrefix(v, "bytes=")
	a, b, found := strings.Cut(v, "-")
	if !found {
		return 0, 0, false
	}
	start, err1 := strconv.ParseInt(a, 10, 64)
	end, err2 := strconv.ParseInt(b, 10, 64)
	return start, end, err1 == nil && err2 == nil && start >= 0 && end >= start
}

func rangeHeader(size int64) string {
	if size == 0 {
		return "0-0"
	}
	return fmt.Sprintf("0-%d", size-1)
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request, name, id string) {
	if !s.store.isUpload(name, id) {
		writeError(w, errUploadUnknown)
		return
	}
	switch r.Method {
	case http.MethodGet:
		size, err := s.store.uploadSize(r.Context(), id)
		if err != nil {
			s.internal(w, err)
			return
		}
		w.Header().Set("Location", uploadURL(name, id))
		w.Header().Set("Range", rangeHeader(size))
		w.Header().Set("Docker-Upload-UUID", id)
		w.WriteHeader(http.StatusNoContent)
	case http.MethodPatch, http.MethodPut:
		uw, err := s.store.openUpload(r.Context(), id)
		if err != nil {
			s.internal(w, err)
			return
		}
		defer uw.Close()
		if cr := r.Header.Get("Content-Range"); cr != "" {
			start, end, ok := contentRange(cr)
			if !ok || start != uw.Offset() {
				writeError(w, errRangeInvalid)
				return
			}
			if r.Method == http.MethodPatch && r.ContentLength >= 0 && end-start+1 != r.ContentLength {
				writeError(w, errRangeInvalid)
				return
			}
		}
		if r.Method == http.MethodPut {
			s.finishUpload(w, r, name, id, uw, r.URL.Query().Get("digest"))
			return
		}
		if _, err := io.Copy(uw, r.Body); err != nil {
			s.internal(w, err)
			return
		}
		w.Header().Set("Location", uploadURL(name, id))
		w.Header().Set("Range", rangeHeader(uw.Offset()))
		w.Header().Set("Docker-Upload-UUID", id)
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusAccepted)
	case http.MethodDelete:
		s.store.removeUpload(r.Context(), id)
		w.WriteHeader(http.StatusNoContent)
	default:
		writeError(w, errUnsupported)
	}
}

// finishUpload writes the request body to the upload and commits it as
// blob dg.
func (s *Server) finishUpload(w http.ResponseWriter, r *http.Request, name, id string, uw content.Writer, dg string) {
	d, ok := validDigest(dg)
	if !ok {
		writeError(w, errDigestInvalid)
		return
	}
	if _, err := io.Copy(uw, r.Body); err != nil {
		s.internal(w, err)
		return
	}
	_, err := uw.Commit(r.Context(), d)
	s.store.removeUpload(r.Context(), id)
	if errdefs.IsInvalidArgument(err) {
		writeError(w, errDigestInvalid)
		return
	}
	if err == nil {
		err = s.store.linkBlob(name, d)
	}
	if err != nil {
		s.internal(w, err)
		return
	}
	w.Header().Set("Location", blobURL(name, d))
	w.Header().Set("Docker-Content-Digest", d.String())
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
}

// resolve turns a tag or digest into a manifest digest of repository name.
func (s *Server) resolve(name, ref string) (digest.Digest, bool) {
	if d, ok := validDigest(ref); ok {
		return d, true
	}
	if !tagRe().MatchString(ref) {
		return "", false
	}
	return s.store.resolveTag(name, ref)
}

func (s *Server) manifest(w http.ResponseWriter, r *http.Request, name, ref string) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		d, ok := s.resolve(name, ref)
		var mt string
		if ok {
			mt, ok = s.store.manifestType(r.Context(), name, d)
		}
		if !ok {
			writeError(w, errManifestUnknown.with(map[string]string{"reference": ref}))
			return
		}
		b, err := content.ReadBlob(r.Context(), s.store.blobs, d)
		if err != nil {
			s.internal(w, err)
			return
		}
		w.Header().Set("Content-Type", mt)
		w.Header().Set("Docker-Content-Digest", d.String())
		w.Header().Set("Etag", `"`+d.String()+`"`)
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		if r.Method == http.MethodGet {
			w.Write(b)
		}
	case http.MethodPut:
		s.putManifest(w, r, name, ref)
	case http.MethodDelete:
		if d, ok := validDigest(ref); ok {
			if _, ok := s.store.manifestType(r.Context(), name, d); !ok {
				writeError(w, errManifestUnknown)
				return
			}
			if err := s.store.deleteManifest(name, d); err != nil {
				s.internal(w, err)
				return
			}
			w.WriteHeader(http.StatusAccepted)
			return
		}
		if _, ok := s.store.resolveTag(name, ref); !ok || !tagRe().MatchString(ref) {
			writeError(w, errManifestUnknown)
			return
		}
		if err := os.Remove(s.store.repoPath(name, "_tags", ref)); err != nil {
			s.internal(w, err)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	default:
		writeError(w, errUnsupported)
	}
}

// manifestFields are the parts of an image manifest or index the registry
// looks at.
type manifestFields struct {
	MediaType    string               `json:"mediaType"`
	ArtifactType string               `json:"artifactType"`
	Config       *ocispec.Descriptor  `json:"config"`
	Layers       []ocispec.Descriptor `json:"layers"`
	Manifests    []ocispec.Descriptor `json:"manifests"`
	Subject      *ocispec.Descriptor  `json:"subject"`
	Annotations  map[string]string    `json:"annotations"`
}

func (s *Server) putManifest(w http.ResponseWriter, r *http.Request, name, ref string) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxManifest+1))
	if err != nil {
		s.internal(w, err)
		return
	}
	if len(body) > maxManifest {
		writeError(w, regError{http.StatusRequestEntityTooLarge, "SIZE_INVALID", "provided length did not match content length", nil})
		return
	}
	d := digest.FromBytes(body)
	var tags []string
	if want, ok := validDigest(ref); ok {
		d = want.Algorithm().FromBytes(body)
		if want != d {
			writeError(w, errDigestInvalid)
			return
		}
		// A push by digest may name tags to set too (?tag=a&tag=b).
		for _, t := range r.URL.Query()["tag"] {
			if !tagRe().MatchString(t) {
				writeError(w, errTagInvalid)
				return
			}
			tags = append(tags, t)
		}
	} else if tagRe().MatchString(ref) {
		tags = []string{ref}
	} else {
		writeError(w, errTagInvalid)
		return
	}
	var m manifestFields
	if err := json.Unmarshal(body, &m); err != nil {
		writeError(w, errManifestInvalid.with(err.Error()))
		return
	}
	mt := r.Header.Get("Content-Type")
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = strings.TrimSpace(mt[:i])
	}
	if mt == "" {
		mt = m.MediaType
	}
	if mt == "" {
		writeError(w, errManifestInvalid.with("no media type"))
		return
	}
	if m.MediaType != "" && m.MediaType != mt {
		writeError(w, errManifestInvalid.with("media type does not match the Content-Type"))
		return
	}
	// Every blob an image manifest refers to must be in the repository.
	var needed []ocispec.Descriptor
	if m.Config != nil {
		needed = append(needed, *m.Config)
	}
	for _, l := range m.Layers {
		if len(l.URLs) == 0 {
			needed = append(needed, l)
		}
	}
	// A descriptor without a valid digest names nothing (and a store
	// path cannot be made of it): the manifest is invalid.
	for _, d := range append(slices.Clone(needed), m.Manifests...) {
		if err := d.Digest.Validate(); err != nil {
			writeError(w, errManifestInvalid.with(fmt.Sprintf("descriptor digest %q: %v", d.Digest, err)))
			return
		}
	}
	for _, b := range needed {
		if !s.store.hasBlob(r.Context(), name, b.Digest) {
			writeError(w, errManifestBlob.with(map[string]string{"digest": b.Digest.String()}))
			return
		}
	}
	for _, c := range m.Manifests {
		if _, ok := s.store.manifestType(r.Context(), name, c.Digest); !ok {
			writeError(w, errManifestBlob.with(map[string]string{"digest": c.Digest.String()}))
			return
		}
	}
	if !s.store.blobAnywhere(r.Context(), d) {
		if _, err := s.store.blobs.Put(r.Context(), bytes.NewReader(body), d); err != nil {
			s.internal(w, err)
			return
		}
	}
	if err := touch(s.store.repoPath(name, "_manifests", key(d)), []byte(mt)); err != nil {
		s.internal(w, err)
		return
	}
	if m.Subject != nil {
		if _, ok := validDigest(m.Subject.Digest.String()); ok {
			desc := ocispec.Descriptor{MediaType: mt, Digest: d, Size: int64(len(body)), ArtifactType: m.ArtifactType, Annotations: m.Annotations}
			if desc.ArtifactType == "" && m.Config != nil {
				desc.ArtifactType = m.Config.MediaType
			}
			b, _ := json.Marshal(desc)
			if err := touch(s.store.repoPath(name, "_referrers", key(m.Subject.Digest), key(d)), b); err != nil {
				s.internal(w, err)
				return
			}
			w.Header().Set("OCI-Subject", m.Subject.Digest.String())
		}
	}
	for _, tag := range tags {
		if err := touch(s.store.repoPath(name, "_tags", tag), []byte(d.String())); err != nil {
			s.internal(w, err)
			return
		}
		w.Header().Add("OCI-Tag", tag)
	}
	w.Header().Set("Location", "/v2/"+name+"/manifests/"+d.String())
	w.Header().Set("Docker-Content-Digest", d.String())
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
}

// paginate applies ?n= and ?last= to a sorted list and sets the Link
// header for the next page.
func paginate(w http.ResponseWriter, r *http.Request, list []string) ([]string, bool) {
	q := r.URL.Query()
	if last := q.Get("last"); last != "" {
		i := sort.SearchStrings(list, last)
		if i < len(list) && list[i] == last {
			i++
		}
		list = list[i:]
	}
	if v := q.Get("n"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeError(w, errPaginationInvalid)
			return nil, false
		}
		if n < len(list) {
			list = list[:n]
			if n > 0 {
				next := *r.URL
				nq := next.Query()
				nq.Set("last", list[n-1])
				nq.Set("n", strconv.Itoa(n))
				next.RawQuery = nq.Encode()
				w.Header().Set("Link", fmt.Sprintf(`<%s?%s>; rel="next"`, next.Path, next.RawQuery))
			}
		}
	}
	if list == nil {
		list = []string{}
	}
	return list, true
}

func (s *Server) tagsList(w http.ResponseWriter, r *http.Request, name, _ string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeError(w, errUnsupported)
		return
	}
	tags, ok := s.store.tags(name)
	if !ok {
		writeError(w, errNameUnknown.with(map[string]string{"name": name}))
		return
	}
	tags, ok = paginate(w, r, tags)
	if !ok {
		return
	}
	writeJSON(w, "application/json; charset=utf-8", map[string]any{"name": name, "tags": tags})
}

func (s *Server) catalog(w http.ResponseWriter, r *http.Request) {
	repos, ok := paginate(w, r, s.store.repositories())
	if !ok {
		return
	}
	writeJSON(w, "application/json; charset=utf-8", map[string]any{"repositories": repos})
}

func (s *Server) referrers(w http.ResponseWriter, r *http.Request, name, arg string) {
	if r.Method != http.MethodGet {
		writeError(w, errUnsupported)
		return
	}
	d, ok := validDigest(arg)
	if !ok {
		writeError(w, errDigestInvalid)
		return
	}
	idx := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{}}
	idx.SchemaVersion = 2
	filter := r.URL.Query().Get("artifactType")
	des, _ := os.ReadDir(s.store.repoPath(name, "_referrers", key(d)))
	for _, de := range des {
		b, err := os.ReadFile(s.store.repoPath(name, "_referrers", key(d), de.Name()))
		var desc ocispec.Descriptor
		if err != nil || json.Unmarshal(b, &desc) != nil {
			continue
		}
		if filter != "" && desc.ArtifactType != filter {
			continue
		}
		idx.Manifests = append(idx.Manifests, desc)
	}
	if filter != "" {
		w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	writeJSON(w, ocispec.MediaTypeImageIndex, idx)
}

func writeJSON(w http.ResponseWriter, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
}

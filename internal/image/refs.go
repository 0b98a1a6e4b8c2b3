package image

import (
	"encoding/json"
	"errors"
	"os"
	"sort"
	"strings"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
)

// refStore maps tagged references to image IDs and persists them in one
// JSON file, rewritten atomically on every change.
type refStore struct {
	path string
	// byRef is keyed by the fully normalised reference
	// ("docker.io/library/busybox:latest").
	byRef map[string]digest.Digest
	// byDigest maps "docker.io/library/busybox@sha256:..." (the manifest
	// digest a registry gave the image) to the image ID: RepoDigests.
	byDigest map[string]digest.Digest
}

type refsFile struct {
	Refs    map[string]digest.Digest `json:"refs"`
	Digests map[string]digest.Digest `json:"digests,omitempty"`
}

func loadRefs(path string) (*refStore, error) {
	r := &refStore{path: path, byRef: map[string]digest.Digest{}, byDigest: map[string]digest.Digest{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return nil, err
	}
	var f refsFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, err
	}
	if f.Refs != nil {
		r.byRef = f.Refs
	}
	if f.Digests != nil {
		r.byDigest = f.Digests
	}
	return r, nil
}

func (r *refStore) save() error {
	b, err := json.MarshalIndent(refsFile{Refs: r.byRef, Digests: r.byDigest}, "", "\t")
	if err != nil {
		return err
	}
	return atomicWrite(r.path, b)
}

func (r *refStore) get(ref reference.NamedTagged) (digest.Digest, bool) {
	id, ok := r.byRef[ref.String()]
	return id, ok
}

func (r *refStore) set(ref reference.NamedTagged, id digest.Digest) {
	r.byRef[ref.String()] = id
}

func (r *refStore) remove(ref reference.NamedTagged) {
	delete(r.byRef, ref.String())
}

func (r *refStore) getDigest(ref reference.Canonical) (digest.Digest, bool) {
	id, ok := r.byDigest[ref.String()]
	return id, ok
}

// setDigest records that ref (name@manifest-digest) is image id. A
// repository keeps one digest per image, as dockerd does.
func (r *refStore) setDigest(ref reference.Canonical, id digest.Digest) {
	for k, v := range r.byDigest {
		if v == id && strings.HasPrefix(k, ref.Name()+"@") {
			delete(r.byDigest, k)
		}
	}
	r.byDigest[ref.String()] = id
}

// digestsOf returns id's repo digests in familiar form, sorted.
func (r *refStore) digestsOf(id digest.Digest) []string {
	out := []string{}
	for k, v := range r.byDigest {
		if v != id {
			continue
		}
		if named, err := reference.ParseNormalizedNamed(k); err == nil {
			out = append(out, reference.FamiliarString(named))
		}
	}
	sort.Strings(out)
	return out
}

// removeDigests forgets id's repo digests.
func (r *refStore) removeDigests(id digest.Digest) {
	for k, v := range r.byDigest {
		if v == id {
			delete(r.byDigest, k)
		}
	}
}

// refsOf returns the references to id, sorted.
func (r *refStore) refsOf(id digest.Digest) []reference.NamedTagged {
	var out []reference.NamedTagged
	for s, v := range r.byRef {
		if v != id {
			continue
		}
		if named, err := parseNamed(s); err == nil {
			out = append(out, named)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// tagsOf returns id's references in familiar form ("busybox:latest").
func (r *refStore) tagsOf(id digest.Digest) []string {
	out := []string{}
	for _, ref := range r.refsOf(id) {
		out = append(out, reference.FamiliarString(ref))
	}
	return out
}

// dropMissing removes references to images that do not exist and reports
// whether anything changed.
func (r *refStore) dropMissing(exists func(id string) bool) bool {
	changed := false
	for k, id := range r.byRef {
		if !exists(id.String()) {
			delete(r.byRef, k)
			changed = true
		}
	}
	for k, id := range r.byDigest {
		if !exists(id.String()) {
			delete(r.byDigest, k)
			changed = true
		}
	}
	return changed
}

// parseNamed normalises a name[:tag] the way docker does: "busybox" is
// "docker.io/library/busybox:latest". Digest references are refused: the
// store keeps tags only.
func parseNamed(s string) (reference.NamedTagged, error) {
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return nil, err
	}
	if _, ok := named.(reference.Digested); ok {
		return nil, errors.New("digest references are not supported")
	}
	tagged, ok := reference.TagNameOnly(named).(reference.NamedTagged)
	if !ok {
		return nil, errors.New("invalid reference")
	}
	return tagged, nil
}

// repoTag builds the reference for "docker tag"/"import" from the repo and
// tag parameters, as dockerd's RepoTagReference does.
func repoTag(repo, tag string) (reference.NamedTagged, error) {
	named, err := reference.ParseNormalizedNamed(repo)
	if err != nil {
		return nil, err
	}
	if _, ok := named.(reference.Digested); ok {
		return nil, errors.New("cannot import digest reference")
	}
	if tag != "" {
		return reference.WithTag(named, tag)
	}
	tagged, ok := reference.TagNameOnly(named).(reference.NamedTagged)
	if !ok {
		return nil, errors.New("invalid reference")
	}
	return tagged, nil
}

// parseCanonical recognises name@sha256:... references.
func parseCanonical(s string) (reference.Canonical, bool) {
	if !strings.Contains(s, "@") {
		return nil, false
	}
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return nil, false
	}
	c, ok := named.(reference.Canonical)
	return c, ok
}

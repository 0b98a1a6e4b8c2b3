package build

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/wharf/wharf/internal/fsutil"
)

// cache maps a step's key to the image that step made, persisted in one
// JSON file. An entry whose image is gone is a miss (the caller checks).
type cache struct {
	mu    sync.Mutex
	path  string
	steps map[string]string
}

func openCache(path string) (*cache, error) {
	c := &cache{path: path, steps: map[string]string{}}
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return c, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &c.steps); err != nil {
		// A damaged cache only costs rebuilds.
		c.steps = map[string]string{}
	}
	return c, nil
}

// cacheKey is the key of a step: its parent image and its instruction
// with arguments expanded (for COPY/ADD including the content checksum).
func cacheKey(parentID, instruction string) string {
	h := sha256.New()
	h.Write([]byte(parentID))
	h.Write([]byte{0})
	h.Write([]byte(instruction))
	return hex.EncodeToString(h.Sum(nil))
}

func (c *cache) get(key string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id, ok := c.steps[key]
	return id, ok
}

func (c *cache) put(key, imageID string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.steps[key] = imageID
	if err := os.MkdirAll(filepath.Dir(c.path), 0o700); err != nil {
		return err
	}
	return fsutil.WriteJSONAtomic(c.path, c.steps, false)
}

// drop forgets the steps that made the given images.
func (c *cache) drop(imageIDs []string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.steps)
	maps.DeleteFunc(c.steps, func(_, id string) bool { return slices.Contains(imageIDs, id) })
	if len(c.steps) == n {
		return nil
	}
	return fsutil.WriteJSONAtomic(c.path, c.steps, false)
}

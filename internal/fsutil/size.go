package fsutil

import (
	"io/fs"
	"path/filepath"
)

// DirSize adds up the sizes of the regular files under root; what cannot
// be read is skipped.
func DirSize(root string) int64 {
	var n int64
	filepath.WalkDir(root, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

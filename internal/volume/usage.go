package volume

import (
	"context"
	"io/fs"
	"path/filepath"
)

// Size is the disk space volume name's data takes (system df).
func (s *Service) Size(ctx context.Context, name string) int64 {
	var n int64
	filepath.WalkDir(s.dataDir(name), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

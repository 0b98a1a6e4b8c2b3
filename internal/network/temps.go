package network

import (
	"os"
	"path/filepath"
	"strings"
)

// removeCrashTemps removes the temporary files of atomic writes that a
// kill -9 cut short in dir (fsutil.WriteFileAtomic's ".<name>.tmp*"):
// never renamed into place, they are nobody's record. Left, a sandbox's
// would be counted and skipped at every start.
func removeCrashTemps(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if n := e.Name(); strings.HasPrefix(n, ".") && strings.Contains(n, ".json.tmp") {
			os.Remove(filepath.Join(dir, n))
		}
	}
}

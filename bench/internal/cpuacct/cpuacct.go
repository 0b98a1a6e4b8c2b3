// Package cpuacct reads the CPU time of cgroup v1 cpuacct directories: the
// benchmarks' steady figure on a shared machine, where wall time swings
// with the load.
package cpuacct

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"
)

// Usage sums cpuacct.usage (ns) of the cgroup directories dirs; a
// directory that cannot be read ends the benchmark.
func Usage(dirs []string) time.Duration {
	var total time.Duration
	for _, d := range dirs {
		data, err := os.ReadFile(filepath.Join(d, "cpuacct.usage"))
		if err != nil {
			log.Fatal(err)
		}
		var ns int64
		fmt.Sscan(string(data), &ns)
		total += time.Duration(ns)
	}
	return total
}

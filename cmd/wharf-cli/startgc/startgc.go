// Package startgc keeps the garbage collector off for wharf's first
// second, which is the whole life of most commands.
//
// Every wharf command first runs the package initialisation of all of
// docker/cli's command tree and builds that tree: a few megabytes of
// short-lived allocations, which crossed the collector's 4 MB starting
// goal and cost a collection or two (5-10% of `wharf ps`'s CPU) in a
// process about to exit. main imports this package for its init alone:
// it imports only runtime/debug and time, so Go runs its init before the
// heavy packages' (a package is initialised as soon as its imports are,
// in import path order). A memory limit bounds the heap in the meantime,
// and after the window the collector runs as GOGC and GOMEMLIMIT say, so
// long commands (logs -f, build, load) collect as usual.
package startgc

import (
	"runtime/debug"
	"time"
)

const (
	window = time.Second
	limit  = 64 << 20 // bytes of heap before the collector runs anyway
)

func init() {
	percent := debug.SetGCPercent(-1)
	memLimit := debug.SetMemoryLimit(limit)
	time.AfterFunc(window, func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(memLimit)
	})
}

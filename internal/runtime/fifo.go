package runtime

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// startByFifo does what `runc start` does, without running runc: a
// created container's init waits to exec until someone opens its
// exec.fifo for reading and reads the "0" it writes. Doing that here
// saves an exec of the runtime (about 7 ms) on every start. It reports
// false when the runtime keeps no such fifo (not runc), so the caller
// falls back to the runtime's own "start".
func (r *Runtime) startByFifo(ctx context.Context, id string) (bool, error) {
	path := filepath.Join(r.Root, id, "exec.fifo")
	// runc's layout: state.json beside exec.fifo (crun keeps other files).
	if _, err := os.Stat(filepath.Join(r.Root, id, "state.json")); err != nil {
		return false, nil
	}
	if _, err := os.Stat(path); err != nil {
		return false, nil
	}
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		f, err := os.OpenFile(path, os.O_RDONLY, 0)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer f.Close()
		data, err := io.ReadAll(f)
		done <- result{data: data, err: err}
	}()
	select {
	case res := <-done:
		if res.err != nil {
			return true, fmt.Errorf("starting container: %w", res.err)
		}
		if string(res.data) != "0" {
			return true, fmt.Errorf("starting container: the container's init did not start (fifo read %q)", res.data)
		}
		return true, os.Remove(path)
	case <-ctx.Done():
	case <-time.After(30 * time.Second):
	}
	// Release the blocked open by playing the writer ourselves.
	if w, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
		w.Close()
	}
	return true, fmt.Errorf("starting container %s: timed out waiting for its init", id)
}

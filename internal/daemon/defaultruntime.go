package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wharf/wharf/internal/runtime"
)

// chooseDefaultRuntime is the runtime containers get when neither
// daemon.json's default-runtime nor --default-runtime names one: crun
// where it is installed and runs, since it starts a container and execs
// into one in about half runc's time (bench/all.sh), else runc
// (wharf-runc beside wharfd, else Debian's).
func chooseDefaultRuntime(ctx context.Context, runtimes map[string]*runtime.Runtime, log *slog.Logger) string {
	if rt, ok := runtimes["crun"]; ok {
		err := crunWorks(ctx, rt)
		if err == nil {
			return "crun"
		}
		log.Info("crun is installed but cannot run containers here: runc is the default runtime", "err", err)
	}
	return "runc"
}

// crunWorks probes crun once, at start: it must answer --version as
// crun, through wharf-crun where wharfd runs it so (which proves its
// mount namespace step works), and a hybrid cgroup host needs wharf-crun,
// since crun alone refuses to create containers there.
func crunWorks(ctx context.Context, rt *runtime.Runtime) error {
	if filepath.Base(rt.Path) != wharfCrun && hybridCgroups() {
		return errors.New("a hybrid cgroup host needs " + wharfCrun + " beside wharfd (make build)")
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, rt.Path, "--version")
	cmd.Env = append(os.Environ(), rt.Env...)
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.HasPrefix(out, []byte("crun version ")) {
		return fmt.Errorf("%s --version: %q: %v", rt.Path, bytes.TrimSpace(out), err)
	}
	return nil
}

// hybridCgroups reports whether this host mounts v1 controllers under
// /sys/fs/cgroup beside the v2 hierarchy at /sys/fs/cgroup/unified, as
// cmd/wharf-crun tells it.
func hybridCgroups() bool {
	var st unix.Statfs_t
	if unix.Statfs("/sys/fs/cgroup", &st) != nil || st.Type != unix.TMPFS_MAGIC {
		return false
	}
	return unix.Statfs("/sys/fs/cgroup/unified", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
}

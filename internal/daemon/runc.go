package daemon

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"time"
)

// wharfRunc is runc as make build makes it (hack/runc/build.sh): runc 1.4
// with a cache of compiled seccomp filters, so a start or exec no longer
// compiles docker's default profile (~25 ms of CPU each with Debian's
// runc 1.1.5).
const wharfRunc = "wharf-runc"

// runtimePath is the binary to run for a configured runtime: for "runc"
// at its default path, wharf-runc beside wharfd when make build made one;
// otherwise path as $PATH finds it (Debian's runc, the fallback).
func runtimePath(name, path string) (string, error) {
	if name == "runc" && path == "runc" {
		if self, err := os.Executable(); err == nil {
			p := filepath.Join(filepath.Dir(self), wharfRunc)
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
	}
	return exec.LookPath(path)
}

var runcVersion = regexp.MustCompile(`(?m)^runc version (\d+)\.(\d+)\.(\d+)`)

// setsExecLimits reports whether the runtime at path gives an exec'd
// process its soft nofile limit itself: runc 1.1.13 and later (runc#4195);
// older runc, and runtimes it cannot tell, go through wharf-exec-init.
func setsExecLimits(ctx context.Context, path string) bool {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	return err == nil && runcSetsExecLimits(out)
}

// runcSetsExecLimits reads `runc --version`'s output for setsExecLimits.
func runcSetsExecLimits(version []byte) bool {
	m := runcVersion.FindSubmatch(version)
	if m == nil {
		return false
	}
	var v [3]int
	for i := range v {
		v[i], _ = strconv.Atoi(string(m[i+1]))
	}
	return v[0] > 1 || v[0] == 1 && (v[1] > 1 || v[1] == 1 && v[2] >= 13)
}

// idmapMounts reports whether the runtime at path ID-maps mounts (runc
// 1.2 and later say so in `runc features`), which pods in user
// namespaces of their own need (internal/cri's userns.go).
func idmapMounts(ctx context.Context, path string) bool {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "features").Output()
	return err == nil && featuresIDMap(out)
}

// featuresIDMap reads `runc features`' output for idmapMounts.
func featuresIDMap(features []byte) bool {
	var f struct {
		Linux struct {
			MountExtensions struct {
				IDMap struct {
					Enabled *bool `json:"enabled"`
				} `json:"idmap"`
			} `json:"mountExtensions"`
		} `json:"linux"`
	}
	if json.Unmarshal(features, &f) != nil {
		return false
	}
	e := f.Linux.MountExtensions.IDMap.Enabled
	return e != nil && *e
}

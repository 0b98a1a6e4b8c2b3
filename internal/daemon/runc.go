package daemon

import (
	"bytes"
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

// wharfCrun runs crun where crun refuses the host's cgroups as they are
// (cmd/wharf-crun: a hybrid host with a controller on cgroup v2).
const wharfCrun = "wharf-crun"

// runtimeCommand is how to run a configured runtime: its binary and the
// environment to add. "runc" at its default path is wharf-runc beside
// wharfd when make build made one; any crun goes through wharf-crun
// beside wharfd, which runs it (WHARF_CRUN) on hosts crun would refuse;
// otherwise path as $PATH finds it (Debian's runc, the fallback).
func runtimeCommand(name, path string) (string, []string, error) {
	if name == "runc" && path == "runc" {
		if p := besideDaemon(wharfRunc); p != "" {
			return p, nil, nil
		}
	}
	found, err := exec.LookPath(path)
	if err != nil {
		return "", nil, err
	}
	if filepath.Base(found) == "crun" {
		if p := besideDaemon(wharfCrun); p != "" {
			return p, []string{"WHARF_CRUN=" + found}, nil
		}
	}
	return found, nil, nil
}

// besideDaemon is the path of the named binary in wharfd's directory,
// "" if there is none.
func besideDaemon(name string) string {
	self, err := os.Executable()
	if err != nil {
		return ""
	}
	p := filepath.Join(filepath.Dir(self), name)
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

var runcVersion = regexp.MustCompile(`(?m)^runc version (\d+)\.(\d+)\.(\d+)`)

// setsExecLimits reports whether the runtime at path (run with env added)
// gives an exec'd process its soft nofile limit itself: runc 1.1.13 and
// later (runc#4195), and crun (C, it never raises its own limit for an
// exec'd process to inherit); older runc, and runtimes it cannot tell,
// go through wharf-exec-init.
func setsExecLimits(ctx context.Context, path string, env []string) bool {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "--version")
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	out, err := cmd.Output()
	return err == nil && runcSetsExecLimits(out)
}

// runcSetsExecLimits reads `<runtime> --version`'s output for setsExecLimits.
func runcSetsExecLimits(version []byte) bool {
	if bytes.HasPrefix(version, []byte("crun version ")) {
		return true
	}
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

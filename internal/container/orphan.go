package container

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// A kill -9 of wharfd during a start can leave conmon, and the runtime's
// "create" under it, running for a container recorded as not running:
// the record is written only once the start has finished. Nothing else
// knows these processes (runc may not have written its state yet), but
// each names the container's bundle on its command line.

// killBundleProcesses kills every process whose command line names
// bundle, and waits (a few seconds at most) until they are gone, so that
// none of them makes runtime state after the caller has cleaned up. It
// returns how many it killed.
func killBundleProcesses(bundle string) int {
	var pids []int
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		data, err := os.ReadFile(p)
		if err != nil || !namesPath(string(data), bundle) {
			continue
		}
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		if err != nil || pid == os.Getpid() {
			continue
		}
		if syscall.Kill(pid, syscall.SIGKILL) == nil {
			pids = append(pids, pid)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for _, pid := range pids {
		for alive(pid) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
	}
	return len(pids)
}

// namesPath reports whether a NUL-separated command line has path, or a
// file under it, as one of its arguments.
func namesPath(cmdline, path string) bool {
	for _, arg := range strings.Split(cmdline, "\x00") {
		if arg == path || strings.HasPrefix(arg, path+"/") {
			return true
		}
	}
	return false
}

// procStat is pid's /proc/<pid>/stat fields after the command name
// (which is in parentheses and may hold spaces): [0] the state, [6] the
// flags. ok is false when pid is gone; fields is nil when the file does
// not parse.
func procStat(pid int) (fields []string, ok bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, false
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil, true
	}
	return strings.Fields(s[i+1:]), true
}

// alive reports whether pid runs (a zombie does not).
func alive(pid int) bool {
	f, ok := procStat(pid)
	return ok && (len(f) == 0 || f[0] != "Z")
}

// removeCgroups kills what is left in a container's cgroup (a runtime
// killed in the middle of its create leaves its init there) and removes
// the cgroup from every hierarchy, v1 and v2.
func removeCgroups(cgroupPath string) {
	dirs, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup/*", cgroupPath))
	unified, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup/unified", cgroupPath))
	if st, err := os.Stat(filepath.Join("/sys/fs/cgroup", cgroupPath)); err == nil && st.IsDir() {
		dirs = append(dirs, filepath.Join("/sys/fs/cgroup", cgroupPath)) // v2 alone
	}
	dirs = append(dirs, unified...)
	for _, d := range dirs {
		data, _ := os.ReadFile(filepath.Join(d, "cgroup.procs"))
		for _, f := range strings.Fields(string(data)) {
			if pid, err := strconv.Atoi(f); err == nil {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for _, d := range dirs {
		for syscall.Rmdir(d) == syscall.EBUSY && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
	}
}

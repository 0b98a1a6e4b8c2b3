// Command wharf-crun runs crun on hosts whose cgroups crun refuses.
//
// crun (1.8 and upstream alike) refuses to create a container on a
// hybrid cgroup host (v1 controllers under /sys/fs/cgroup, the v2
// hierarchy at /sys/fs/cgroup/unified) whenever the v2 hierarchy holds
// any controller: "cgroups in hybrid mode not supported, drop all
// controllers from cgroupv2". A host whose init mounted every v1
// controller but hugetlb is such a host (hugetlb then stays on v2). No
// spec or option changes that check (it runs before the cgroup manager
// is chosen), but crun decides the mode from what is mounted: without
// /sys/fs/cgroup/unified it sees a v1 ("legacy") host and uses the v1
// controllers, as runc does on this host, only without joining the v2
// hierarchy, which on such a host holds no controller runc or docker sets.
//
// So wharf-crun, given crun's arguments, hides /sys/fs/cgroup/unified in
// a mount namespace of its own (a copy of the host's: nothing else
// changes, and mounts shared with the host stay shared) and execs crun
// there. wharfd runs every crun command through it on a hybrid host, so
// crun sees the same mode whether it creates, execs into, kills or
// deletes a container. On other hosts it execs crun unchanged.
//
// The work is done in C, in a constructor that runs before Go's runtime
// starts threads: a process with more than one thread cannot unshare its
// mount namespace. crun is $WHARF_CRUN if set, else "crun" in $PATH.
package main

/*
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <unistd.h>

#define CGROUP2_MAGIC 0x63677270
#define TMPFS_MAGIC_ 0x01021994

static int hybrid(void) {
	struct statfs st;
	if (statfs("/sys/fs/cgroup", &st) < 0 || st.f_type != TMPFS_MAGIC_)
		return 0;
	return statfs("/sys/fs/cgroup/unified", &st) == 0 && st.f_type == CGROUP2_MAGIC;
}

__attribute__((constructor)) static void wharf_crun(int argc, char **argv) {
	const char *crun = getenv("WHARF_CRUN");
	if (crun == NULL || *crun == '\0')
		crun = "crun";
	if (hybrid()) {
		// Private first, the parent too: an unmount under a shared
		// mount would propagate to the host's namespace.
		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/sys/fs/cgroup", NULL, MS_PRIVATE, NULL) < 0 ||
		    mount(NULL, "/sys/fs/cgroup/unified", NULL, MS_PRIVATE, NULL) < 0 ||
		    umount2("/sys/fs/cgroup/unified", MNT_DETACH) < 0) {
			fprintf(stderr, "wharf-crun: hiding /sys/fs/cgroup/unified from crun: %s\n", strerror(errno));
			_exit(125);
		}
	}
	(void)argc;
	execvp(crun, argv);
	fprintf(stderr, "wharf-crun: running %s: %s\n", crun, strerror(errno));
	_exit(127);
}
*/
import "C"

// main is never reached: the constructor above execs crun or exits.
func main() {}

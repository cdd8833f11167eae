/*
 * node.c - the plugin's adapter to the executor (contract in node.h).
 *
 * One Slurm-specific decision lives here: a task never leaves Slurm's
 * cgroups (OT_ENTER_NO_CGROUP; cgroup limits and cgroup isolation are
 * refused by the bounds anyway), and when the task gets a private mount
 * namespace with a fresh /sys, the cgroup hierarchy under /sys/fs/cgroup is
 * carried over into it. A plain remount of /sys (what `ip netns exec`
 * does) would hide /sys/fs/cgroup from the task, and with it the cgroup
 * view that MPI runtimes (hwloc) and Slurm's own task plugins read.
 */
#include "spank/node.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exec/exec.h"

/* The new mount API; glibc 2.36's wrappers are avoided for older libcs. */
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif

/*
 * A VNI of this step may still be held by a VXLAN device of an instance
 * that ended a moment ago: destroy leaves those devices, and their VNIs, to
 * the kernel's asynchronous namespace teardown (async_devices below), and
 * srun does not wait for a step's teardown before the next step starts. Two
 * steps share a VNI only when the topology names one (explicit_vni) or the
 * administrator's range has few VNI windows. So a create that failed on a
 * VNI in use is retried for a while (it rolled back: nothing of it is left)
 * before the step fails; a VNI held by a live job still fails, 0.6 s later.
 * The executor says so with -EADDRINUSE.
 */
static const unsigned vni_retry_ms[] = {5, 10, 20, 40, 80, 160, 320};

int ot_spank_node_create(const struct ot_plan *p, struct ot_error *err)
{
	struct ot_exec_opts o = {0};
	size_t i;
	int r = ot_exec_create(p, &o, NULL, err);

	for (i = 0; r == -EADDRINUSE && i < sizeof(vni_retry_ms) / sizeof(vni_retry_ms[0]); i++) {
		usleep(vni_retry_ms[i] * 1000);
		r = ot_exec_create(p, &o, NULL, err);
	}
	return r;
}

/*
 * A private mount namespace with a sysfs of the current network namespace,
 * /sys/fs/cgroup kept (cloned before /sys is detached, attached again on
 * top of the new sysfs). Needs a single-threaded caller.
 */
static int fresh_sys(struct ot_error *err)
{
	int tree, r = 0;

	if (unshare(CLONE_NEWNS) < 0)
		return ot_error_sys(err, -errno, "private mount namespace for the task");
	if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return ot_error_sys(err, -errno, "make the task's mounts slaves");
	tree = (int)syscall(SYS_open_tree, AT_FDCWD, "/sys/fs/cgroup",
			    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (umount2("/sys", MNT_DETACH) < 0 && errno != EINVAL) {
		r = ot_error_sys(err, -errno, "detach the node's /sys for the task");
		goto out;
	}
	if (mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		r = ot_error_sys(err, -errno, "mount the container's /sys");
		goto out;
	}
	/* Best effort: without it the task simply sees no /sys/fs/cgroup. */
	if (tree >= 0)
		(void)syscall(SYS_move_mount, tree, "", AT_FDCWD, "/sys/fs/cgroup",
			      MOVE_MOUNT_F_EMPTY_PATH);
out:
	if (tree >= 0)
		close(tree);
	return r;
}

int ot_spank_node_enter(const struct ot_plan *p, int ns, struct ot_error *err)
{
	unsigned flags = OT_ENTER_NO_CGROUP, ret_flags = 0;
	bool own_mnt = p->ns[ns].isolate & OT_ISO_MNT;
	int r;

	if (!own_mnt)
		flags |= OT_ENTER_NO_SYSFS;
	r = ot_exec_enter(p, ns, flags, &ret_flags, err);
	if (r < 0)
		return r;
	if (ret_flags & OT_ENTER_MUST_FORK)
		return ot_error_set(err, -EINVAL,
				    "container '%s' isolates pids, which a Slurm "
				    "task cannot enter",
				    p->ns[ns].container);
	if (!own_mnt && (r = fresh_sys(err)) < 0)
		return r;
	/* last: slurmstepd still changes to the user (which clears the
	 * effective and permitted sets) before it runs the task */
	return ot_exec_caps_apply(p, ns, OT_CAPS_KEEP_EFFECTIVE, err);
}

int ot_spank_node_destroy(const char *state_dir, struct ot_error *err)
{
	/* Each step has VNIs of its own (a window per job and step): no step
	 * needs the VNIs of the one ending at once, so the VXLAN devices go
	 * with their namespaces instead of one RCU grace period each while
	 * the step ends. */
	struct ot_exec_opts o = {.async_devices = true};
	int r = ot_exec_destroy(state_dir, &o, NULL, err);

	return r == -ENOENT ? 0 : r;
}

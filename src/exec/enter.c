/*
 * enter.c - put the calling process into a container (ot_exec_enter): its
 * network namespace, the uts/ipc/mount namespaces create persisted for it,
 * its cgroup, and (at exec time) a new pid namespace.
 */
#include "exec/exec_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

static int join(const char *path, int type, const char *what, struct ot_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return ot_error_sys(err, -errno, "open %s namespace '%s'", what, path);
	if (setns(fd, type) < 0)
		r = ot_error_sys(err, -errno, "join %s namespace '%s'", what, path);
	close(fd);
	return r;
}

/* What `ip netns exec` does: a private mount namespace whose /sys shows the
 * (new) current network namespace. */
static int fresh_sysfs(struct ot_error *err)
{
	if (unshare(CLONE_NEWNS) < 0)
		return ot_error_sys(err, -errno, "unshare the mount namespace");
	if (mount("", "/", "none", MS_SLAVE | MS_REC, NULL) < 0)
		return ot_error_sys(err, -errno, "make / a slave mount");
	if (umount2("/sys", MNT_DETACH) < 0 && errno != EINVAL)
		return ot_error_sys(err, -errno, "unmount /sys");
	if (mount("sysfs", "/sys", "sysfs", 0, NULL) < 0)
		return ot_error_sys(err, -errno, "mount a fresh /sys");
	return 0;
}

int ot_exec_enter(const struct ot_plan *p, int ns, unsigned flags, unsigned *ret_flags,
		  struct ot_error *err)
{
	const struct ot_plan_ns *pn;
	char path[PATH_MAX], cwd[PATH_MAX];
	size_t k;
	int r;

	if (ret_flags)
		*ret_flags = 0;
	if (ns <= 0 || (size_t)ns >= p->nns || p->ns[ns].role != OT_NS_CONTAINER)
		return ot_error_set(err, -EINVAL, "%s: namespace %d is not a container", p->node,
				    ns);
	pn = &p->ns[ns];
	/* cgroup first: the cgroup file system is reachable from here */
	if (pn->cgroup && !(flags & OT_ENTER_NO_CGROUP)) {
		struct ot_cgroups cg;

		if ((r = ot_cg_detect(&cg, err)) < 0 ||
		    (r = ot_cg_join(&cg, pn->cgroup, getpid(), err)) < 0)
			return ot_error_prefix(err, r, "%s: enter '%s'", p->node, pn->container);
		if ((pn->isolate & OT_ISO_CGROUP) && unshare(CLONE_NEWCGROUP) < 0)
			return ot_error_sys(err, -errno, "%s: enter '%s': cgroup namespace",
					    p->node, pn->container);
	}
	snprintf(path, sizeof(path), "%s/%s", OT_NETNS_DIR, pn->name);
	if ((r = join(path, CLONE_NEWNET, "network", err)) < 0)
		goto fail;
	/* joining a mount namespace moves us to its root (which may be a root
	 * directory of the container's own): come back to the same path there
	 * when it exists */
	if (!(pn->isolate & OT_ISO_MNT) || !getcwd(cwd, sizeof(cwd)))
		cwd[0] = '\0';
	/* the extra namespaces in table order (vocab.h): uts, ipc, then mnt,
	 * last, since the others' paths live in the node's mount namespace */
	for (k = 0; k < OT_ISOLATE_NKINDS; k++) {
		const struct ot_isolate_kind *ik = &ot_isolate_kinds[k];

		if (!ik->extra || !(pn->isolate & ik->bit))
			continue;
		ot_ns_extra_path(p->state_dir, pn->name, ik->nsfile, path, sizeof(path));
		if ((r = join(path, ik->clone_flag, ik->name, err)) < 0)
			goto fail;
	}
	if (cwd[0] && chdir(cwd) < 0 && chdir("/") < 0) {
		r = ot_error_sys(err, -errno, "enter the container's root directory");
		goto fail;
	}
	if (!(pn->isolate & OT_ISO_MNT) && !(flags & OT_ENTER_NO_SYSFS) &&
	    (r = fresh_sysfs(err)) < 0)
		goto fail;
	if (pn->isolate & OT_ISO_PID) {
		if (unshare(CLONE_NEWPID) < 0) {
			r = ot_error_sys(err, -errno, "unshare the pid namespace");
			goto fail;
		}
		if (ret_flags)
			*ret_flags |= OT_ENTER_MUST_FORK;
	}
	return 0;
fail:
	return ot_error_prefix(err, r, "%s: enter '%s'", p->node, pn->container);
}

int ot_exec_enter_child(const struct ot_plan *p, int ns, struct ot_error *err)
{
	const struct ot_plan_ns *pn = &p->ns[ns];

	if (!(pn->isolate & OT_ISO_PID))
		return 0;
	/* a private copy of the container's view, so that the new /proc is
	 * this process tree's alone */
	if (unshare(CLONE_NEWNS) < 0)
		return ot_error_sys(err, -errno, "%s: enter '%s': unshare the mount namespace",
				    p->node, pn->container);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return ot_error_sys(err, -errno, "%s: enter '%s': make the mounts private", p->node,
				    pn->container);
	if (umount2("/proc", MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return ot_error_sys(err, -errno, "%s: enter '%s': unmount /proc", p->node,
				    pn->container);
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 &&
	    errno != ENOENT)
		return ot_error_sys(err, -errno, "%s: enter '%s': mount a fresh /proc", p->node,
				    pn->container);
	return 0;
}

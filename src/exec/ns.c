/*
 * ns.c - named namespaces, made the way iproute2 makes them (ip/ipnetns.c:
 * /run/netns is a shared mount point, each namespace one bind mount of its
 * nsfs file onto an empty file), so `ip netns exec`, `ip -n` and nsenter
 * work on them; plus the extra namespaces a container may isolate (uts, ipc,
 * mount), persisted by bind mounts under the plan's state dir.
 */
#include "exec/exec_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/rtnetlink.h>

#ifndef NS_GET_MNTNS_ID /* linux/nsfs.h, 6.8; older headers lack it */
#define NS_GET_MNTNS_ID _IOR(0xb7, 0x5, uint64_t)
#endif

int ot_ns_dir_prepare(struct ot_error *err)
{
	bool bound = false;

	if (mkdir(OT_NETNS_DIR, 0755) < 0 && errno != EEXIST)
		return ot_error_sys(err, -errno, "mkdir %s", OT_NETNS_DIR);
	/* Shared, so that namespaces made later show up in mount namespaces
	 * copied earlier (and the reverse); bind it onto itself first when it
	 * is not a mount point yet. */
	while (mount("", OT_NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) < 0) {
		if (errno != EINVAL || bound)
			return ot_error_sys(err, -errno, "make %s a shared mount", OT_NETNS_DIR);
		if (mount(OT_NETNS_DIR, OT_NETNS_DIR, "none", MS_BIND | MS_REC, NULL) < 0)
			return ot_error_sys(err, -errno, "bind mount %s", OT_NETNS_DIR);
		bound = true;
	}
	return 0;
}

static int lo_up(struct ot_nl *nl, struct ot_error *err)
{
	char buf[256] OT_NL_ALIGNED;
	struct ot_nl_set set = {.name = "lo", .up = true, .addr_gen_mode = -1};
	struct nlmsghdr *nlh = ot_nlmsg_setlink(buf, sizeof(buf), &set);

	if (!nlh)
		return ot_error_set(err, -EMSGSIZE, "netlink message too large");
	return ot_nl_request(nl, nlh, NULL, NULL, err);
}

/*
 * New devices in our namespaces get no IPv6 link-local address, no DAD, no
 * MLD, no router solicitations unless the plan asks for IPv6 on them (then
 * create sets addr_gen_mode eui64 on that device before it goes up). This is
 * the single biggest cost knob of creation (setup-cost-baselines.md: O(N^2)
 * multicast flooding on a bridge otherwise). Runs inside the namespace.
 */
static int quiet_ipv6(struct ot_error *err)
{
	int f = open("/proc/sys/net/ipv6/conf/default/addr_gen_mode", O_WRONLY | O_CLOEXEC);

	if (f < 0)
		return errno == ENOENT ? 0 : ot_error_sys(err, -errno, "open addr_gen_mode");
	if (write(f, "1", 1) != 1) {
		int e = -errno;

		close(f);
		return ot_error_sys(err, e, "set addr_gen_mode");
	}
	close(f);
	return 0;
}

int ot_ns_create_net(struct ot_xctx *x, const char *name, int *ret_fd, struct ot_nl *nl,
		     struct ot_error *err)
{
	char path[PATH_MAX];
	int f, r, fd = -1;

	snprintf(path, sizeof(path), "%s/%s", OT_NETNS_DIR, name);
	f = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (f < 0) {
		r = -errno;
		if (r == -EEXIST)
			return ot_error_set(err, r, "namespace '%s' exists already (not ours)",
					    name);
		return ot_error_sys(err, r, "create '%s'", path);
	}
	close(f);
	if (unshare(CLONE_NEWNET) < 0) {
		r = ot_error_sys(err, -errno, "unshare the network namespace");
		unlink(path);
		return r;
	}
	/* From here on the thread is in the new namespace: every path out
	 * goes back to the host. */
	if (mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL) < 0) {
		r = ot_error_sys(err, -errno, "bind mount '%s'", path);
		goto fail;
	}
	fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = ot_error_sys(err, -errno, "open the new namespace");
		goto fail_mounted;
	}
	if ((r = quiet_ipv6(err)) < 0)
		goto fail_mounted;
	r = ot_nl_open(nl, NETLINK_ROUTE, err);
	if (r == 0)
		r = lo_up(nl, err);
	if (r < 0) {
		ot_error_prefix(err, r, "bring lo up");
		goto fail_mounted;
	}
	if ((r = ot_x_leave(x, err)) < 0)
		goto fail_mounted;
	*ret_fd = fd;
	return 0;
fail_mounted:
	umount2(path, MNT_DETACH);
fail:
	ot_nl_close(nl);
	if (fd >= 0)
		close(fd);
	unlink(path);
	ot_x_leave(x, NULL);
	return r;
}

int ot_ns_remove(const char *path, struct ot_error *err)
{
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return ot_error_sys(err, -errno, "unmount '%s'", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return ot_error_sys(err, -errno, "remove '%s'", path);
	return 0;
}

/* The directory of a plan's extra namespace files: <state_dir>/ns. */
static void extra_dir(const char *state_dir, char *buf, size_t size)
{
	snprintf(buf, size, "%s/ns", state_dir);
}

void ot_ns_extra_path(const char *state_dir, const char *nsname, const char *kind, char *buf,
		      size_t size)
{
	snprintf(buf, size, "%s/ns/%s.%s", state_dir, nsname, kind);
}

/* Journal a record, run the hook; the caller makes the object and calls done(). */
static int jbegin(struct ot_xctx *x, enum ot_jkind kind, const char *a, unsigned *id,
		  struct ot_error *err)
{
	struct ot_jrec rec = {.kind = kind, .a = a};
	int r = ot_journal_begin(x->j, &rec, err);

	if (r < 0)
		return r;
	*id = rec.id;
	r = ot_x_step(x, 0, "%s %s", ot_jkind_name(kind), a);
	if (r < 0)
		return ot_error_sys(err, r, "%s '%s' (injected fault)", ot_jkind_name(kind), a);
	return 0;
}

static int jdone(struct ot_xctx *x, unsigned id, const char *a, struct ot_error *err)
{
	int r = ot_x_step(x, 1, "%s", a);

	if (r < 0)
		return ot_error_sys(err, r, "'%s' (injected fault)", a);
	ot_x_made(x);
	return ot_journal_done(x->j, id, err);
}

/* The state dir's ns/ directory: a private bind mount of itself, so that a
 * mount namespace file can be bound there (a mount namespace file may not be
 * bound where it would propagate into that namespace itself). */
static int extra_dir_prepare(struct ot_xctx *x, struct ot_error *err)
{
	char dir[PATH_MAX];
	unsigned id;
	int r;

	/* once per create (a bind mount onto itself keeps st_dev: stat cannot
	 * tell), under the lock: namespaces may be made by several threads */
	pthread_mutex_lock(&x->lock);
	if (x->extra_dir_ready) {
		pthread_mutex_unlock(&x->lock);
		return 0;
	}
	extra_dir(x->p->state_dir, dir, sizeof(dir));
	if ((r = jbegin(x, OT_J_DIR, dir, &id, err)) < 0)
		goto out;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		r = ot_error_sys(err, -errno, "mkdir '%s'", dir);
		goto out;
	}
	if ((r = jdone(x, id, dir, err)) < 0)
		goto out;
	if ((r = jbegin(x, OT_J_MOUNT, dir, &id, err)) < 0)
		goto out;
	if (mount(dir, dir, "none", MS_BIND, NULL) < 0 ||
	    mount("", dir, "none", MS_PRIVATE, NULL) < 0) {
		r = ot_error_sys(err, -errno, "make '%s' a private mount", dir);
		goto out;
	}
	x->extra_dir_ready = true;
	r = jdone(x, id, dir, err);
out:
	pthread_mutex_unlock(&x->lock);
	return r;
}

/*
 * The id the kernel orders mount namespaces by (mnt_namespace->seq, which
 * NS_GET_MNTNS_ID reports), or 0 when this kernel does not say (before
 * 6.8, where that order is a global counter and needs no care). Only
 * async-signal-safe calls.
 */
static uint64_t mntns_id(const char *nsfile)
{
	uint64_t id = 0;
	int f = open(nsfile, O_RDONLY | O_CLOEXEC);

	if (f < 0)
		return 0;
	if (ioctl(f, NS_GET_MNTNS_ID, &id) < 0)
		id = 0;
	close(f);
	return id;
}

/*
 * Make the child's new mount namespace one its parent may bind.
 *
 * Root cause of an intermittent "bind mount '.../ns/X.mnt': Invalid
 * argument" (about half the containers with `isolate mount` under
 * slurmstepd, never under otnode): the kernel refuses to bind a mount
 * namespace file unless the binder's own mount namespace is OLDER, by id,
 * than the one bound (fs/namespace.c mnt_ns_loop: EINVAL when
 * current->nsproxy->mnt_ns->seq >= target->seq; it prevents reference
 * loops). Kernels that hand out namespace ids from per-CPU batches (seen
 * on 6.18: ids 473752 on CPU 0 and 478008 on CPU 1 a moment apart) break
 * "made later means larger id": a namespace unshared now on one CPU can
 * get a smaller id than one made earlier on another. otnode usually runs
 * in the boot mount namespace (id 4 or so: always older); slurmd often
 * does not (the test cluster's nodes, a systemd unit with PrivateTmp or
 * ProtectSystem, a container), and then the build process, a child of
 * slurmstepd in slurmd's recent mount namespace, binds a namespace whose
 * id depends on which CPU this child ran on. Not a race between steps or
 * nodes, and not Slurm's job_container (the test cluster has none).
 *
 * So: after unshare, compare ids; when ours is not newer, unshare again
 * pinned to each CPU in turn (any CPU the cpuset allows: the inherited
 * affinity may be narrower, and this short-lived child runs nothing else).
 * The CPU that made the parent's namespace hands out only larger ids from
 * then on, so one CPU works unless a cpuset has taken it away; then fail
 * with status 8. Nothing has been done in the namespaces yet, so a later
 * copy is the same namespace. Only async-signal-safe calls.
 */
static int mntns_newer(uint64_t parent_id)
{
	cpu_set_t one;
	int cpu;

	if (!parent_id || mntns_id("/proc/self/ns/mnt") > parent_id)
		return 0;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		/* EINVAL: offline, absent or outside our cpuset */
		if (sched_setaffinity(0, sizeof(one), &one) < 0 || unshare(CLONE_NEWNS) < 0)
			continue;
		if (mntns_id("/proc/self/ns/mnt") > parent_id)
			return 0;
	}
	return -1;
}

/* What the child failed at, by its exit status (table indexed by status). */
static const char *const child_failed[] = {
    [1] = "join the network namespace or unshare the others",
    [2] = "set the hostname",
    [3] = "make the mounts slaves",
    [4] = "detach /sys",
    [5] = "mount a sysfs",
    [6] = "report",
    [7] = "wait",
    [8] = "make a mount namespace newer (by kernel id) than this process's",
};

/*
 * The child that owns the new namespaces for a moment: it joins the
 * container's network namespace, unshares the others (a mount namespace
 * newer than parent_mntns, see mntns_newer), sets the hostname, gives a new
 * mount namespace a fresh /sys, reports, and waits for the parent to bind
 * its namespace files. Only async-signal-safe calls (the caller may be
 * multi-threaded: slurmstepd).
 */
static void child(int netfd, int flags, const char *hostname, uint64_t parent_mntns, int ready,
		  int go, int other_go, int other_ready)
{
	char c = 0;

	/* keep only our ends: the parent's closing its end of go is our signal */
	close(other_go);
	close(other_ready);
	if (setns(netfd, CLONE_NEWNET) < 0 || unshare(flags) < 0)
		_exit(1);
	if ((flags & CLONE_NEWNS) && mntns_newer(parent_mntns) < 0)
		_exit(8);
	if (hostname && sethostname(hostname, strlen(hostname)) < 0)
		_exit(2);
	if (flags & CLONE_NEWNS) {
		if (mount("", "/", "none", MS_SLAVE | MS_REC, NULL) < 0)
			_exit(3);
		if (umount2("/sys", MNT_DETACH) < 0 && errno != EINVAL)
			_exit(4);
		if (mount("sysfs", "/sys", "sysfs", 0, NULL) < 0)
			_exit(5);
	}
	if (write(ready, &c, 1) != 1)
		_exit(6);
	if (read(go, &c, 1) < 0)
		_exit(7);
	_exit(0);
}

int ot_ns_create_extra(struct ot_xctx *x, int ns, struct ot_error *err)
{
	const struct ot_isolate_kind *kinds = ot_isolate_kinds; /* vocab.h */
	const struct ot_plan_ns *pn = &x->p->ns[ns];
	int ready[2] = {-1, -1}, go[2] = {-1, -1}, flags = 0, netfd, status, r = 0;
	uint64_t own_mntns = mntns_id("/proc/thread-self/ns/mnt");
	pid_t pid;
	size_t k;
	char c;

	for (k = 0; k < OT_ISOLATE_NKINDS; k++)
		if (kinds[k].extra && (pn->isolate & kinds[k].bit))
			flags |= kinds[k].clone_flag;
	if (!flags)
		return 0;
	if ((r = extra_dir_prepare(x, err)) < 0)
		return r;
	netfd = ot_x_nsfd(x, ns, err);
	if (netfd < 0)
		return netfd;
	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0) {
		r = ot_error_sys(err, -errno, "pipe");
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		r = ot_error_sys(err, -errno, "fork");
		goto out;
	}
	if (pid == 0)
		child(netfd, flags, (flags & CLONE_NEWUTS) ? pn->hostname : NULL, own_mntns,
		      ready[1], go[0], go[1], ready[0]);
	close(ready[1]);
	ready[1] = -1;
	close(go[0]);
	go[0] = -1;
	if (read(ready[0], &c, 1) != 1) {
		int st;

		waitpid(pid, &status, 0);
		st = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		r = ot_error_set(
		    err, -ECHILD,
		    "set up the namespaces of '%s': the helper could not %s (status %d)", pn->name,
		    st > 0 && st < (int)(sizeof(child_failed) / sizeof(child_failed[0]))
			? child_failed[st]
			: "finish",
		    st);
		goto out;
	}
	for (k = 0; k < OT_ISOLATE_NKINDS && r == 0; k++) {
		char path[PATH_MAX], src[64];
		unsigned id;
		int f;

		if (!(flags & kinds[k].clone_flag))
			continue;
		ot_ns_extra_path(x->p->state_dir, pn->name, kinds[k].nsfile, path, sizeof(path));
		if ((r = jbegin(x, OT_J_NSFILE, path, &id, err)) < 0)
			break;
		f = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
		if (f < 0) {
			r = ot_error_sys(err, -errno, "create '%s'", path);
			break;
		}
		close(f);
		snprintf(src, sizeof(src), "/proc/%d/ns/%s", (int)pid, kinds[k].nsfile);
		if (mount(src, path, "none", MS_BIND, NULL) < 0) {
			/* say what mnt_ns_loop compared (see mntns_newer) */
			if (errno == EINVAL && kinds[k].clone_flag == CLONE_NEWNS)
				r = ot_error_sys(err, -errno,
						 "bind mount '%s' (mount namespace ids: ours %llu, "
						 "the container's %llu)",
						 path, (unsigned long long)own_mntns,
						 (unsigned long long)mntns_id(src));
			else
				r = ot_error_sys(err, -errno, "bind mount '%s'", path);
			break;
		}
		r = jdone(x, id, path, err);
	}
	close(go[1]); /* the child exits */
	go[1] = -1;
	waitpid(pid, &status, 0);
out:
	if (ready[0] >= 0)
		close(ready[0]);
	if (ready[1] >= 0)
		close(ready[1]);
	if (go[0] >= 0)
		close(go[0]);
	if (go[1] >= 0)
		close(go[1]);
	return r;
}

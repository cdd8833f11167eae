/*
 * mount.c - storage: a container's OT_OP_MOUNT operations (plan.h), made
 * inside its own mount namespace, which create persisted under the state
 * dir (ns.c) and which alone holds them.
 *
 * Each operation runs in a child forked for it (setns into a mount
 * namespace is refused to a process whose file system information is
 * shared with other threads, and the executor may be slurmstepd): the
 * child joins the container's network and mount namespaces, makes every
 * mount there private (nothing propagates back to the node), and then
 *
 *   root   binds the directory onto itself, mounts a fresh /proc and /sys
 *          (of the container's network namespace) and binds the node's
 *          /dev into it where the tree has those directories, pivot_root()s
 *          into it and detaches the old root (pivot_root(2): the "." "."
 *          form), optionally remounting the new root read-only;
 *   bind   attaches a copy of the source's mount tree, cloned by the parent
 *          in the node's view (open_tree(2)) and made private (and
 *          read-only) there (mount_setattr(2)), onto the target
 *          (move_mount(2)): a source is always resolved on the node, never
 *          in a root the user supplied;
 *   tmpfs  mounts a tmpfs with its size and mode, nosuid and nodev.
 *
 * The child reports the step that failed and its errno through a pipe, so
 * the error names the container, the mount and what went wrong. Nothing
 * here touches the node's mount table: the parent's clone is detached
 * (closing its descriptor releases it), and the namespace goes with the
 * container (its nsfile is journalled by ns.c: a kill at any point is
 * undone by releasing it). So no mount needs a journal record of its own.
 *
 * ot_mount_check() tells what only the node knows before anything is made:
 * that a root directory and bind sources exist and that a tmpfs fits the
 * node's memory (create runs it for every mount op before the first
 * change; preflight reports it).
 */
#include "exec/exec_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

/* The new mount API and openat2, by number: glibc 2.36's wrappers clash
 * with <linux/mount.h>, and older C libraries have none. */
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#define X_OPEN_TREE_CLONE	  1
#define X_AT_RECURSIVE		  0x8000
#define X_MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#define X_MOUNT_ATTR_RDONLY	  0x00000001
#define X_RESOLVE_NO_SYMLINKS	  0x04

struct x_mount_attr {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

struct x_open_how {
	uint64_t flags, mode, resolve;
};

/* What the child was doing when it failed (reported with errno). */
enum step {
	S_JOIN_NET,
	S_JOIN_MNT,
	S_PRIVATE,
	S_ROOT_BIND,
	S_ROOT_PROC,
	S_ROOT_SYS,
	S_ROOT_DEV,
	S_ROOT_CHDIR,
	S_PIVOT,
	S_OLD_ROOT,
	S_ROOT_RO,
	S_BIND,
	S_TMPFS,
	S__COUNT
};

static const char *const step_names[S__COUNT] = {
    [S_JOIN_NET] = "join the container's network namespace",
    [S_JOIN_MNT] = "join the container's mount namespace",
    [S_PRIVATE] = "make the container's mounts private",
    [S_ROOT_BIND] = "bind the root directory onto itself",
    [S_ROOT_PROC] = "mount /proc in the root directory",
    [S_ROOT_SYS] = "mount /sys in the root directory",
    [S_ROOT_DEV] = "bind /dev into the root directory",
    [S_ROOT_CHDIR] = "enter the root directory",
    [S_PIVOT] = "pivot_root into the root directory",
    [S_OLD_ROOT] = "detach the node's root",
    [S_ROOT_RO] = "make the root read-only",
    [S_BIND] = "attach the bind mount (does the target exist in the container?)",
    [S_TMPFS] = "mount the tmpfs (does the target exist in the container?)",
};

struct report {
	int step; /* enum step, -1 = success */
	int err;  /* errno */
};

/* Everything the child needs, prepared before the fork (the child makes
 * only system calls: the parent may have threads). */
struct job {
	const struct ot_op_mount *m;
	int netfd, mntfd, tree;
	char proc[PATH_MAX], sys[PATH_MAX], dev[PATH_MAX];
	bool has_proc, has_sys, has_dev;
	char data[64]; /* tmpfs options */
	int out;       /* the report pipe */
};

static void __attribute__((noreturn)) child_fail(const struct job *j, enum step s)
{
	struct report r = {.step = (int)s, .err = errno};

	if (write(j->out, &r, sizeof(r)) < 0)
		_exit(2);
	_exit(1);
}

static void child_root(const struct job *j)
{
	const char *root = j->m->src;

	if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0)
		child_fail(j, S_ROOT_BIND);
	if (j->has_proc &&
	    mount("proc", j->proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		child_fail(j, S_ROOT_PROC);
	if (j->has_sys &&
	    mount("sysfs", j->sys, "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		child_fail(j, S_ROOT_SYS);
	if (j->has_dev && mount("/dev", j->dev, NULL, MS_BIND | MS_REC, NULL) < 0)
		child_fail(j, S_ROOT_DEV);
	if (chdir(root) < 0)
		child_fail(j, S_ROOT_CHDIR);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		child_fail(j, S_PIVOT);
	if (umount2(".", MNT_DETACH) < 0)
		child_fail(j, S_OLD_ROOT);
	if (chdir("/") < 0)
		child_fail(j, S_ROOT_CHDIR);
	if (j->m->ro && mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
		child_fail(j, S_ROOT_RO);
}

static void __attribute__((noreturn)) child(const struct job *j)
{
	struct report ok = {.step = -1};

	if (setns(j->netfd, CLONE_NEWNET) < 0)
		child_fail(j, S_JOIN_NET);
	if (setns(j->mntfd, CLONE_NEWNS) < 0)
		child_fail(j, S_JOIN_MNT);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		child_fail(j, S_PRIVATE);
	switch (j->m->kind) {
	case OT_MOUNT_ROOT:
		child_root(j);
		break;
	case OT_MOUNT_BIND:
		if (syscall(SYS_move_mount, j->tree, "", AT_FDCWD, j->m->dst,
			    X_MOVE_MOUNT_F_EMPTY_PATH) < 0)
			child_fail(j, S_BIND);
		break;
	case OT_MOUNT_TMPFS:
		if (mount("tmpfs", j->m->dst, "tmpfs", MS_NOSUID | MS_NODEV, j->data) < 0)
			child_fail(j, S_TMPFS);
		break;
	default:
		break;
	}
	if (write(j->out, &ok, sizeof(ok)) < 0)
		_exit(2);
	_exit(0);
}

void ot_mount_describe(const struct ot_op_mount *m, const char *ns, char *buf, size_t size)
{
	snprintf(buf, size, "mount %s %s%s%s in %s", ot_mount_kind_name(m->kind),
		 m->src ? m->src : "", m->src && m->dst ? " to " : "", m->dst ? m->dst : "", ns);
}

/* "n1: container 'box': root /srv/base" and the like, for messages. */
static const char *who(const struct ot_plan *p, const struct ot_op *op, char *buf, size_t size)
{
	const struct ot_op_mount *m = &op->mount;

	snprintf(buf, size, "%s: container '%s': %s%s%s%s%s", p->node,
		 p->ns[op->ns].container ? p->ns[op->ns].container : "?",
		 ot_mount_kind_name(m->kind), m->src ? " " : "", m->src ? m->src : "",
		 m->dst ? (m->src ? " to " : " ") : "", m->dst ? m->dst : "");
	return buf;
}

/* The bind source, opened in the node's view (without following a symbolic
 * link when the plan says so). Returns an O_PATH descriptor or -errno. */
static int open_source(const struct ot_op_mount *m)
{
	struct x_open_how how = {.flags = O_PATH | O_CLOEXEC};
	int fd;

	if (!m->nofollow) {
		fd = open(m->src, O_PATH | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	how.resolve = X_RESOLVE_NO_SYMLINKS;
	fd = (int)syscall(SYS_openat2, AT_FDCWD, m->src, &how, sizeof(how));
	return fd < 0 ? -errno : fd;
}

int ot_mount_check(const struct ot_plan *p, const struct ot_op *op, struct ot_error *err)
{
	const struct ot_op_mount *m = &op->mount;
	char w[PATH_MAX + 128];
	struct sysinfo si;
	struct stat st;
	int fd;

	switch (m->kind) {
	case OT_MOUNT_ROOT:
		if (stat(m->src, &st) < 0)
			return ot_error_sys(err, -errno, "%s: root directory",
					    who(p, op, w, sizeof(w)));
		if (!S_ISDIR(st.st_mode))
			return ot_error_set(err, -ENOTDIR, "%s: the root is not a directory",
					    who(p, op, w, sizeof(w)));
		return 0;
	case OT_MOUNT_BIND:
		fd = open_source(m);
		if (fd < 0)
			return ot_error_sys(err, fd, "%s: bind source%s", who(p, op, w, sizeof(w)),
					    fd == -ELOOP ? " (a symbolic link on its path: the "
							   "administrator's bound needs the real "
							   "path)"
							 : "");
		close(fd);
		return 0;
	case OT_MOUNT_TMPFS:
		if (m->size && sysinfo(&si) == 0 &&
		    m->size > (uint64_t)si.totalram * (uint64_t)si.mem_unit)
			return ot_error_set(err, -ENOMEM,
					    "%s: size %llu is more than the node's memory (%llu "
					    "bytes)",
					    who(p, op, w, sizeof(w)), (unsigned long long)m->size,
					    (unsigned long long)si.totalram * si.mem_unit);
		return 0;
	default:
		return ot_error_set(err, -EINVAL, "%s: unknown mount kind", p->node);
	}
}

/* Does root/sub exist as a directory (for /proc, /sys, /dev in a root)? */
static bool dir_in(const char *root, const char *sub, char *buf, size_t size)
{
	struct stat st;

	if ((size_t)snprintf(buf, size, "%s%s", root, sub) >= size)
		return false;
	return stat(buf, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The bind source's tree, cloned (detached: not in any mount table), made
 * private, and read-only when asked. A descriptor or -errno. */
static int clone_source(const struct ot_op_mount *m)
{
	struct x_mount_attr attr = {.propagation = MS_PRIVATE};
	int src = open_source(m), tree, r;

	if (src < 0)
		return src;
	tree = (int)syscall(SYS_open_tree, src, "",
			    X_OPEN_TREE_CLONE | O_CLOEXEC | AT_EMPTY_PATH | X_AT_RECURSIVE);
	r = tree < 0 ? -errno : 0;
	close(src);
	if (r < 0)
		return r;
	if (m->ro)
		attr.attr_set = X_MOUNT_ATTR_RDONLY;
	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | X_AT_RECURSIVE, &attr,
		    sizeof(attr)) < 0) {
		r = -errno;
		close(tree);
		return r;
	}
	return tree;
}

int ot_mount_make(struct ot_xctx *x, const struct ot_op *op, struct ot_error *err)
{
	const struct ot_plan *p = x->p;
	const struct ot_plan_ns *pn = &p->ns[op->ns];
	struct job j = {.m = &op->mount, .mntfd = -1, .tree = -1, .out = -1};
	struct report rep = {.step = -1};
	char path[PATH_MAX], w[PATH_MAX + 128];
	int pipefd[2] = {-1, -1}, status, r;
	ssize_t n;
	pid_t pid;

	if ((r = ot_mount_check(p, op, err)) < 0)
		return r;
	j.netfd = ot_x_nsfd(x, op->ns, err);
	if (j.netfd < 0)
		return j.netfd;
	ot_ns_extra_path(p->state_dir, pn->name, "mnt", path, sizeof(path));
	j.mntfd = open(path, O_RDONLY | O_CLOEXEC);
	if (j.mntfd < 0)
		return ot_error_sys(err, -errno, "%s: open the mount namespace '%s'",
				    who(p, op, w, sizeof(w)), path);
	switch (j.m->kind) {
	case OT_MOUNT_ROOT:
		j.has_proc = dir_in(j.m->src, "/proc", j.proc, sizeof(j.proc));
		j.has_sys = dir_in(j.m->src, "/sys", j.sys, sizeof(j.sys));
		j.has_dev = dir_in(j.m->src, "/dev", j.dev, sizeof(j.dev));
		break;
	case OT_MOUNT_BIND:
		j.tree = clone_source(j.m);
		if (j.tree < 0) {
			r = ot_error_sys(err, j.tree, "%s: clone the bind source",
					 who(p, op, w, sizeof(w)));
			goto out;
		}
		break;
	case OT_MOUNT_TMPFS:
		if (j.m->size)
			snprintf(j.data, sizeof(j.data), "size=%llu,mode=%o",
				 (unsigned long long)j.m->size, j.m->mode);
		else
			snprintf(j.data, sizeof(j.data), "mode=%o", j.m->mode);
		break;
	default:
		break;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		r = ot_error_sys(err, -errno, "pipe");
		goto out;
	}
	j.out = pipefd[1];
	pid = fork();
	if (pid < 0) {
		r = ot_error_sys(err, -errno, "fork");
		goto out;
	}
	if (pid == 0) {
		close(pipefd[0]);
		child(&j);
	}
	close(pipefd[1]);
	pipefd[1] = -1;
	while ((n = read(pipefd[0], &rep, sizeof(rep))) < 0 && errno == EINTR)
		;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(rep))
		r = ot_error_set(err, -ECHILD, "%s: the mount helper died (status %d)",
				 who(p, op, w, sizeof(w)), status);
	else if (rep.step >= 0 && rep.step < S__COUNT)
		r = ot_error_sys(err, rep.err > 0 ? -rep.err : -EIO, "%s: %s",
				 who(p, op, w, sizeof(w)), step_names[rep.step]);
	else
		r = 0;
out:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (j.tree >= 0)
		close(j.tree);
	if (j.mntfd >= 0)
		close(j.mntfd);
	return r;
}

/* ---- status: is each mount still what the plan says? ---- */

#define TMPFS_MAGIC_ 0x01021994

enum seen { SEEN_OK, SEEN_MISSING, SEEN_RO, SEEN_SIZE, SEEN_FAIL };

/* In the child, in the container's mount namespace: the mount at path is
 * the object (dev, ino) (0 = do not compare), with the planned flags. */
static enum seen look(const struct ot_op_mount *m, const char *path, const struct stat *want)
{
	struct statvfs vs;
	struct statfs fs;
	struct stat st;

	if (stat(path, &st) < 0 || statvfs(path, &vs) < 0 || statfs(path, &fs) < 0)
		return SEEN_MISSING;
	if (want && (st.st_dev != want->st_dev || st.st_ino != want->st_ino))
		return SEEN_MISSING;
	if (m->kind == OT_MOUNT_TMPFS) {
		if ((unsigned long)fs.f_type != TMPFS_MAGIC_)
			return SEEN_MISSING;
		if (m->size && (uint64_t)fs.f_blocks * (uint64_t)fs.f_bsize !=
				   (m->size + (uint64_t)fs.f_bsize - 1) / fs.f_bsize * fs.f_bsize)
			return SEEN_SIZE;
		return SEEN_OK;
	}
	return !!(vs.f_flag & ST_RDONLY) == m->ro ? SEEN_OK : SEEN_RO;
}

int ot_mount_status(struct ot_xctx *x, const struct ot_op *op, char *detail, size_t size)
{
	const struct ot_op_mount *m = &op->mount;
	const struct ot_plan *p = x->p;
	char path[PATH_MAX];
	struct stat want;
	int fd, pipefd[2], status, res = SEEN_FAIL;
	pid_t pid;

	if (m->src && stat(m->src, &want) < 0) {
		snprintf(detail, size, "%s: %s", m->src, strerror(errno));
		return -ENOENT;
	}
	ot_ns_extra_path(p->state_dir, p->ns[op->ns].name, "mnt", path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(detail, size, "the mount namespace is gone");
		return -ENOENT;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		close(fd);
		snprintf(detail, size, "pipe: %s", strerror(errno));
		return 1;
	}
	pid = fork();
	if (pid == 0) {
		int r = SEEN_FAIL;

		close(pipefd[0]);
		if (setns(fd, CLONE_NEWNS) == 0)
			r = (int)look(m, m->kind == OT_MOUNT_ROOT ? "/" : m->dst,
				      m->src ? &want : NULL);
		if (write(pipefd[1], &r, sizeof(r)) < 0)
			_exit(2);
		_exit(0);
	}
	close(pipefd[1]);
	close(fd);
	if (pid > 0) {
		if (read(pipefd[0], &res, sizeof(res)) != (ssize_t)sizeof(res))
			res = SEEN_FAIL;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	close(pipefd[0]);
	switch (res) {
	case SEEN_OK:
		return 0;
	case SEEN_MISSING:
		snprintf(detail, size, "not mounted in the container");
		return -ENOENT;
	case SEEN_RO:
		snprintf(detail, size, "is %s, planned %s", m->ro ? "read-write" : "read-only",
			 m->ro ? "read-only" : "read-write");
		return 1;
	case SEEN_SIZE:
		snprintf(detail, size, "a tmpfs of another size than %llu bytes",
			 (unsigned long long)m->size);
		return 1;
	default:
		snprintf(detail, size, "could not enter the mount namespace");
		return 1;
	}
}

/*
 * undo.c - remove what a journal says was made: the body of ot_exec_destroy
 * and of the rollback of a failed create.
 *
 * Order (the journal's version of ot_plan_teardown()): end the processes
 * still inside our namespaces or cgroups; host nftables tables (NAT and
 * filtering stop before their interfaces vanish); container namespaces and
 * their extra namespace files; switch namespaces; host links; host sysctls
 * restored to the journalled value; cgroups, the controllers enabled for them
 * in cgroup.subtree_control, private mounts, directories.
 * Within a rank, latest first.
 *
 * Namespaces go by removing their name (umount + unlink): the kernel then
 * tears the namespace and every device in it down, asynchronously and in
 * batches - never one RTM_DELLINK per container veth, which costs an RCU
 * grace period each (docs/performance.md). VXLAN
 * devices are the exception by default: deleted explicitly before their
 * namespace, so that their VNI (registered in the namespace that holds the
 * device's socket, not the device's) is free when destroy returns and an
 * immediate re-create works. With opts->async_devices they go with their
 * namespace like the rest: 20-40 ms less per device, the VNI free a little
 * later.
 *
 * Policy for processes still inside a container at destroy: each gets
 * SIGTERM, and SIGKILL 2 s later (TERM_GRACE_MS); the count
 * is reported in res->killed. Processes are addressed through pidfds, so a
 * recycled pid is never signalled.
 */
#include "exec/exec_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>

#include "exec/nft.h"
#include "util/vec.h"
#include "util/clock.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

/* ---- processes ---- */

#define TERM_GRACE_MS 2000 /* from SIGTERM to SIGKILL */

struct procs {
	ino_t *ino; /* nsfs inodes of our network namespaces */
	size_t nino;
	pid_t *pids; /* members found */
	size_t npids, cap;
};

static bool ino_ours(const struct procs *ps, ino_t ino)
{
	size_t i;

	for (i = 0; i < ps->nino; i++)
		if (ps->ino[i] == ino)
			return true;
	return false;
}

static bool pid_in_netns(const struct procs *ps, pid_t pid)
{
	char path[64], link[64];
	unsigned long long ino;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = '\0';
	return sscanf(link, "net:[%llu]", &ino) == 1 && ino_ours(ps, (ino_t)ino);
}

static void add_pid(struct procs *ps, pid_t pid)
{
	size_t i;

	if (pid == getpid())
		return;
	for (i = 0; i < ps->npids; i++)
		if (ps->pids[i] == pid)
			return;
	if (OT_VEC_RESERVE(ps->pids, ps->cap, ps->npids + 1) < 0)
		return;
	ps->pids[ps->npids++] = pid;
}

/* Members: every process whose network namespace is one of ours. */
static void scan_proc(struct procs *ps)
{
	DIR *d;
	struct dirent *e;

	if (!ps->nino)
		return;
	d = opendir("/proc");
	if (!d)
		return;
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		if (pid_in_netns(ps, (pid_t)pid))
			add_pid(ps, (pid_t)pid);
	}
	closedir(d);
}

static int pidfd_open_(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	errno = ENOSYS;
	return -1;
#endif
}

static int pidfd_kill(int pidfd, pid_t pid, int sig)
{
#ifdef SYS_pidfd_send_signal
	if (pidfd >= 0)
		return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
#endif
	return kill(pid, sig);
}

/* SIGTERM every member, SIGKILL what remains after grace_ms. Returns the
 * number of processes signalled. */
static unsigned end_processes(struct procs *ps, unsigned grace_ms)
{
	int *fds;
	size_t i, left;
	unsigned n = 0;
	long long deadline;

	if (!ps->npids)
		return 0;
	fds = malloc(ps->npids * sizeof(*fds));
	if (!fds)
		return 0;
	for (i = 0; i < ps->npids; i++) {
		fds[i] = pidfd_open_(ps->pids[i]);
		/* re-check after pinning the process: the pid may have been reused */
		if (fds[i] >= 0 && !pid_in_netns(ps, ps->pids[i]) && ps->nino) {
			close(fds[i]);
			fds[i] = -2;
			continue;
		}
		if (fds[i] == -1 && errno == ESRCH) {
			fds[i] = -2;
			continue;
		}
		if (pidfd_kill(fds[i], ps->pids[i], SIGTERM) == 0)
			n++;
	}
	for (int sig = SIGTERM; sig != 0; sig = sig == SIGTERM ? SIGKILL : 0) {
		deadline = ot_mono_ms() + (sig == SIGTERM ? grace_ms : 2000);
		for (;;) {
			for (i = 0, left = 0; i < ps->npids; i++) {
				if (fds[i] == -2)
					continue;
				if (fds[i] >= 0) {
					struct pollfd pfd = {.fd = fds[i], .events = POLLIN};

					if (poll(&pfd, 1, 0) == 1) { /* exited */
						close(fds[i]);
						fds[i] = -2;
						continue;
					}
				} else if (kill(ps->pids[i], 0) < 0) {
					fds[i] = -2;
					continue;
				}
				left++;
			}
			if (!left || ot_mono_ms() >= deadline)
				break;
			usleep(10000);
		}
		if (!left)
			break;
		if (sig == SIGTERM)
			for (i = 0; i < ps->npids; i++)
				if (fds[i] != -2)
					pidfd_kill(fds[i], ps->pids[i], SIGKILL);
	}
	for (i = 0; i < ps->npids; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	return n;
}

/* ---- ranks ---- */

#define NRANKS 9

/*
 * Teardown rank of a record, lowest first: a table by kind; a namespace
 * ranks by role (containers before the switch), a link by place (inside our
 * namespaces - a VXLAN device - before they go; in the host after them).
 */
static const struct {
	int rank, rank_alt; /* rank_alt: switch namespace / host link */
} ranks[OT_J__COUNT] = {
    [OT_J_NFT] = {0, 0},     [OT_J_NSFILE] = {1, 1}, [OT_J_NETNS] = {1, 2},
    [OT_J_LINK] = {0, 3},    [OT_J_SYSCTL] = {4, 4}, [OT_J_CGROUP] = {5, 5},
    [OT_J_SUBTREE] = {6, 6}, [OT_J_MOUNT] = {7, 7},  [OT_J_DIR] = {8, 8},
};

static int rank_of(const struct ot_jrec *r)
{
	bool alt = false;

	if ((unsigned)r->kind >= OT_J__COUNT)
		return NRANKS;
	if (r->kind == OT_J_NETNS)
		alt = !(r->b && strcmp(r->b, "container") == 0);
	else if (r->kind == OT_J_LINK)
		alt = !(r->a && *r->a);
	return alt ? ranks[r->kind].rank_alt : ranks[r->kind].rank;
}

/* ---- per-kind removal (a table) ---- */

static int un_netns(struct ot_xctx *x, const struct ot_jrec *r, struct ot_error *err)
{
	char path[PATH_MAX];

	if (!ot_nsname_valid(r->a))
		return ot_error_set(err, -EINVAL, "journal: bad namespace name");
	snprintf(path, sizeof(path), "%s/%s", OT_NETNS_DIR, r->a);
	return ot_ns_remove(path, err);
}

static int un_nsfile(struct ot_xctx *x, const struct ot_jrec *r, struct ot_error *err)
{
	return ot_ns_remove(r->a, err);
}

static int un_mount(struct ot_xctx *x, const struct ot_jrec *r, struct ot_error *err)
{
	if (umount2(r->a, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return ot_error_sys(err, -errno, "unmount '%s'", r->a);
	return 0;
}

static int un_dir(struct ot_xctx *x, const struct ot_jrec *r, struct ot_error *err)
{
	if (rmdir(r->a) < 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST)
		return ot_error_sys(err, -errno, "remove '%s'", r->a);
	return 0;
}

static int un_cgroup(struct ot_xctx *x, const struct ot_jrec *r, struct ot_error *err)
{
	int tries;

	/* A cgroup stays busy for a moment after its last process exited. */
	for (tries = 0; tries < 100; tries++) {
		if (rmdir(r->a) == 0 || errno == ENOENT) {
			ot_cg_unmark(x->state_dir, r->a, NULL);
			return 0;
		}
		/* a shared parent that another instance still uses (cgroupfs
		 * says EBUSY for children too): not done by us, and its mark
		 * stays for the instance that uses it */
		if (errno == ENOTEMPTY || (errno == EBUSY && ot_cg_has_child(r->a)))
			return 0;
		if (errno != EBUSY)
			break;
		usleep(10000);
	}
	return ot_error_sys(err, -errno, "remove cgroup '%s'", r->a);
}

struct link_alias {
	char alias[256];
	uint32_t ifindex;
	bool found;
};

static int on_alias(const struct nlmsghdr *nlh, void *data)
{
	struct link_alias *la = data;
	struct ot_nl_link l;

	if (ot_nl_parse_link(nlh, &l) == 0) {
		snprintf(la->alias, sizeof(la->alias), "%s", l.alias);
		la->ifindex = l.ifindex;
		la->found = true;
	}
	return MNL_CB_OK;
}

static int un_subtree(struct ot_xctx *x, const struct ot_jrec *r, struct ot_error *err)
{
	return ot_cg_subtree_restore(x->state_dir, r->a, r->b, err);
}

/* A device inside one of our namespaces (a VXLAN device): deleted through a
 * socket opened in that namespace; gone already is fine. */
static int un_link_in(struct ot_xctx *x, const struct ot_jrec *r, struct ot_error *err)
{
	char path[PATH_MAX];
	struct ot_nl nl;
	int fd, e;

	if (!ot_nsname_valid(r->a))
		return ot_error_set(err, -EINVAL, "journal: bad namespace name");
	snprintf(path, sizeof(path), "%s/%s", OT_NETNS_DIR, r->a);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : ot_error_sys(err, -errno, "open '%s'", path);
	if (setns(fd, CLONE_NEWNET) < 0) {
		e = ot_error_sys(err, -errno, "enter '%s'", path);
		close(fd);
		return e == -EINVAL ? 0 : e; /* not a namespace (any more) */
	}
	close(fd);
	e = ot_nl_open(&nl, NETLINK_ROUTE, err);
	if (ot_x_leave(x, err) < 0) {
		ot_nl_close(&nl);
		return err ? err->code : -EIO;
	}
	if (e < 0)
		return e;
	e = ot_nl_request(&nl, ot_nlmsg_dellink(x->msg, sizeof(x->msg), r->b), NULL, NULL, err);
	ot_nl_close(&nl);
	if (e == -ENODEV)
		return 0;
	return e < 0 ? ot_error_prefix(err, e, "delete '%s' in %s", r->b, r->a) : 0;
}

static int un_link(struct ot_xctx *x, const struct ot_jrec *r, struct ot_error *err)
{
	struct ot_nl *nl;
	struct link_alias la = {0};
	int e;

	if (r->a && *r->a)
		return un_link_in(x, r, err);
	nl = ot_x_nl(x, OT_NS_HOST_INDEX, NETLINK_ROUTE, err);
	if (!nl)
		return err ? err->code : -EIO;
	e = ot_nl_request(nl, ot_nlmsg_getlink(x->msg, sizeof(x->msg), r->b), on_alias, &la, err);
	if (e == -ENODEV || (e == 0 && !la.found))
		return 0; /* gone already (a veth goes with its other end) */
	if (e < 0)
		return ot_error_prefix(err, e, "look up host link '%s'", r->b);
	if (strcmp(la.alias, r->c ? r->c : "") != 0 &&
	    !(r->d && strtoul(r->d, NULL, 10) == la.ifindex && la.ifindex >= 0x10000000u))
		return 0; /* neither our alias nor our index: not ours, leave it */
	e = ot_nl_request(nl, ot_nlmsg_dellink(x->msg, sizeof(x->msg), r->b), NULL, NULL, err);
	if (e == -ENODEV)
		return 0;
	if (e < 0)
		return ot_error_prefix(err, e, "delete host link '%s'", r->b);
	return 0;
}

static int un_sysctl(struct ot_xctx *x, const struct ot_jrec *r, struct ot_error *err)
{
	if (r->a && *r->a)
		return 0; /* inside one of our namespaces */
	return ot_x_sysctl_write_fd(x, x->host_fd, r->b, r->c ? r->c : "", err);
}

static int un_nft(struct ot_xctx *x, const struct ot_jrec *r, struct ot_error *err)
{
	struct ot_nft_table_info info;
	struct ot_nft_batch b;
	struct ot_nl *nl;
	int e;

	if (r->a && *r->a)
		return 0;
	nl = ot_x_nl(x, OT_NS_HOST_INDEX, NETLINK_NETFILTER, err);
	if (!nl)
		return err ? err->code : -EIO;
	e = ot_nft_table_get(nl, r->b, false, &info, err);
	if (e == -ENOENT)
		return 0;
	if (e < 0)
		return ot_error_prefix(err, e, "look up nft table '%s'", r->b);
	if (strcmp(info.tag, r->c ? r->c : "") != 0)
		return 0; /* not ours: leave it */
	ot_nft_batch_init(&b, 1);
	e = ot_nft_batch_begin(&b);
	if (e == 0)
		e = ot_nft_del_table(&b, r->b);
	if (e == 0)
		e = ot_nft_batch_end(&b);
	if (e == 0)
		e = ot_nl_send_nfbatch(nl, b.buf, b.len, err);
	else
		ot_error_set(err, e, "out of memory");
	ot_nft_batch_free(&b);
	if (e == -ENOENT)
		return 0;
	return e < 0 ? ot_error_prefix(err, e, "delete nft table '%s'", r->b) : 0;
}

static int (*const undoers[OT_J__COUNT])(struct ot_xctx *, const struct ot_jrec *,
					 struct ot_error *) = {
    [OT_J_NETNS] = un_netns,   [OT_J_NSFILE] = un_nsfile, [OT_J_MOUNT] = un_mount,
    [OT_J_LINK] = un_link,     [OT_J_SYSCTL] = un_sysctl, [OT_J_NFT] = un_nft,
    [OT_J_CGROUP] = un_cgroup, [OT_J_DIR] = un_dir,	  [OT_J_SUBTREE] = un_subtree,
};

static void collect_members(const struct ot_journal_image *im, struct procs *ps)
{
	size_t i;

	ps->ino = calloc(im->nrecs ? im->nrecs : 1, sizeof(*ps->ino));
	if (!ps->ino)
		return;
	for (i = 0; i < im->nrecs; i++) {
		const struct ot_jrec *r = &im->recs[i];
		char path[PATH_MAX];
		struct statfs sfs;
		struct stat st;

		if (r->state == OT_J_FAILED || r->state == OT_J_UNDONE)
			continue;
		if (r->kind == OT_J_NETNS && ot_nsname_valid(r->a)) {
			snprintf(path, sizeof(path), "%s/%s", OT_NETNS_DIR, r->a);
			/* only a mounted nsfs file names a namespace */
			if (statfs(path, &sfs) == 0 && sfs.f_type == NSFS_MAGIC &&
			    stat(path, &st) == 0)
				ps->ino[ps->nino++] = st.st_ino;
		}
	}
	scan_proc(ps);
	for (i = 0; i < im->nrecs; i++)
		if (im->recs[i].kind == OT_J_CGROUP && im->recs[i].state != OT_J_FAILED &&
		    im->recs[i].state != OT_J_UNDONE)
			ot_cg_pids(im->recs[i].a, &ps->pids, &ps->npids, &ps->cap);
}

/* Record 1 of a journal whose create made the state root (journal.h). */
static bool is_state_root(const struct ot_jrec *r, const char *state_dir)
{
	size_t n;

	if (r->kind != OT_J_DIR || r->id != 1 || !r->a || !state_dir)
		return false;
	n = strlen(r->a);
	return n > 0 && strncmp(r->a, state_dir, n) == 0 && state_dir[n] == '/' &&
	       !strchr(state_dir + n + 1, '/');
}

int ot_undo(struct ot_xctx *x, const struct ot_journal_image *im, const char *state_dir,
	    struct ot_exec_result *res, struct ot_error *err)
{
	struct procs ps = {0};
	int first = 0, rank;
	unsigned killed, removed = 0;
	size_t i;

	x->state_dir = state_dir;
	collect_members(im, &ps);
	killed = end_processes(&ps, TERM_GRACE_MS);
	free(ps.ino);
	free(ps.pids);
	if (killed)
		ot_x_progress(x, "%s: ended %u process%s still inside", im->node, killed,
			      killed == 1 ? "" : "es");

	for (rank = 0; rank < NRANKS; rank++)
		for (i = im->nrecs; i-- > 0;) {
			const struct ot_jrec *r = &im->recs[i];
			struct ot_error e = {0};
			int ret;

			if (r->state == OT_J_FAILED || r->state == OT_J_UNDONE ||
			    rank_of(r) != rank || !undoers[r->kind])
				continue;
			if (is_state_root(r, state_dir))
				continue; /* after the journal: ot_journal_remove */
			if (x->o.async_devices && r->kind == OT_J_LINK && r->a && *r->a) {
				removed++; /* goes with its namespace, removed below */
				continue;
			}
			ret = undoers[r->kind](x, r, &e);
			if (ret < 0 && !first) {
				first = ret;
				ot_error_set(err, ret, "%s", e.msg);
			}
			if (ret == 0)
				removed++;
		}
	if (res) {
		res->killed = killed;
		res->objects = removed;
		res->steps = removed;
	}
	return first;
}

int ot_exec_destroy(const char *state_dir, const struct ot_exec_opts *opts,
		    struct ot_exec_result *res, struct ot_error *err)
{
	struct ot_journal_image *im = NULL;
	struct ot_xctx x;
	int r;

	if (res)
		memset(res, 0, sizeof(*res));
	if (!state_dir || state_dir[0] != '/')
		return ot_error_set(err, -EINVAL, "destroy: state dir must be an absolute path");
	if ((r = ot_journal_read(state_dir, true, &im, err)) < 0) {
		/* no journal: nothing was made, but a killed create or destroy
		 * may have left its directories (journal.h) */
		if (r == -ENOENT) {
			struct ot_error e2 = {0};

			if (ot_journal_sweep(state_dir, &e2) < 0)
				return ot_error_set(err, e2.code, "%s", e2.msg);
		}
		return r;
	}
	if ((r = ot_x_init(&x, NULL, opts, err)) < 0) {
		ot_journal_image_free(im);
		return r;
	}
	r = ot_undo(&x, im, state_dir, res, err);
	if (r < 0)
		ot_error_prefix(err, r, "%s: destroy", im->node);
	else
		r = ot_journal_remove(state_dir, err);
	if (r == 0)
		ot_x_progress(&x, "%s: destroyed %u objects", im->node, res ? res->objects : 0);
	ot_journal_image_free(im);
	ot_x_free(&x);
	return r;
}

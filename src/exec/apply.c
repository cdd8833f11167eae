/*
 * apply.c - change a created plan into another one in place (ot_exec_apply):
 * only what differs (plan_diff.h) is removed, made or updated; everything
 * else, and the traffic through it, is left alone.
 *
 * State beside the journal (journal.h): plan.json is the plan the node
 * runs (create stores it); an apply first stores its target as
 * plan.next.json, then removes what goes (the old plan's ops, latest first),
 * then makes what comes (the new plan's, in plan order, journalled exactly
 * as create journals them, so `destroy` removes them too), and last keeps
 * the old plan as plan.prev.json and renames plan.next.json to plan.json.
 *
 * Crash safety. While plan.next.json exists the node is somewhere between
 * plan.json and plan.next.json. Every later apply (or revert) first brings
 * it back to plan.json ("recovery"): each op of either side of their diff
 * is removed - a removal of what is not there is not an error - and the
 * old side's ops are made again; only then does the new apply start. A
 * failing apply does the same at once (rollback). `destroy` needs nothing
 * of this: whatever was made is in the journal.
 *
 * Removal: an op inside a namespace that goes with it is not touched (the
 * kernel removes it with the namespace); what the journal records
 * (namespaces, host links, VXLAN devices, host sysctls, host nft tables,
 * cgroups) is removed through the journal's own undo (undo.c), with its
 * ownership checks, for the records of that object only; the rest by
 * netlink: RTM_DELLINK, RTM_DELADDR, RTM_DELROUTE, RTM_DELNEIGH, a link set
 * down, an nft table deleted. Every removal passes the step hook like a
 * creation (kill points for tests).
 */
#include "exec/exec_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>

#include "exec/nft.h"
#include "exec/qdisc.h"
#include "plan/plan_diff.h"
#include "plan/plan_json.h"
#include "plan/plan_text.h"
#include "util/strbuf.h"

/* ---- the plans kept in the state dir ---- */

static void path_of(const char *state_dir, const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", state_dir, name);
}

int ot_x_plan_store(const char *state_dir, const char *name, const struct ot_plan *p,
		    const char *json, struct ot_error *err)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	char *own = NULL;
	size_t len, off = 0;
	int fd, r = 0;

	if (!json) {
		own = ot_plan_dump(p, 0);
		if (!own)
			return ot_error_set(err, -ENOMEM, "out of memory writing the plan");
		json = own;
	}
	len = strlen(json);
	path_of(state_dir, OT_PLAN_TEMP, tmp, sizeof(tmp));
	path_of(state_dir, name, path, sizeof(path));
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		r = ot_error_sys(err, -errno, "create '%s'", tmp);
		goto out;
	}
	while (off < len) {
		ssize_t n = write(fd, json + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = ot_error_sys(err, n < 0 ? -errno : -EIO, "write '%s'", tmp);
			break;
		}
		off += (size_t)n;
	}
	if (close(fd) < 0 && r == 0)
		r = ot_error_sys(err, -errno, "write '%s'", tmp);
	if (r == 0 && rename(tmp, path) < 0)
		r = ot_error_sys(err, -errno, "rename '%s' to '%s'", tmp, path);
	if (r < 0)
		unlink(tmp);
out:
	free(own);
	return r;
}

/* Read state_dir/name: 0 with *ret_text (malloc'ed), -ENOENT, or -errno. */
static int plan_text_read(const char *state_dir, const char *name, char **ret_text,
			  struct ot_error *err)
{
	char path[PATH_MAX], buf[65536];
	struct ot_strbuf sb = OT_STRBUF_INIT;
	ssize_t n;
	int fd;

	path_of(state_dir, name, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : ot_error_sys(err, -errno, "open '%s'", path);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			ot_sb_free(&sb);
			return ot_error_sys(err, -errno, "read '%s'", path);
		}
		ot_sb_appendn(&sb, buf, (size_t)n);
	}
	close(fd);
	if (sb.oom || !(*ret_text = ot_sb_steal(&sb))) {
		ot_sb_free(&sb);
		return ot_error_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

int ot_exec_running_plan_text(const char *state_dir, char **ret, struct ot_error *err)
{
	return plan_text_read(state_dir, OT_PLAN_RUNNING, ret, err);
}

static int plan_read(const char *state_dir, const char *name, struct ot_plan **ret, char **ret_text,
		     struct ot_error *err)
{
	char *text = NULL;
	int r = plan_text_read(state_dir, name, &text, err);

	if (r < 0)
		return r;
	r = ot_plan_load(text, strlen(text), ret, err);
	if (r < 0)
		ot_error_prefix(err, r, "%s/%s", state_dir, name);
	if (r == 0 && ret_text)
		*ret_text = text;
	else
		free(text);
	return r;
}

/* ---- the running plan remembered (exec.h: ot_apply_memo) ---- */

void ot_apply_memo_clear(struct ot_apply_memo *m)
{
	ot_plan_free(m->own);
	memset(m, 0, sizeof(*m));
}

bool ot_apply_memo_holds(const struct ot_apply_memo *m, const struct ot_plan *p)
{
	return p && m->plan == p && !m->own;
}

/* state_dir/plan.json's identity: 0, or -errno. */
static int running_id(const char *state_dir, struct ot_apply_memo *id)
{
	char path[PATH_MAX];
	struct stat st;

	path_of(state_dir, OT_PLAN_RUNNING, path, sizeof(path));
	if (stat(path, &st) < 0)
		return -errno;
	id->dev = (unsigned long long)st.st_dev;
	id->ino = (unsigned long long)st.st_ino;
	id->size = (unsigned long long)st.st_size;
	id->mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	return 0;
}

/* m remembers plan (own: then m frees it) as state_dir's running plan, as
 * the file is now: 0; on any doubt m is cleared instead (-1, own not
 * taken). */
static int memo_set(struct ot_apply_memo *m, const char *state_dir, const struct ot_plan *plan,
		    struct ot_plan *own)
{
	struct ot_apply_memo id = {0};

	if (m->own != own)
		ot_plan_free(m->own);
	memset(m, 0, sizeof(*m));
	if (strlen(state_dir) >= sizeof(m->state_dir) || running_id(state_dir, &id) < 0)
		return -1; /* own stays the caller's */
	*m = id;
	snprintf(m->state_dir, sizeof(m->state_dir), "%s", state_dir);
	m->plan = plan;
	m->own = own;
	return 0;
}

/* The remembered plan, when it is still state_dir's running plan. */
static const struct ot_plan *memo_get(const struct ot_apply_memo *m, const char *state_dir)
{
	struct ot_apply_memo id = {0};

	if (!m || !m->plan || strcmp(m->state_dir, state_dir) || running_id(state_dir, &id) < 0)
		return NULL;
	if (id.dev != m->dev || id.ino != m->ino || id.size != m->size ||
	    id.mtime_ns != m->mtime_ns)
		return NULL;
	return m->plan;
}

static void plan_unlink(const char *state_dir, const char *name)
{
	char path[PATH_MAX];

	path_of(state_dir, name, path, sizeof(path));
	unlink(path);
}

/* ---- removal ---- */

static bool streq(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Run the journal's undo for the records keep() selects, then mark them
 * undone (journal.h). */
static int undo_some(struct ot_xctx *x, const struct ot_journal_image *im, struct ot_journal *j,
		     const char *state_dir, bool (*keep)(const struct ot_jrec *r, const void *arg),
		     const void *arg, struct ot_error *err)
{
	struct ot_journal_image sub;
	size_t i;
	int r;

	memset(&sub, 0, sizeof(sub));
	sub.lock_fd = -1;
	sub.node = im->node;
	sub.prefix = im->prefix;
	sub.recs = calloc(im->nrecs + 1, sizeof(*sub.recs));
	if (!sub.recs)
		return ot_error_set(err, -ENOMEM, "out of memory");
	for (i = 0; i < im->nrecs; i++)
		if (im->recs[i].id != 1 && keep(&im->recs[i], arg))
			sub.recs[sub.nrecs++] = im->recs[i];
	r = sub.nrecs ? ot_undo(x, &sub, state_dir, NULL, err) : 0;
	for (i = 0; i < sub.nrecs && r == 0; i++)
		if (sub.recs[i].state != OT_J_FAILED && sub.recs[i].state != OT_J_UNDONE)
			r = ot_journal_undone(j, sub.recs[i].id, err);
	free(sub.recs);
	return r;
}

/* Does the journal say namespace `name` is ours (made, not undone)? */
static bool ns_ours(const struct ot_journal_image *im, const char *name)
{
	size_t i;

	for (i = im->nrecs; i-- > 0;)
		if (im->recs[i].kind == OT_J_NETNS && streq(im->recs[i].a, name))
			return im->recs[i].state == OT_J_DONE || im->recs[i].state == OT_J_BEGUN;
	return false;
}

struct jmatch {
	enum ot_jkind kind;
	const char *a, *b;   /* NULL = any */
	const char *prefix;  /* NSFILE: a starts with it */
	const char *cg_leaf; /* CGROUP: a ends with "/" cg_leaf */
};

static bool jmatch_one(const struct ot_jrec *r, const struct jmatch *m)
{
	if (r->kind != m->kind)
		return false;
	if (m->prefix) {
		size_t n = strlen(m->prefix);

		return r->a && strncmp(r->a, m->prefix, n) == 0 && !strchr(r->a + n, '.') &&
		       !strchr(r->a + n, '/');
	}
	if (m->cg_leaf) {
		size_t n = strlen(m->cg_leaf), l = r->a ? strlen(r->a) : 0;

		return l > n && r->a[l - n - 1] == '/' && strcmp(r->a + l - n, m->cg_leaf) == 0;
	}
	return (!m->a || streq(r->a, m->a)) && (!m->b || streq(r->b, m->b));
}

/* arg: an array of matches ending with kind OT_J__COUNT */
static bool keep_matching(const struct ot_jrec *r, const void *arg)
{
	const struct jmatch *m;

	for (m = arg; m->kind != OT_J__COUNT; m++)
		if (jmatch_one(r, m))
			return true;
	return false;
}

struct remover {
	struct ot_xctx *x;
	const struct ot_journal_image *im; /* read at the start of the pass */
	struct ot_journal *j;
	const char *state_dir;
	const bool *ns_goes; /* [nns]: the namespace is removed in this pass */
};

static int rm_journalled(struct remover *M, const struct jmatch *m, struct ot_error *err)
{
	return undo_some(M->x, M->im, M->j, M->state_dir, keep_matching, m, err);
}

/* Send a removal; "not there" (the codes given) is success. */
static int rm_talk(struct remover *M, int ns, struct nlmsghdr *nlh, int gone1, int gone2,
		   struct ot_error *err)
{
	struct ot_nl *nl;
	int r;

	if (!nlh)
		return ot_error_set(err, -EMSGSIZE, "netlink message too large");
	nl = ot_x_nl(M->x, ns, NETLINK_ROUTE, err);
	if (!nl)
		return err && err->code == -ENOENT ? 0 : (err ? err->code : -EIO);
	r = ot_nl_request(nl, nlh, NULL, NULL, err);
	if (r == gone1 || r == gone2 || r == -ENODEV)
		return 0;
	return r;
}

/*
 * A creating message turned into the matching deletion: RTM_NEWADDR,
 * RTM_NEWROUTE and RTM_NEWNEIGH carry the attributes the kernel matches a
 * deletion on, so the builders of create serve for both (one layout
 * written once).
 */
static struct nlmsghdr *to_delete(struct nlmsghdr *nlh, uint16_t type)
{
	if (!nlh)
		return NULL;
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags &= (uint16_t) ~(NLM_F_CREATE | NLM_F_EXCL | NLM_F_APPEND);
	return nlh;
}

/* ifindex of dev in ns, 0 when it (or the namespace) is gone. */
static int rm_ifindex(struct remover *M, int ns, const char *dev, uint32_t *ret,
		      struct ot_error *err)
{
	struct ot_error e = {0};
	int r = ot_x_ifindex(M->x, ns, dev, ret, &e);

	if (r == -ENODEV || r == -ENOENT) {
		*ret = 0;
		return 0;
	}
	if (r < 0)
		return ot_error_set(err, r, "%s", e.msg);
	return 0;
}

static int rm_netns(struct remover *M, const struct ot_op *op, struct ot_error *err)
{
	const char *name = M->x->p->ns[op->ns].name;
	char prefix[PATH_MAX];
	struct jmatch m[] = {
	    {.kind = OT_J_LINK, .a = name}, /* a VXLAN device inside: its VNI freed at once */
	    {.kind = OT_J_NSFILE, .prefix = prefix},
	    {.kind = OT_J_NETNS, .a = name},
	    {.kind = OT_J__COUNT},
	};

	snprintf(prefix, sizeof(prefix), "%s/ns/%s.", M->state_dir, name);
	/* our descriptor of it would keep it (and its devices) alive */
	if (M->x->ns[op->ns].fd >= 0) {
		close(M->x->ns[op->ns].fd);
		M->x->ns[op->ns].fd = -1;
	}
	ot_nl_close(&M->x->ns[op->ns].rt);
	ot_nl_close(&M->x->ns[op->ns].nf);
	return rm_journalled(M, m, err);
}

static int rm_link(struct remover *M, const struct ot_op *op, struct ot_error *err)
{
	const struct ot_op_link *l = &op->link;

	if (op->ns == OT_NS_HOST_INDEX ||
	    (l->kind == OT_LINK_VETH && l->peer_ns == OT_NS_HOST_INDEX && M->ns_goes[op->ns])) {
		const char *host = op->ns == OT_NS_HOST_INDEX ? l->name : l->peer_name;
		struct jmatch m[] = {{.kind = OT_J_LINK, .a = "", .b = host},
				     {.kind = OT_J__COUNT}};

		return rm_journalled(M, m, err);
	}
	if (l->kind == OT_LINK_VXLAN) {
		struct jmatch m[] = {
		    {.kind = OT_J_LINK, .a = M->x->p->ns[op->ns].name, .b = l->name},
		    {.kind = OT_J__COUNT}};

		return rm_journalled(M, m, err);
	}
	return rm_talk(M, op->ns, ot_nlmsg_dellink(M->x->msg, sizeof(M->x->msg), l->name), -ENODEV,
		       -ENOENT, err);
}

static int rm_up(struct remover *M, const struct ot_op *op, struct ot_error *err)
{
	struct ot_nl_set set = {.name = op->dev, .up = true, .addr_gen_mode = -1};
	struct nlmsghdr *nlh = ot_nlmsg_setlink(M->x->msg, sizeof(M->x->msg), &set);

	/* the "up" message with the flag cleared: IFF_UP in ifi_change, 0 in ifi_flags */
	if (nlh)
		((struct ifinfomsg *)mnl_nlmsg_get_payload(nlh))->ifi_flags = 0;
	return rm_talk(M, op->ns, nlh, -ENODEV, -ENOENT, err);
}

static int rm_addr(struct remover *M, const struct ot_op *op, struct ot_error *err)
{
	uint32_t idx;
	int r = rm_ifindex(M, op->ns, op->addr.dev, &idx, err);

	if (r < 0 || !idx)
		return r;
	return rm_talk(
	    M, op->ns,
	    to_delete(ot_nlmsg_newaddr(M->x->msg, sizeof(M->x->msg), idx, &op->addr.addr),
		      RTM_DELADDR),
	    -EADDRNOTAVAIL, -ENOENT, err);
}

static int rm_route(struct remover *M, const struct ot_op *op, struct ot_error *err)
{
	uint32_t idx = 0;
	int r = op->route.dev[0] ? rm_ifindex(M, op->ns, op->route.dev, &idx, err) : 0;

	if (r < 0 || (op->route.dev[0] && !idx))
		return r;
	return rm_talk(M, op->ns,
		       to_delete(ot_nlmsg_newroute(M->x->msg, sizeof(M->x->msg), &op->route.dst,
						   &op->route.via, idx, op->route.metric),
				 RTM_DELROUTE),
		       -ESRCH, -ENOENT, err);
}

static int rm_fdb(struct remover *M, const struct ot_op *op, struct ot_error *err)
{
	uint32_t idx;
	int r = rm_ifindex(M, op->ns, op->fdb.dev, &idx, err);

	if (r < 0 || !idx)
		return r;
	return rm_talk(M, op->ns,
		       to_delete(ot_nlmsg_newfdb(M->x->msg, sizeof(M->x->msg), idx, &op->fdb.mac,
						 &op->fdb.dst),
				 RTM_DELNEIGH),
		       -ENOENT, -ESRCH, err);
}

static int rm_sysctl(struct remover *M, const struct ot_op *op, struct ot_error *err)
{
	struct jmatch m[] = {{.kind = OT_J_SYSCTL, .a = "", .b = op->sysctl.key},
			     {.kind = OT_J__COUNT}};

	/* a namespace of ours: plan_diff rebuilds the namespace instead */
	return op->ns == OT_NS_HOST_INDEX ? rm_journalled(M, m, err) : 0;
}

static int rm_nft(struct remover *M, const struct ot_op *op, struct ot_error *err)
{
	struct ot_nft_batch b;
	struct ot_nl *nl;
	int r;

	if (op->ns == OT_NS_HOST_INDEX) {
		struct jmatch m[] = {{.kind = OT_J_NFT, .a = "", .b = op->nft.table},
				     {.kind = OT_J__COUNT}};

		return rm_journalled(M, m, err);
	}
	nl = ot_x_nl(M->x, op->ns, NETLINK_NETFILTER, err);
	if (!nl)
		return err ? err->code : -EIO;
	ot_nft_batch_init(&b, 1);
	r = ot_nft_batch_begin(&b);
	if (r == 0)
		r = ot_nft_del_table(&b, op->nft.table);
	if (r == 0)
		r = ot_nft_batch_end(&b);
	if (r == 0 && !b.oom)
		r = ot_nl_send_nfbatch(nl, b.buf, b.len, err);
	else if (r == 0)
		r = ot_error_set(err, -ENOMEM, "out of memory");
	ot_nft_batch_free(&b);
	return r == -ENOENT ? 0 : r;
}

static int rm_cgroup(struct remover *M, const struct ot_op *op, struct ot_error *err)
{
	struct jmatch m[] = {{.kind = OT_J_CGROUP, .cg_leaf = op->cgroup.path},
			     {.kind = OT_J__COUNT}};

	return rm_journalled(M, m, err);
}

/* Shaping: the device's root qdisc deleted (netem's tbf child goes with
 * it), the device back to its default; nothing to do when the device (or
 * the qdisc) is gone already. */
static int rm_qdisc(struct remover *M, const struct ot_op *op, struct ot_error *err)
{
	char buf[OT_NL_MSGSIZE] OT_NL_ALIGNED;
	struct nlmsghdr *nlh;
	struct ot_nl *nl;
	uint32_t idx;
	int r;

	if ((r = rm_ifindex(M, op->ns, op->qdisc.dev, &idx, err)) < 0 || !idx)
		return r;
	nl = ot_x_nl(M->x, op->ns, NETLINK_ROUTE, err);
	if (!nl)
		return err ? err->code : -EIO;
	nlh = ot_nlmsg_delqdisc_root(buf, sizeof(buf), idx);
	if (!nlh)
		return ot_error_set(err, -EMSGSIZE, "netlink message too large");
	r = ot_nl_request(nl, nlh, NULL, NULL, err);
	return r == -ENOENT || r == -EINVAL ? 0 : r;
}

/* A mount lives in its container's mount namespace and goes with it
 * (plan_diff.h: a change to a container's mounts rebuilds the container). */
static int rm_mount(struct remover *M, const struct ot_op *op, struct ot_error *err)
{
	return 0;
}

static int (*const removers[OT_OP__COUNT])(struct remover *, const struct ot_op *,
					   struct ot_error *) = {
    [OT_OP_MOUNT] = rm_mount,	[OT_OP_NETNS] = rm_netns,   [OT_OP_LINK] = rm_link,
    [OT_OP_LINK_UP] = rm_up,	[OT_OP_ADDR] = rm_addr,	    [OT_OP_ROUTE] = rm_route,
    [OT_OP_FDB] = rm_fdb,	[OT_OP_SYSCTL] = rm_sysctl, [OT_OP_NFT] = rm_nft,
    [OT_OP_CGROUP] = rm_cgroup, [OT_OP_QDISC] = rm_qdisc,
};

/* A step hook call; a fault it injects is an error like any other. */
static int step(struct ot_xctx *x, int phase, const char *what, struct ot_error *err)
{
	int r = ot_x_step(x, phase, "%s", what);

	return r < 0 ? ot_error_set(err, r, "%s (injected fault)", strerror(-r)) : 0;
}

/* The step counters run on from one context to the next: one numbering of
 * kill points over a whole apply. */
static void chain(struct ot_xctx *to, const struct ot_xctx *from)
{
	to->step = from->step;
	to->hooks = from->hooks;
	to->objects = from->objects;
}

/*
 * Remove the ops of p with rm[i], latest first, in a context of their own
 * (chained to and from *counter). An op inside a namespace that goes in the
 * same pass is left to the namespace.
 */
static int remove_ops(const struct ot_plan *p, const bool *rm, struct ot_journal *j,
		      const struct ot_exec_opts *opts, struct ot_xctx *counter, unsigned *removed,
		      struct ot_error *err)
{
	struct ot_journal_image *im = NULL;
	struct ot_xctx x;
	struct remover M;
	bool *goes, *ours;
	size_t i;
	int r;

	/* the journal as it is now (this run may have added to it); its
	 * lock is ours already */
	if ((r = ot_journal_read(p->state_dir, false, &im, err)) < 0)
		return r;
	if ((r = ot_x_init(&x, p, opts, err)) < 0) {
		ot_journal_image_free(im);
		return r;
	}
	chain(&x, counter);
	goes = calloc(p->nns + 1, 1);
	ours = calloc(p->nns + 1, 1);
	if (!goes || !ours) {
		r = ot_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < p->nops; i++)
		if (rm[i] && p->ops[i].kind == OT_OP_NETNS && p->ops[i].ns != OT_NS_HOST_INDEX)
			goes[p->ops[i].ns] = true;
	/* a namespace the journal does not hold (never made: its creation
	 * failed, maybe because somebody else's has that name) is not
	 * touched inside */
	ours[OT_NS_HOST_INDEX] = true;
	for (i = 1; i < p->nns; i++)
		ours[i] = ns_ours(im, p->ns[i].name);
	M = (struct remover){&x, im, j, p->state_dir, goes};
	for (i = p->nops; i-- > 0 && r == 0;) {
		const struct ot_op *op = &p->ops[i];
		struct ot_strbuf what = OT_STRBUF_INIT;

		if (!rm[i] || (unsigned)op->kind >= OT_OP__COUNT || !removers[op->kind])
			continue;
		if (!ours[op->ns] && op->kind != OT_OP_NETNS)
			continue;
		/* What lives in a namespace that goes, goes with it - except a
		 * veth whose other end is in a namespace that stays: that end
		 * would linger until the kernel's asynchronous teardown of the
		 * namespace has run, and a device of the same name made again
		 * at once (a container removed and added back) would fail. */
		if (op->kind != OT_OP_NETNS && op->ns != OT_NS_HOST_INDEX && goes[op->ns] &&
		    !(op->kind == OT_OP_LINK && op->link.kind == OT_LINK_VETH &&
		      (op->link.peer_ns == OT_NS_HOST_INDEX || !goes[op->link.peer_ns])))
			continue;
		ot_sb_printf(&what, "remove %s ", ot_op_kind_name(op->kind));
		ot_plan_op_text(p, op, &what);
		ot_sb_printf(&what, " in %s", ot_x_nsname(&x, op->ns));
		r = step(&x, 0, ot_sb_str(&what), err);
		if (r == 0)
			r = removers[op->kind](&M, op, err);
		if (r == 0)
			r = step(&x, 1, ot_sb_str(&what), err);
		if (r < 0)
			ot_error_prefix(err, r, "%s", ot_sb_str(&what));
		else
			(*removed)++;
		ot_sb_free(&what);
	}
out:
	chain(counter, &x);
	free(goes);
	free(ours);
	ot_x_free(&x); /* closes our descriptors: removed namespaces die now */
	ot_journal_image_free(im);
	return r;
}

/* Make the ops of p with add[i] / change those with upd[i]. */
static int add_ops(const struct ot_plan *p, const bool *add, const bool *upd, struct ot_journal *j,
		   const struct ot_exec_opts *opts, struct ot_xctx *counter, struct ot_error *err)
{
	struct ot_xctx x;
	int r;

	if ((r = ot_x_init(&x, p, opts, err)) < 0)
		return r;
	chain(&x, counter);
	x.j = j;
	r = ot_x_run_ops(&x, add, upd, err);
	x.j = NULL;
	chain(counter, &x);
	ot_x_free(&x);
	return r;
}

/* ---- the driver ---- */

struct apply {
	const char *state_dir;
	const struct ot_exec_opts *opts;
	struct ot_journal_image *im;
	struct ot_journal *j;
	struct ot_xctx counter; /* step numbering only */
	struct ot_exec_result *res;
};

/* from -> to, the diff's way. */
static int change(struct apply *A, const struct ot_plan *from, const struct ot_plan *to,
		  const struct ot_plan_diff *d, struct ot_error *err)
{
	unsigned removed = 0;
	int r = remove_ops(from, d->remove, A->j, A->opts, &A->counter, &removed, err);

	if (r == 0)
		r = add_ops(to, d->add, d->update, A->j, A->opts, &A->counter, err);
	if (A->res) {
		A->res->removed += removed;
		A->res->added += (unsigned)(d->count[OT_DIFF_ADD] + d->count[OT_DIFF_REPLACE]);
		A->res->updated += (unsigned)d->count[OT_DIFF_UPDATE];
	}
	return r;
}

/*
 * Bring a node that may be anywhere between `from` and `to` (an apply of
 * `to` interrupted or failed) back to `from`: remove every op of either side
 * of their diff, then make `from`'s side again and put its updated objects
 * back.
 */
static int recover(struct apply *A, const struct ot_plan *from, const struct ot_plan *to,
		   struct ot_error *err)
{
	struct ot_plan_diff *d = NULL;
	bool *upd_back = NULL;
	unsigned removed = 0;
	size_t i;
	int r;

	if ((r = ot_plan_diff(from, to, &d, err)) < 0)
		return r;
	upd_back = calloc(d->nfrom + 1, 1);
	if (!upd_back) {
		ot_plan_diff_free(d);
		return ot_error_set(err, -ENOMEM, "out of memory");
	}
	for (i = 0; i < d->nitems; i++)
		if (d->items[i].kind == OT_DIFF_UPDATE)
			upd_back[d->items[i].old_op] = true;
	r = remove_ops(to, d->add, A->j, A->opts, &A->counter, &removed, err);
	if (r == 0)
		r = remove_ops(from, d->remove, A->j, A->opts, &A->counter, &removed, err);
	if (r == 0)
		r = add_ops(from, d->remove, upd_back, A->j, A->opts, &A->counter, err);
	free(upd_back);
	ot_plan_diff_free(d);
	if (r == 0)
		plan_unlink(A->state_dir, OT_PLAN_NEXT);
	if (A->res)
		A->res->recovered = true;
	return r;
}

/* The last step of an apply: prev <- running, running <- next. */
static int commit(const char *state_dir, struct ot_error *err)
{
	char run[PATH_MAX], next[PATH_MAX], prev[PATH_MAX], tmp[PATH_MAX];

	path_of(state_dir, OT_PLAN_RUNNING, run, sizeof(run));
	path_of(state_dir, OT_PLAN_NEXT, next, sizeof(next));
	path_of(state_dir, OT_PLAN_PREV, prev, sizeof(prev));
	path_of(state_dir, OT_PLAN_TEMP, tmp, sizeof(tmp));
	unlink(tmp);
	if (link(run, tmp) < 0 || rename(tmp, prev) < 0)
		return ot_error_sys(err, -errno, "keep '%s' as '%s'", run, prev);
	if (rename(next, run) < 0)
		return ot_error_sys(err, -errno, "rename '%s' to '%s'", next, run);
	return 0;
}

/* from -> to with its journal open, rolled back on failure. */
static int apply_to(struct apply *A, const struct ot_plan *from, const struct ot_plan *to,
		    const char *to_json, bool keep_prev, struct ot_error *err)
{
	struct ot_plan_diff *d = NULL;
	int r;

	if ((r = ot_plan_diff(from, to, &d, err)) < 0)
		return r;
	if (ot_plan_diff_empty(d)) {
		ot_plan_diff_free(d);
		/* same objects; the plan's other data (probes, ranks) may differ */
		return ot_x_plan_store(A->state_dir, OT_PLAN_RUNNING, to, to_json, err);
	}
	r = ot_x_plan_store(A->state_dir, OT_PLAN_NEXT, to, to_json, err);
	if (r == 0)
		r = step(&A->counter, 0, "apply: begin", err);
	if (r == 0)
		r = change(A, from, to, d, err);
	if (r == 0)
		r = step(&A->counter, 1, "apply: commit", err);
	if (r == 0) {
		r = keep_prev ? commit(A->state_dir, err) : 0;
		if (!keep_prev) {
			char next[PATH_MAX], run[PATH_MAX];

			path_of(A->state_dir, OT_PLAN_NEXT, next, sizeof(next));
			path_of(A->state_dir, OT_PLAN_RUNNING, run, sizeof(run));
			if (rename(next, run) < 0)
				r = ot_error_sys(err, -errno, "rename '%s'", next);
		}
	}
	ot_plan_diff_free(d);
	if (r < 0) {
		struct ot_error e2 = {0};
		char first[OT_ERROR_MAX];

		if (recover(A, from, to, &e2) == 0) {
			if (A->res)
				A->res->rolled_back = true;
			return r;
		}
		memcpy(first, err->msg, sizeof(first));
		ot_error_set(err, r, "%.1000s; rollback failed: %.1000s", first, e2.msg);
	}
	return r;
}

int ot_exec_apply(const struct ot_plan *p, const struct ot_exec_opts *opts, unsigned flags,
		  struct ot_exec_result *res, struct ot_error *err)
{
	struct apply A = {.opts = opts, .res = res};
	struct ot_plan *run = NULL, *next = NULL, *prev = NULL;
	/* a revert compares the running plan's text: it always reads it */
	struct ot_apply_memo *memo = (flags & OT_APPLY_REVERT) ? NULL : opts->memo;
	const struct ot_plan *running;
	char *run_json = NULL, *p_json = NULL;
	int r;

	if (res)
		memset(res, 0, sizeof(*res));
	if ((r = ot_x_plan_runnable(p, err)) < 0)
		return r;
	A.state_dir = p->state_dir;
	r = ot_journal_read(p->state_dir, true, &A.im, err);
	if (r == -ENOENT) {
		/* nothing runs here: apply is create (revert: nothing to do;
		 * check: res->created says it would create) */
		if (res && !(flags & OT_APPLY_REVERT))
			res->created = true;
		if (flags & (OT_APPLY_CHECK | OT_APPLY_REVERT))
			return 0;
		r = ot_exec_create(p, opts, res, err);
		if (res) /* create's result starts from zero */
			res->created = true;
		if (r == 0 && memo)
			memo_set(memo, p->state_dir, p, NULL);
		return r;
	}
	if (r < 0)
		return ot_error_prefix(err, r, "%s", p->node);
	if (!streq(A.im->prefix, p->prefix)) {
		r = ot_error_set(err, -EINVAL, "%s: the state dir holds instance '%s', not '%s'",
				 p->node, A.im->prefix, p->prefix);
		goto out;
	}
	if (!A.im->complete) {
		r = ot_error_set(err, -EINVAL,
				 "%s: its create did not finish (killed?): destroy it first",
				 p->node);
		goto out;
	}
	running = memo_get(memo, p->state_dir);
	if (!running) {
		r = plan_read(p->state_dir, OT_PLAN_RUNNING, &run,
			      (flags & OT_APPLY_REVERT) ? &run_json : NULL, err);
		if (r == -ENOENT)
			r = ot_error_set(
			    err, -ENOENT,
			    "%s: no running plan recorded in %s (created by an older otnode?): "
			    "destroy and create instead",
			    p->node, p->state_dir);
		if (r < 0)
			goto out;
		running = run;
		if (memo && memo_set(memo, p->state_dir, run, run) == 0)
			run = NULL; /* the memo's now */
	}
	r = plan_read(p->state_dir, OT_PLAN_NEXT, &next, NULL, err);
	if (r < 0 && r != -ENOENT)
		goto out;
	if (flags & OT_APPLY_CHECK) {
		/* the diff must be computable: same instance and node */
		struct ot_plan_diff *d = NULL;

		r = ot_plan_diff(running, p, &d, err);
		if (r == 0 && res) {
			res->added = (unsigned)(d->count[OT_DIFF_ADD] + d->count[OT_DIFF_REPLACE]);
			res->removed =
			    (unsigned)(d->count[OT_DIFF_REMOVE] + d->count[OT_DIFF_REPLACE]);
			res->updated = (unsigned)d->count[OT_DIFF_UPDATE];
			res->recovered = next != NULL;
		}
		ot_plan_diff_free(d);
		goto out;
	}
	p_json = ot_plan_dump(p, 0);
	if (!p_json) {
		r = ot_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	if ((r = ot_x_init(&A.counter, NULL, opts, err)) < 0)
		goto out;
	if ((r = ot_journal_reopen(p->state_dir, A.im, &A.j, err)) < 0)
		goto out_x;
	if (next && (r = recover(&A, running, next, err)) < 0) {
		ot_error_prefix(err, r, "recover from an interrupted apply");
		goto out_j;
	}
	if (flags & OT_APPLY_REVERT) {
		/* only a node that runs (or was moving to) this plan goes back */
		if (strcmp(run_json, p_json) != 0)
			goto out_j;
		r = plan_read(p->state_dir, OT_PLAN_PREV, &prev, NULL, err);
		if (r == -ENOENT) {
			r = 0;
			goto out_j;
		}
		if (r == 0)
			r = apply_to(&A, running, prev, NULL, false, err);
		if (r == 0) {
			plan_unlink(p->state_dir, OT_PLAN_PREV);
			if (res)
				res->reverted = true;
		}
		goto out_j;
	}
	r = apply_to(&A, running, p, p_json, true, err);
	if (memo && r == 0)
		memo_set(memo, p->state_dir, p, NULL); /* plan.json is p now */
	else if (memo) /* rolled back, or worse: read the file again */
		ot_apply_memo_clear(memo);
out_j:
	ot_journal_close(A.j);
out_x:
	if (res) {
		res->steps = A.counter.step;
		res->objects = A.counter.objects;
	}
	if (r == 0)
		ot_x_progress(&A.counter, "%s: %s: %u added, %u removed, %u updated", p->node,
			      flags & OT_APPLY_REVERT ? "reverted" : "applied",
			      res ? res->added : 0, res ? res->removed : 0, res ? res->updated : 0);
	ot_x_free(&A.counter);
out:
	if (r < 0 && err->msg[0] && strncmp(err->msg, p->node, strlen(p->node)) != 0)
		ot_error_prefix(err, r, "%s: apply", p->node);
	ot_journal_image_free(A.im);
	ot_plan_free(run);
	ot_plan_free(next);
	ot_plan_free(prev);
	free(run_json);
	free(p_json);
	return r;
}

/*
 * create.c - run a node plan's operations in order (ot_exec_create).
 *
 * Each operation kind has one handler (a table, not a switch). What destroy
 * must undo explicitly is journalled before it is made: namespaces, host
 * links, host sysctls (with the old value), host nft tables, cgroups, extra
 * namespace files. What lives inside a namespace we create (addresses,
 * routes, FDB entries, links of containers and switches) vanishes with it
 * and is not journalled, but every change still passes the step hook, so a
 * fault can be injected anywhere.
 *
 * Performance (docs/performance.md): one process, one
 * netlink socket per namespace opened inside it once; a veth is requested
 * from the namespace of its first end and its other end is sent to its
 * namespace with IFLA_NET_NS_FD, under an ifindex of ours (xns_ifindex: 6.1
 * would check its name in the requesting namespace), already enslaved
 * (IFLA_MASTER) and up when the plan brings it up (the peer created in place
 * cannot start up: ENOTCONN on 6.x, so its own LINK_UP op stays); IPv6
 * address generation is switched off in the creating message where the
 * plan says so.
 */
#include "exec/exec_int.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>

#include "exec/nft.h"
#include "util/hash.h"

struct run {
	struct ot_xctx *x;
	bool *covered; /* LINK_UP ops already done by a link creation, NFT ops by a batch */
	char tag[OT_NFT_TAG_MAX + 1];
	uint32_t nxns; /* devices created in another namespace so far (xns_ifindex) */
	/* apply (ot_x_run_ops): only the ops with sel[i] are made, those with
	 * upd[i] changed in place; both NULL = every op (create) */
	const bool *sel, *upd;
};

static bool selected(const struct run *R, size_t i)
{
	return (!R->sel && !R->upd) || (R->sel && R->sel[i]) || (R->upd && R->upd[i]);
}

static bool updating(const struct run *R, size_t i)
{
	return R->upd && R->upd[i];
}

/* ---- describing operations (errors, steps) ---- */

/* One line per operation kind: what it does, where (for errors and steps). */
typedef void describe_fn(const struct ot_xctx *x, const struct ot_op *op, const char *ns, char *buf,
			 size_t size);

static void d_netns(const struct ot_xctx *x, const struct ot_op *op, const char *ns, char *buf,
		    size_t size)
{
	snprintf(buf, size, "create namespace '%s'", ns);
}

static void d_link(const struct ot_xctx *x, const struct ot_op *op, const char *ns, char *buf,
		   size_t size)
{
	const struct ot_op_link *l = &op->link;

	if (l->kind == OT_LINK_VXLAN)
		snprintf(buf, size, "create vxlan '%s' (VNI %u) in %s", l->name, l->vni, ns);
	else if (l->kind == OT_LINK_VETH)
		snprintf(buf, size, "create veth '%s' in %s (peer '%s' in %s)", l->name, ns,
			 l->peer_name, ot_x_nsname(x, l->peer_ns));
	else
		snprintf(buf, size, "create %s '%s' in %s", ot_link_kind_name(l->kind), l->name,
			 ns);
}

static void d_up(const struct ot_xctx *x, const struct ot_op *op, const char *ns, char *buf,
		 size_t size)
{
	snprintf(buf, size, "set '%s' up in %s", op->dev, ns);
}

static void d_addr(const struct ot_xctx *x, const struct ot_op *op, const char *ns, char *buf,
		   size_t size)
{
	char a[OT_PREFIX_STRLEN];

	ot_prefix_format(&op->addr.addr, a, sizeof(a));
	snprintf(buf, size, "add address %s to '%s' in %s", a, op->addr.dev, ns);
}

static void d_route(const struct ot_xctx *x, const struct ot_op *op, const char *ns, char *buf,
		    size_t size)
{
	char a[OT_PREFIX_STRLEN] = "default", b[OT_ADDR_STRLEN] = "";

	if (op->route.dst.len)
		ot_prefix_format(&op->route.dst, a, sizeof(a));
	if (op->route.via.family)
		ot_addr_format(&op->route.via, b, sizeof(b));
	snprintf(buf, size, "add route %s%s%s in %s", a, b[0] ? " via " : "", b, ns);
}

static void d_fdb(const struct ot_xctx *x, const struct ot_op *op, const char *ns, char *buf,
		  size_t size)
{
	const struct ot_op_fdb *f = &op->fdb;
	char a[OT_MAC_STRLEN], b[OT_ADDR_STRLEN];

	ot_mac_format(&f->mac, a, sizeof(a));
	ot_addr_format(&f->dst, b, sizeof(b));
	snprintf(buf, size, "add fdb entry %s -> %s%s%s%s on '%s' in %s", a, b,
		 f->dst_node ? " (" : "", f->dst_node ? f->dst_node : "", f->dst_node ? ")" : "",
		 f->dev, ns);
}

static void d_sysctl(const struct ot_xctx *x, const struct ot_op *op, const char *ns, char *buf,
		     size_t size)
{
	snprintf(buf, size, "set sysctl %s=%s in %s", op->sysctl.key, op->sysctl.value, ns);
}

static void d_nft(const struct ot_xctx *x, const struct ot_op *op, const char *ns, char *buf,
		  size_t size)
{
	snprintf(buf, size, "load nft table '%s' in %s", op->nft.table, ns);
}

static void d_cgroup(const struct ot_xctx *x, const struct ot_op *op, const char *ns, char *buf,
		     size_t size)
{
	snprintf(buf, size, "create cgroup '%s'", op->cgroup.path);
}

static void d_mount(const struct ot_xctx *x, const struct ot_op *op, const char *ns, char *buf,
		    size_t size)
{
	ot_mount_describe(&op->mount, ns, buf, size);
}

static describe_fn *const describers[OT_OP__COUNT] = {
    [OT_OP_MOUNT] = d_mount,   [OT_OP_NETNS] = d_netns,	  [OT_OP_LINK] = d_link,
    [OT_OP_LINK_UP] = d_up,    [OT_OP_ADDR] = d_addr,	  [OT_OP_ROUTE] = d_route,
    [OT_OP_FDB] = d_fdb,       [OT_OP_SYSCTL] = d_sysctl, [OT_OP_NFT] = d_nft,
    [OT_OP_CGROUP] = d_cgroup,
};

static void describe(const struct ot_xctx *x, const struct ot_op *op, char *buf, size_t size)
{
	size_t n;

	if ((unsigned)op->kind < OT_OP__COUNT && describers[op->kind])
		describers[op->kind](x, op, ot_x_nsname(x, op->ns), buf, size);
	else
		snprintf(buf, size, "op %d", (int)op->kind);
	n = strlen(buf);
	if (op->origin && n < size)
		snprintf(buf + n, size - n, " (%s)", op->origin);
}

/* ---- journal + step helpers ---- */

static int begin(struct run *R, struct ot_jrec *rec, const char *what, struct ot_error *err)
{
	int r;

	if (rec && (r = ot_journal_begin(R->x->j, rec, err)) < 0)
		return r;
	r = ot_x_step(R->x, 0, "%s", what);
	if (r < 0) {
		if (rec)
			ot_journal_fail(R->x->j, rec->id, r, NULL);
		return ot_error_set(err, r, "%s (injected fault)", strerror(-r));
	}
	return 0;
}

static int done(struct run *R, struct ot_jrec *rec, const char *what, struct ot_error *err)
{
	int r = ot_x_step(R->x, 1, "%s", what);

	if (r < 0)
		return ot_error_set(err, r, "%s (injected fault)", strerror(-r));
	ot_x_made(R->x);
	return rec ? ot_journal_done(R->x->j, rec->id, err) : 0;
}

/* The outcome of a change that was journalled: an error marks it failed
 * (never ours when it already existed). */
static int outcome(struct run *R, struct ot_jrec *rec, int r, const char *what,
		   struct ot_error *err)
{
	if (r < 0) {
		if (rec)
			ot_journal_fail(R->x->j, rec->id, r, NULL);
		return r;
	}
	return done(R, rec, what, err);
}

static struct ot_nl *rt(struct run *R, int ns, struct ot_error *err)
{
	return ot_x_nl(R->x, ns, NETLINK_ROUTE, err);
}

static int talk(struct run *R, int ns, struct nlmsghdr *nlh, struct ot_error *err)
{
	struct ot_nl *nl;

	if (!nlh)
		return ot_error_set(err, -EMSGSIZE, "netlink message too large");
	nl = rt(R, ns, err);
	if (!nl)
		return err ? err->code : -EIO;
	return ot_nl_request(nl, nlh, NULL, NULL, err);
}

/* Is there a LINK_UP for (ns, name) later in the plan? Marks it covered. */
static bool take_up(struct run *R, size_t from, int ns, const char *name)
{
	const struct ot_plan *p = R->x->p;
	size_t i;

	for (i = from + 1; i < p->nops; i++)
		if (p->ops[i].kind == OT_OP_LINK_UP && p->ops[i].ns == ns && selected(R, i) &&
		    strcmp(p->ops[i].dev, name) == 0) {
			R->covered[i] = true;
			return true;
		}
	return false;
}

/* ---- operations ---- */

static int op_netns(struct run *R, size_t i, const char *what, struct ot_error *err)
{
	struct ot_xctx *x = R->x;
	const struct ot_op *op = &x->p->ops[i];
	const struct ot_plan_ns *pn = &x->p->ns[op->ns];
	struct ot_xns *xn = &x->ns[op->ns];
	struct ot_jrec rec = {.kind = OT_J_NETNS, .a = pn->name, .b = ot_ns_role_name(pn->role)};
	int r, fd = -1;

	if (!x->netns_dir_ready) {
		if ((r = ot_ns_dir_prepare(err)) < 0)
			return r;
		x->netns_dir_ready = true;
	}
	if ((r = begin(R, &rec, what, err)) < 0)
		return r;
	if (xn->fd >= 0) { /* opened by an earlier lookup: cannot be ours */
		close(xn->fd);
		xn->fd = -1;
	}
	ot_nl_close(&xn->rt);
	r = ot_ns_create_net(x, pn->name, &fd, &xn->rt, err);
	if (r == 0)
		xn->fd = fd;
	if ((r = outcome(R, &rec, r, what, err)) < 0)
		return r;
	return ot_ns_create_extra(x, op->ns, err);
}

/* A change to a device right after its creation (same namespace as the
 * device): its master (when the creating message could not carry it) and its
 * IPv6 address generation mode. */
struct fixup {
	int ns;
	const char *name;
	uint32_t master;
	int agm;	   /* -1 = leave, 0 = eui64, 1 = none */
	const char *alias; /* NULL = none */
};

/* Everything one link creation needs, filled by the per-kind function. */
struct link_req {
	int sock_ns;
	const char *kind;
	struct ot_nl_dev dev, peer;
	struct ot_nl_vxlan vx;
	struct ot_nl_macvlan mv;
	bool has_peer, has_vx, has_mv;
	struct fixup fix[2];
	int nfix;
	/* a device in the host namespace: recorded; its alias and its fixed
	 * ifindex mark it ours */
	const char *host_name, *host_alias;
	uint32_t host_ifindex;
};

/*
 * The IPv6 mode a device must be given after creation, or -1. Namespaces we
 * create default to addr_gen_mode none (set when they are made: the kernel
 * refuses IFLA_AF_SPEC in a creating message), so only devices that want
 * IPv6 need a change there; in the host namespace it is the other way round.
 */
static int agm_fixup(int ns, bool ipv6)
{
	if (ns == OT_NS_HOST_INDEX)
		return ipv6 ? -1 : 1;
	return ipv6 ? 0 : -1;
}

static void add_fixup(struct link_req *q, int ns, const char *name, uint32_t master, int agm,
		      const char *alias)
{
	if (master || agm >= 0 || (alias && *alias))
		q->fix[q->nfix++] = (struct fixup){ns, name, master, agm, alias};
}

/*
 * A device we create in the host namespace gets an ifindex of our choosing,
 * high above the kernel's counter and derived from its name: the creating
 * message carries it, so from the first instant the device is identifiable
 * as ours (its alias only follows in a second message). destroy deletes a
 * host device when its alias or its ifindex is the journalled one.
 */
static uint32_t host_ifindex(const char *prefix, const char *name)
{
	uint64_t h = ot_hash64_more(ot_hash64_str(prefix), name, strlen(name));

	return 0x10000000u + (uint32_t)(h % 0x6fff0000u);
}

/*
 * A device requested from one namespace and created in another (the
 * creating message carries IFLA_NET_NS_FD) gets an ifindex of our choosing
 * as well, whatever its namespace. Before the device is made, rtnl_newlink
 * of older kernels (Debian 12's 6.1; newer ones, e.g. 6.18, look in the
 * target namespace) searches the *requesting* namespace for it: by
 * ifi_index when the message has one, else by IFLA_IFNAME. With
 * NLM_F_EXCL a device of that name there - the host's eth0 when a VXLAN
 * named eth0 is sent into a container, a router's eth0 when its other veth
 * end eth0 is sent to the next container - fails the creation with EEXIST,
 * although the new device would not live there. An index we give instead
 * is looked up and found nowhere, so the name is only checked where it
 * belongs (dev_get_valid_name in the target namespace), on both kernels and
 * with no extra round trip (a temporary name and a rename would cost one
 * per device). The index is a base plus the number of such devices made
 * before it in this run, modulo the range: unique in the plan up to 32,752
 * of them (a bridge takes at most 1,024 ports), above the kernel's own
 * counter in the namespaces we create, below 65,536 - Open MPI (opal_if_t,
 * PMIx's pmix_pif_t) keeps a kernel ifindex in 16 bits, and an index of
 * 2^24 + 1 read as 1 (lo) left its TCP transport with no route. Should the
 * index be taken all the same (a host namespace holding it requests a VXLAN
 * on 6.1: EEXIST; the target namespace holds it, past the range: EEXIST
 * where the kernel looks there, EBUSY from register_netdevice on 6.1),
 * op_link asks once more with the kernel's choice. A veth peer created in
 * place keeps the kernel's choice (its name is checked only in its own
 * namespace: veth_newlink).
 */
#define XNS_IFINDEX_BASE  0x8000u
#define XNS_IFINDEX_RANGE 0x7ff0u

static uint32_t xns_ifindex(struct run *R)
{
	return XNS_IFINDEX_BASE + R->nxns++ % XNS_IFINDEX_RANGE;
}

static int nsfd_if_other(struct run *R, int target, int sock_ns, int *ret, struct ot_error *err)
{
	int fd;

	*ret = -1;
	if (target == sock_ns)
		return 0;
	fd = ot_x_nsfd(R->x, target, err);
	if (fd < 0)
		return fd;
	*ret = fd;
	return 0;
}

static int master_of(struct run *R, int ns, const char *name, uint32_t *ret, struct ot_error *err)
{
	*ret = 0;
	return name && name[0] ? ot_x_ifindex(R->x, ns, name, ret, err) : 0;
}

/* A device's alias: the plan's; in the host namespace, always something we
 * can recognise as ours later. */
static const char *alias_for(struct run *R, int ns, const char *alias)
{
	if (ns != OT_NS_HOST_INDEX)
		return alias;
	return alias && *alias ? alias : R->tag;
}

static int req_veth(struct run *R, size_t i, struct link_req *q, struct ot_error *err)
{
	const struct ot_op *op = &R->x->p->ops[i];
	const struct ot_op_link *l = &op->link;
	uint32_t own_master;
	int agm, r;

	/* Requested from the namespace of `name`; the main device of the
	 * message is the peer, sent to peer_ns already enslaved and (when the
	 * plan brings it up and its IPv6 mode needs no change first) up; the
	 * device in VETH_INFO_PEER is created in the requesting namespace and
	 * cannot start up (veth_open: ENOTCONN while its peer is unregistered). */
	q->sock_ns = op->ns;
	q->dev.name = l->peer_name;
	q->dev.mac = &l->peer_mac;
	q->dev.mtu = l->mtu;
	if ((r = nsfd_if_other(R, l->peer_ns, op->ns, &q->dev.ns_fd, err)) < 0)
		return r;
	if ((r = master_of(R, l->peer_ns, l->peer_master, &q->dev.master, err)) < 0)
		return r;
	agm = agm_fixup(l->peer_ns, l->peer_ipv6);
	add_fixup(q, l->peer_ns, l->peer_name, 0, agm, alias_for(R, l->peer_ns, l->peer_alias));
	q->dev.up = agm < 0 && take_up(R, i, l->peer_ns, l->peer_name);
	q->has_peer = true;
	q->peer.name = l->name;
	q->peer.mac = &l->mac;
	q->peer.mtu = l->mtu;
	q->peer.ns_fd = -1;
	if ((r = master_of(R, op->ns, l->master, &own_master, err)) < 0)
		return r;
	add_fixup(q, op->ns, l->name, own_master, agm_fixup(op->ns, l->ipv6),
		  alias_for(R, op->ns, l->alias));
	if (op->ns == OT_NS_HOST_INDEX || l->peer_ns == OT_NS_HOST_INDEX) {
		/* the veth peer only takes a fixed index when the main device
		 * has one too (veth_newlink) */
		q->dev.ifindex = host_ifindex(R->x->p->prefix, l->peer_name);
		q->peer.ifindex = host_ifindex(R->x->p->prefix, l->name);
	}
	if (op->ns == OT_NS_HOST_INDEX) {
		q->host_name = l->name;
		q->host_alias = alias_for(R, op->ns, l->alias);
		q->host_ifindex = q->peer.ifindex;
	} else if (l->peer_ns == OT_NS_HOST_INDEX) {
		q->host_name = l->peer_name;
		q->host_alias = alias_for(R, l->peer_ns, l->peer_alias);
		q->host_ifindex = q->dev.ifindex;
	}
	return 0;
}

/* bridge, vxlan, macvlan: one device in op->ns, requested from sock_ns */
static int req_single(struct run *R, size_t i, int sock_ns, struct link_req *q,
		      struct ot_error *err)
{
	const struct ot_op *op = &R->x->p->ops[i];
	const struct ot_op_link *l = &op->link;
	int agm, r;

	q->sock_ns = sock_ns;
	q->dev.name = l->name;
	q->dev.mac = &l->mac;
	q->dev.mtu = l->mtu;
	if ((r = nsfd_if_other(R, op->ns, sock_ns, &q->dev.ns_fd, err)) < 0)
		return r;
	if ((r = master_of(R, op->ns, l->master, &q->dev.master, err)) < 0)
		return r;
	agm = agm_fixup(op->ns, l->ipv6);
	add_fixup(q, op->ns, l->name, 0, agm, alias_for(R, op->ns, l->alias));
	q->dev.up = agm < 0 && take_up(R, i, op->ns, l->name);
	if (op->ns == OT_NS_HOST_INDEX) {
		q->host_name = l->name;
		q->host_alias = alias_for(R, op->ns, l->alias);
		q->dev.ifindex = q->host_ifindex = host_ifindex(R->x->p->prefix, l->name);
	}
	return 0;
}

static int req_bridge(struct run *R, size_t i, struct link_req *q, struct ot_error *err)
{
	return req_single(R, i, R->x->p->ops[i].ns, q, err);
}

static int req_vxlan(struct run *R, size_t i, struct link_req *q, struct ot_error *err)
{
	const struct ot_op_link *l = &R->x->p->ops[i].link;
	int r = req_single(R, i, l->sock_ns, q, err);

	q->has_vx = true;
	q->vx.vni = l->vni;
	q->vx.port = l->port;
	q->vx.local = l->local;
	q->vx.learning = l->learning;
	return r;
}

static int req_macvlan(struct run *R, size_t i, struct link_req *q, struct ot_error *err)
{
	static const uint32_t modes[] = {
	    [OT_MACVLAN_BRIDGE] = MACVLAN_MODE_BRIDGE,
	    [OT_MACVLAN_PRIVATE] = MACVLAN_MODE_PRIVATE,
	    [OT_MACVLAN_VEPA] = MACVLAN_MODE_VEPA,
	    [OT_MACVLAN_PASSTHRU] = MACVLAN_MODE_PASSTHRU,
	};
	const struct ot_op_link *l = &R->x->p->ops[i].link;
	int r = req_single(R, i, OT_NS_HOST_INDEX, q, err);

	if (r < 0)
		return r;
	if ((unsigned)l->mode >= sizeof(modes) / sizeof(modes[0]))
		return ot_error_set(err, -EINVAL, "bad macvlan mode");
	q->has_mv = true;
	q->mv.mode = modes[l->mode];
	return ot_x_ifindex(R->x, OT_NS_HOST_INDEX, l->lower, &q->mv.lower, err);
}

/* The kernel's kind of each link is its plan name (ot_link_kind_name). */
static int (*const link_reqs[OT_LINK__COUNT])(struct run *R, size_t i, struct link_req *q,
					      struct ot_error *err) = {
    [OT_LINK_VETH] = req_veth,
    [OT_LINK_BRIDGE] = req_bridge,
    [OT_LINK_VXLAN] = req_vxlan,
    [OT_LINK_MACVLAN] = req_macvlan,
};

static int op_link(struct run *R, size_t i, const char *what, struct ot_error *err)
{
	struct ot_xctx *x = R->x;
	const struct ot_op *op = &x->p->ops[i];
	struct link_req q;
	struct ot_jrec rec = {.kind = OT_J_LINK}, *recp = NULL;
	struct nlmsghdr *nlh;
	bool forced = false;
	char idx[16];
	int r, k;

	memset(&q, 0, sizeof(q));
	q.dev.ns_fd = q.peer.ns_fd = -1;
	if ((unsigned)op->link.kind >= OT_LINK__COUNT)
		return ot_error_set(err, -EINVAL, "unknown link kind");
	q.kind = ot_link_kind_name(op->link.kind);
	if ((r = link_reqs[op->link.kind](R, i, &q, err)) < 0)
		return r;
	if (q.dev.ns_fd >= 0 && !q.dev.ifindex) {
		q.dev.ifindex = xns_ifindex(R);
		forced = true;
	}
	if (q.host_name) {
		snprintf(idx, sizeof(idx), "%u", q.host_ifindex);
		rec.a = "";
		rec.b = q.host_name;
		rec.c = q.host_alias;
		rec.d = idx;
		recp = &rec;
	} else if (op->link.kind == OT_LINK_VXLAN) {
		/* Deleted explicitly by destroy, before its namespace goes: its
		 * VNI is taken in the socket's namespace until the device is
		 * unregistered, which namespace teardown does only later,
		 * asynchronously - a quick re-create (a Slurm step after the
		 * last) would find the VNI busy. */
		rec.a = ot_x_nsname(x, op->ns);
		rec.b = op->link.name;
		recp = &rec;
	}
	if ((r = begin(R, recp, what, err)) < 0)
		return r;
	nlh = ot_nlmsg_newlink(x->msg, sizeof(x->msg), q.kind, &q.dev, q.has_peer ? &q.peer : NULL,
			       q.has_vx ? &q.vx : NULL, q.has_mv ? &q.mv : NULL);
	r = talk(R, q.sock_ns, nlh, err);
	if ((r == -EEXIST || r == -EBUSY) && forced) {
		/* our index was taken (see xns_ifindex): the kernel chooses */
		q.dev.ifindex = 0;
		nlh = ot_nlmsg_newlink(x->msg, sizeof(x->msg), q.kind, &q.dev,
				       q.has_peer ? &q.peer : NULL, q.has_vx ? &q.vx : NULL,
				       q.has_mv ? &q.mv : NULL);
		r = talk(R, q.sock_ns, nlh, err);
	}
	if (r == -EEXIST && q.host_name)
		ot_error_prefix(err, r, "a device of that name exists already (not ours)");
	if (r == -EEXIST && q.has_vx) {
		/* its name is new in a namespace of ours: what exists is another
		 * VXLAN with this VNI and port (exec.h: -EADDRINUSE) */
		r = ot_error_prefix(err, -EADDRINUSE, "VNI %u is in use on this node",
				    op->link.vni);
	}
	if ((r = outcome(R, recp, r, what, err)) < 0)
		return r;
	for (k = 0; k < q.nfix; k++) {
		const struct fixup *f = &q.fix[k];

		if ((r = begin(R, NULL, what, err)) < 0)
			return r;
		struct ot_nl_set set = {.name = f->name,
					.master = f->master,
					.addr_gen_mode = f->agm,
					.alias = f->alias};

		nlh = ot_nlmsg_setlink(x->msg, sizeof(x->msg), &set);
		if ((r = talk(R, f->ns, nlh, err)) < 0)
			return ot_error_prefix(err, r, "configure '%s' in %s", f->name,
					       ot_x_nsname(x, f->ns));
		if ((r = done(R, NULL, what, err)) < 0)
			return r;
	}
	return 0;
}

static int op_up(struct run *R, size_t i, const char *what, struct ot_error *err)
{
	const struct ot_op *op = &R->x->p->ops[i];
	int r;

	if (R->covered[i])
		return 0;
	if ((r = begin(R, NULL, what, err)) < 0)
		return r;
	struct ot_nl_set set = {.name = op->dev, .up = true, .addr_gen_mode = -1};

	r = talk(R, op->ns, ot_nlmsg_setlink(R->x->msg, sizeof(R->x->msg), &set), err);
	return outcome(R, NULL, r, what, err);
}

static int op_addr(struct run *R, size_t i, const char *what, struct ot_error *err)
{
	const struct ot_op *op = &R->x->p->ops[i];
	uint32_t idx;
	int r;

	if ((r = ot_x_ifindex(R->x, op->ns, op->addr.dev, &idx, err)) < 0)
		return r;
	if ((r = begin(R, NULL, what, err)) < 0)
		return r;
	r = talk(R, op->ns, ot_nlmsg_newaddr(R->x->msg, sizeof(R->x->msg), idx, &op->addr.addr),
		 err);
	return outcome(R, NULL, r, what, err);
}

static int op_route(struct run *R, size_t i, const char *what, struct ot_error *err)
{
	const struct ot_op *op = &R->x->p->ops[i];
	uint32_t idx = 0;
	int r;

	if (op->route.dev[0] && (r = ot_x_ifindex(R->x, op->ns, op->route.dev, &idx, err)) < 0)
		return r;
	if ((r = begin(R, NULL, what, err)) < 0)
		return r;
	r = talk(R, op->ns,
		 ot_nlmsg_newroute(R->x->msg, sizeof(R->x->msg), &op->route.dst, &op->route.via,
				   idx, op->route.metric),
		 err);
	return outcome(R, NULL, r, what, err);
}

static int op_fdb(struct run *R, size_t i, const char *what, struct ot_error *err)
{
	const struct ot_op *op = &R->x->p->ops[i];
	uint32_t idx;
	int r;

	if ((r = ot_x_ifindex(R->x, op->ns, op->fdb.dev, &idx, err)) < 0)
		return r;
	if ((r = begin(R, NULL, what, err)) < 0)
		return r;
	r = talk(R, op->ns,
		 ot_nlmsg_newfdb(R->x->msg, sizeof(R->x->msg), idx, &op->fdb.mac, &op->fdb.dst),
		 err);
	return outcome(R, NULL, r, what, err);
}

static int op_sysctl(struct run *R, size_t i, const char *what, struct ot_error *err)
{
	const struct ot_op *op = &R->x->p->ops[i];
	struct ot_jrec rec = {.kind = OT_J_SYSCTL, .a = "", .b = op->sysctl.key};
	char old[512];
	int r;

	/* Only the host's values outlive our namespaces: journal the old one
	 * (an update in place keeps the record of the first write: it holds
	 * the value from before the topology). */
	if (updating(R, i)) {
		if ((r = begin(R, NULL, what, err)) < 0)
			return r;
		r = ot_x_sysctl_write(R->x, op->ns, op->sysctl.key, op->sysctl.value, err);
		return outcome(R, NULL, r, what, err);
	}
	if (op->ns == OT_NS_HOST_INDEX) {
		if ((r = ot_x_sysctl_read(R->x, op->ns, op->sysctl.key, old, sizeof(old), err)) < 0)
			return r;
		rec.c = old;
	}
	if ((r = begin(R, op->ns == OT_NS_HOST_INDEX ? &rec : NULL, what, err)) < 0)
		return r;
	r = ot_x_sysctl_write(R->x, op->ns, op->sysctl.key, op->sysctl.value, err);
	return outcome(R, op->ns == OT_NS_HOST_INDEX ? &rec : NULL, r, what, err);
}

static int op_nft(struct run *R, size_t i, const char *what, struct ot_error *err)
{
	struct ot_xctx *x = R->x;
	const struct ot_plan *p = x->p;
	const struct ot_op *op = &p->ops[i];
	struct ot_nft_batch b;
	struct ot_jrec *recs = NULL;
	size_t k, n = 0;
	struct ot_nl *nl;
	bool made = false;
	int r;

	if (R->covered[i])
		return 0;
	/* One atomic batch per namespace: this table and every later one of
	 * the same namespace. */
	recs = calloc(p->nops - i, sizeof(*recs));
	if (!recs)
		return ot_error_set(err, -ENOMEM, "out of memory");
	ot_nft_batch_init(&b, x->step + 1);
	r = ot_nft_batch_begin(&b);
	for (k = i; k < p->nops && r == 0; k++) {
		if (p->ops[k].kind != OT_OP_NFT || p->ops[k].ns != op->ns || !selected(R, k))
			continue;
		R->covered[k] = true;
		/* an update replaces the table in the same batch: one atomic
		 * swap, so the flows it lets through never meet a gap */
		if (updating(R, k))
			r = ot_nft_del_table(&b, p->ops[k].nft.table);
		if (r == 0)
			r = ot_nft_add_table(&b, &p->ops[k].nft, R->tag, err);
		if (r == 0 && op->ns == OT_NS_HOST_INDEX && !updating(R, k)) {
			struct ot_jrec *rec = &recs[n++];

			rec->kind = OT_J_NFT;
			rec->a = "";
			rec->b = p->ops[k].nft.table;
			rec->c = R->tag;
			r = ot_journal_begin(x->j, rec, err);
		}
	}
	if (r == 0)
		r = ot_nft_batch_end(&b);
	if (r == -ENOMEM || b.oom)
		r = ot_error_set(err, -ENOMEM, "out of memory");
	if (r == 0)
		r = begin(R, NULL, what, err);
	if (r == 0) {
		nl = ot_x_nl(x, op->ns, NETLINK_NETFILTER, err);
		r = nl ? ot_nl_send_nfbatch(nl, b.buf, b.len, err) : (err ? err->code : -EIO);
		if (r == -EEXIST)
			ot_error_prefix(err, r, "a table of that name exists already (not ours)");
		made = r == 0;
	}
	if (made)
		r = done(R, NULL, what, err);
	/* The batch is atomic: all tables were made or none. A failure after
	 * it leaves the records begun ("may exist"), never "failed". */
	for (k = 0; k < n; k++) {
		int j = 0;

		if (!made)
			ot_journal_fail(x->j, recs[k].id, r, NULL);
		else if (r == 0)
			j = ot_journal_done(x->j, recs[k].id, err);
		if (j < 0) {
			r = j;
			break;
		}
	}
	ot_nft_batch_free(&b);
	free(recs);
	return r;
}

static int op_cgroup(struct run *R, size_t i, const char *what, struct ot_error *err)
{
	return ot_cg_create(R->x, &R->x->p->ops[i].cgroup, err);
}

/* storage: no journal record (mount.c: the container's mount namespace,
 * journalled with it, holds the mount), but a step like any other change */
static int op_mount(struct run *R, size_t i, const char *what, struct ot_error *err)
{
	int r = begin(R, NULL, what, err);

	if (r < 0)
		return r;
	return outcome(R, NULL, ot_mount_make(R->x, &R->x->p->ops[i], err), what, err);
}

static int (*const handlers[OT_OP__COUNT])(struct run *, size_t, const char *,
					   struct ot_error *) = {
    [OT_OP_MOUNT] = op_mount,	[OT_OP_NETNS] = op_netns,   [OT_OP_LINK] = op_link,
    [OT_OP_LINK_UP] = op_up,	[OT_OP_ADDR] = op_addr,	    [OT_OP_ROUTE] = op_route,
    [OT_OP_FDB] = op_fdb,	[OT_OP_SYSCTL] = op_sysctl, [OT_OP_NFT] = op_nft,
    [OT_OP_CGROUP] = op_cgroup,
};

/* ---- namespaces in parallel ----
 *
 * Making a network namespace is most of the cost of a container, and almost
 * all of it is kernel work that runs unserialised on several CPUs (setting up
 * the namespace's sysctl tables and proc entries, the file and the bind
 * mount of its name): a run of NETNS operations is shared by a few threads
 * of this process. Each thread enters the namespace it makes (unshare and
 * setns act on the calling thread only) and leaves it again; the journal,
 * the step hook and the counters are safe from several threads. */

#define PAR_MIN_RUN 16 /* shorter runs are not worth a thread */
#ifndef PAR_MAX_THREADS
#define PAR_MAX_THREADS 4
#endif

struct par {
	struct run *R;
	size_t next, to; /* next op to take (atomic), end of the run */
	int failed;	 /* atomic: stop taking work */
	pthread_mutex_t lock;
	int r; /* first error */
	struct ot_error err;
};

static void *par_worker(void *arg)
{
	struct par *P = arg;
	char what[512];

	while (!__atomic_load_n(&P->failed, __ATOMIC_ACQUIRE)) {
		size_t i = __atomic_fetch_add(&P->next, 1, __ATOMIC_ACQ_REL);
		struct ot_error e = {0};
		int r;

		if (i >= P->to)
			break;
		describe(P->R->x, &P->R->x->p->ops[i], what, sizeof(what));
		r = op_netns(P->R, i, what, &e);
		if (r < 0) {
			ot_error_prefix(&e, r, "%s", what);
			pthread_mutex_lock(&P->lock);
			if (!P->r) {
				P->r = r;
				P->err = e;
			}
			pthread_mutex_unlock(&P->lock);
			__atomic_store_n(&P->failed, 1, __ATOMIC_RELEASE);
		}
	}
	return NULL;
}

/* Run NETNS ops [from, to) on up to PAR_MAX_THREADS threads (this one too). */
static int netns_parallel(struct run *R, size_t from, size_t to, struct ot_error *err)
{
	struct par P = {.R = R, .next = from, .to = to};
	pthread_t tid[PAR_MAX_THREADS];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int n = (int)(cpus < 1		       ? 1
		      : cpus > PAR_MAX_THREADS ? PAR_MAX_THREADS
					       : cpus),
	    k, started = 0;
	int r;

	if (!R->x->netns_dir_ready) {
		if ((r = ot_ns_dir_prepare(err)) < 0)
			return r;
		R->x->netns_dir_ready = true;
	}
	pthread_mutex_init(&P.lock, NULL);
	for (k = 1; k < n; k++) {
		if (pthread_create(&tid[started], NULL, par_worker, &P) != 0)
			break; /* fewer threads is fine */
		started++;
	}
	par_worker(&P);
	for (k = 0; k < started; k++)
		pthread_join(tid[k], NULL);
	pthread_mutex_destroy(&P.lock);
	if (P.r < 0) {
		*err = P.err;
		return P.r;
	}
	return 0;
}

/* ---- the driver ---- */

static int rollback(struct ot_xctx *x, struct ot_exec_result *res, struct ot_error *err)
{
	struct ot_journal_image *im = NULL;
	struct ot_error e2 = {0};
	int r;

	ot_journal_close(x->j);
	x->j = NULL;
	r = ot_journal_read(x->p->state_dir, true, &im, &e2);
	if (r == 0)
		r = ot_undo(x, im, x->p->state_dir, NULL, &e2);
	ot_journal_image_free(im);
	if (r == 0) {
		ot_journal_remove(x->p->state_dir, NULL);
		if (res)
			res->rolled_back = true;
		return 0;
	}
	/* keep the journal: `destroy` can finish the job */
	{
		char first[OT_ERROR_MAX];

		memcpy(first, err->msg, sizeof(first));
		ot_error_set(err, err->code, "%.1000s; rollback failed: %.1000s", first, e2.msg);
	}
	return r;
}

/* The loop over the plan's operations, for create (every op) and apply
 * (a selection). */
static int run_ops(struct run *R, struct ot_error *err)
{
	const struct ot_plan *p = R->x->p;
	char what[512];
	size_t i;
	int r = 0;

	for (i = 0; i < p->nops; i++) {
		const struct ot_op *op = &p->ops[i];
		size_t run;

		if (!selected(R, i))
			continue;
		if ((unsigned)op->kind >= OT_OP__COUNT || !handlers[op->kind])
			return ot_error_set(err, -EINVAL, "unknown operation");
		for (run = i;
		     !R->sel && !R->upd && run < p->nops && p->ops[run].kind == OT_OP_NETNS; run++)
			;
		if (run - i >= PAR_MIN_RUN) {
			if ((r = netns_parallel(R, i, run, err)) < 0)
				return r;
			i = run - 1;
			continue;
		}
		describe(R->x, op, what, sizeof(what));
		r = handlers[op->kind](R, i, what, err);
		if (r < 0)
			return ot_error_prefix(err, r, "%s", what);
	}
	return 0;
}

int ot_x_run_ops(struct ot_xctx *x, const bool *sel, const bool *upd, struct ot_error *err)
{
	struct run R = {.x = x, .sel = sel, .upd = upd};
	int r;

	ot_x_tag(x->p->prefix, R.tag, sizeof(R.tag));
	R.covered = calloc(x->p->nops ? x->p->nops : 1, sizeof(*R.covered));
	if (!R.covered)
		return ot_error_set(err, -ENOMEM, "out of memory");
	r = run_ops(&R, err);
	free(R.covered);
	return r;
}

int ot_x_plan_runnable(const struct ot_plan *p, struct ot_error *err)
{
	size_t i;
	int r;

	if ((r = ot_plan_validate(p, err)) < 0)
		return ot_error_prefix(err, r, "%s", ot_x_node_name(p));
	if (!ot_plan_bound(p))
		return ot_error_set(
		    err, -EINVAL,
		    "%s: the plan is not bound to hosts (compile it with a hosts file)", p->node);
	if (!p->state_dir || p->state_dir[0] != '/')
		return ot_error_set(err, -EINVAL, "%s: the plan has no absolute state_dir",
				    p->node);
	/* what only this node can tell about its storage, before any change */
	for (i = 0; i < p->nops; i++)
		if (p->ops[i].kind == OT_OP_MOUNT && (r = ot_mount_check(p, &p->ops[i], err)) < 0)
			return r;
	return 0;
}

/* Who and when, for the journal's header (`otnode list`): the network
 * namespace tells simulated hosts that share /run apart. */
static void journal_meta(const struct ot_plan *p, const struct ot_exec_opts *opts,
			 struct ot_journal_meta *m)
{
	struct stat st;

	memset(m, 0, sizeof(*m));
	m->topology = p->topology;
	m->created = (long long)time(NULL);
	m->by = opts ? opts->by : NULL;
	m->uid = (unsigned)getuid();
	if (stat("/proc/self/ns/net", &st) == 0)
		m->netns = (unsigned long long)st.st_ino;
}

int ot_exec_create(const struct ot_plan *p, const struct ot_exec_opts *opts,
		   struct ot_exec_result *res, struct ot_error *err)
{
	struct ot_journal_meta meta;
	struct ot_xctx x;
	int r;

	if (res)
		memset(res, 0, sizeof(*res));
	if ((r = ot_x_plan_runnable(p, err)) < 0)
		return r;
	if ((r = ot_x_init(&x, p, opts, err)) < 0)
		return ot_error_prefix(err, r, "%s", p->node);
	journal_meta(p, opts, &meta);
	r = ot_journal_create(p->state_dir, p->prefix, p->instance, p->node, p->source_digest,
			      &meta, &x.j, err);
	if (r < 0) {
		ot_error_prefix(err, r, "%s", p->node);
		goto out;
	}
	/* the running plan, for apply (apply.c): stored before anything is
	 * made, so every journal of a complete create has one */
	r = ot_x_plan_store(p->state_dir, OT_PLAN_RUNNING, p, NULL, err);
	if (r == 0)
		r = ot_x_run_ops(&x, NULL, NULL, err);
	if (r == 0)
		r = ot_journal_complete(x.j, err);
	if (r < 0) {
		ot_error_prefix(err, r, "%s", p->node);
		rollback(&x, res, err);
		goto out;
	}
	ot_x_progress(&x, "%s: created %u objects in %u steps", p->node, x.objects, x.step);
	if (res) {
		res->steps = x.step;
		res->objects = x.objects;
	}
out:
	ot_x_free(&x);
	return r;
}

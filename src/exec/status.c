/*
 * status.c - compare a plan with the system (ot_exec_status): one item per
 * operation, OK / MISSING / DRIFT with the attribute that differs. One dump
 * of links, addresses, routes and bridge FDB per namespace, taken lazily.
 */
#include "exec/exec_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>

#include <jansson.h>

#include "exec/nft.h"
#include "util/vec.h"
#include "vocab/schema.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

/* What one namespace holds, dumped once. */
struct view {
	bool loaded, absent;
	struct ot_nl_link *links;
	size_t nlinks, caplinks;
	struct ot_nl_addr *addrs;
	size_t naddrs, capaddrs;
	struct ot_nl_route *routes;
	size_t nroutes, caproutes;
	struct ot_nl_neigh *neighs;
	size_t nneighs, capneighs;
};

struct st {
	struct ot_xctx *x;
	struct view *views;
	struct ot_cgroups cg;
	bool cg_ok;
	char tag[OT_NFT_TAG_MAX + 1];
};

#define PUSH(arr, n, cap, val)                                                                     \
	do {                                                                                       \
		if (OT_VEC_RESERVE(arr, cap, (n) + 1) < 0)                                         \
			return MNL_CB_ERROR;                                                       \
		(arr)[(n)++] = (val);                                                              \
	} while (0)

static int on_link(const struct nlmsghdr *nlh, void *data)
{
	struct view *v = data;
	struct ot_nl_link l;

	if (ot_nl_parse_link(nlh, &l) == 0)
		PUSH(v->links, v->nlinks, v->caplinks, l);
	return MNL_CB_OK;
}

static int on_addr(const struct nlmsghdr *nlh, void *data)
{
	struct view *v = data;
	struct ot_nl_addr a;

	if (ot_nl_parse_addr(nlh, &a) == 0)
		PUSH(v->addrs, v->naddrs, v->capaddrs, a);
	return MNL_CB_OK;
}

static int on_route(const struct nlmsghdr *nlh, void *data)
{
	struct view *v = data;
	struct ot_nl_route r;

	if (ot_nl_parse_route(nlh, &r) == 0 && r.table == RT_TABLE_MAIN)
		PUSH(v->routes, v->nroutes, v->caproutes, r);
	return MNL_CB_OK;
}

static int on_neigh(const struct nlmsghdr *nlh, void *data)
{
	struct view *v = data;
	struct ot_nl_neigh n;

	if (ot_nl_parse_neigh(nlh, &n) == 0)
		PUSH(v->neighs, v->nneighs, v->capneighs, n);
	return MNL_CB_OK;
}

static void reset_links(void *d)
{
	((struct view *)d)->nlinks = 0;
}
static void reset_addrs(void *d)
{
	((struct view *)d)->naddrs = 0;
}
static void reset_routes(void *d)
{
	((struct view *)d)->nroutes = 0;
}
static void reset_neighs(void *d)
{
	((struct view *)d)->nneighs = 0;
}

static bool ns_present(struct st *S, int ns)
{
	char path[PATH_MAX];
	struct statfs sfs;

	if (ns == OT_NS_HOST_INDEX)
		return true;
	snprintf(path, sizeof(path), "%s/%s", OT_NETNS_DIR, S->x->p->ns[ns].name);
	return statfs(path, &sfs) == 0 && sfs.f_type == NSFS_MAGIC;
}

static struct view *view(struct st *S, int ns, struct ot_error *err)
{
	struct view *v = &S->views[ns];
	struct ot_nl *nl;
	char *buf = S->x->msg;
	size_t sz = sizeof(S->x->msg);

	if (v->loaded)
		return v;
	v->loaded = true;
	if (!ns_present(S, ns)) {
		v->absent = true;
		return v;
	}
	nl = ot_x_nl(S->x, ns, NETLINK_ROUTE, err);
	if (!nl ||
	    ot_nl_dump(nl, ot_nlmsg_dump(buf, sz, RTM_GETLINK, AF_UNSPEC), on_link, v, reset_links,
		       err) < 0 ||
	    ot_nl_dump(nl, ot_nlmsg_dump(buf, sz, RTM_GETADDR, AF_UNSPEC), on_addr, v, reset_addrs,
		       err) < 0 ||
	    ot_nl_dump(nl, ot_nlmsg_dump(buf, sz, RTM_GETROUTE, AF_UNSPEC), on_route, v,
		       reset_routes, err) < 0 ||
	    ot_nl_dump(nl, ot_nlmsg_dump_fdb(buf, sz, 0), on_neigh, v, reset_neighs, err) < 0) {
		v->loaded = false;
		return NULL;
	}
	return v;
}

static const struct ot_nl_link *find_link(const struct view *v, const char *name)
{
	size_t i;

	for (i = 0; i < v->nlinks; i++)
		if (strcmp(v->links[i].name, name) == 0)
			return &v->links[i];
	return NULL;
}

static const struct ot_nl_link *find_index(const struct view *v, uint32_t idx)
{
	size_t i;

	for (i = 0; i < v->nlinks; i++)
		if (v->links[i].ifindex == idx)
			return &v->links[i];
	return NULL;
}

/* Item helpers */
static int missing(struct ot_status_item *it, const char *fmt, ...) OT_PRINTF(2, 3);
static int missing(struct ot_status_item *it, const char *fmt, ...)
{
	va_list ap;

	it->state = OT_OBJ_MISSING;
	va_start(ap, fmt);
	vsnprintf(it->detail, sizeof(it->detail), fmt, ap);
	va_end(ap);
	return 0;
}

static int drift(struct ot_status_item *it, const char *fmt, ...) OT_PRINTF(2, 3);
static int drift(struct ot_status_item *it, const char *fmt, ...)
{
	va_list ap;

	it->state = OT_OBJ_DRIFT;
	va_start(ap, fmt);
	vsnprintf(it->detail, sizeof(it->detail), fmt, ap);
	va_end(ap);
	return 0;
}

/* The hostname of the uts namespace file path: entered by this thread for a
 * moment (setns acts on the calling thread only) and left again. */
static int uts_hostname(const char *path, char *buf, size_t size)
{
	int self = open("/proc/thread-self/ns/uts", O_RDONLY | O_CLOEXEC);
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = -1;

	if (self >= 0 && fd >= 0 && setns(fd, CLONE_NEWUTS) == 0) {
		r = gethostname(buf, size) == 0 ? 0 : -1;
		buf[size - 1] = '\0';
		if (setns(self, CLONE_NEWUTS) < 0)
			r = -1;
	}
	if (fd >= 0)
		close(fd);
	if (self >= 0)
		close(self);
	return r;
}

/* ---- per-kind checks (a table) ---- */

static int ck_netns(struct st *S, const struct ot_op *op, struct ot_status_item *it,
		    struct ot_error *err)
{
	const struct ot_isolate_kind *extra = ot_isolate_kinds; /* vocab.h */
	const struct ot_plan_ns *pn = &S->x->p->ns[op->ns];
	size_t k;

	snprintf(it->what, sizeof(it->what), "namespace '%s'", pn->name);
	if (!ns_present(S, op->ns))
		return missing(it, "no %s/%s", OT_NETNS_DIR, pn->name);
	for (k = 0; k < OT_ISOLATE_NKINDS; k++) {
		char path[PATH_MAX];
		struct statfs sfs;

		if (!extra[k].extra || !(pn->isolate & extra[k].bit))
			continue;
		ot_ns_extra_path(S->x->p->state_dir, pn->name, extra[k].nsfile, path, sizeof(path));
		if (statfs(path, &sfs) < 0 || sfs.f_type != NSFS_MAGIC)
			return missing(it, "no %s namespace file '%s'", extra[k].nsfile, path);
	}
	if ((pn->isolate & OT_ISO_UTS) && pn->hostname) {
		char path[PATH_MAX], name[256];

		ot_ns_extra_path(S->x->p->state_dir, pn->name, "uts", path, sizeof(path));
		if (uts_hostname(path, name, sizeof(name)) == 0 && strcmp(name, pn->hostname) != 0)
			return drift(it, "hostname is '%s', planned '%s'", name, pn->hostname);
	}
	return 0;
}

/* Compare one device with what the plan wants. */
static int ck_dev(struct st *S, int ns, const struct ot_nl_link *l, const char *kind, uint32_t mtu,
		  const struct ot_mac *mac, const char *alias, const char *master,
		  struct ot_status_item *it, struct ot_error *err)
{
	const struct view *v = &S->views[ns];

	if (kind && strcmp(l->kind, kind) != 0)
		return drift(it, "'%s' is a %s, planned %s", l->name,
			     l->kind[0] ? l->kind : "device", kind);
	if (mtu && l->mtu != mtu)
		return drift(it, "'%s' has mtu %u, planned %u", l->name, l->mtu, mtu);
	if (mac && !ot_mac_is_zero(mac) && memcmp(l->mac.b, mac->b, 6) != 0) {
		char a[OT_MAC_STRLEN], b[OT_MAC_STRLEN];

		ot_mac_format(&l->mac, a, sizeof(a));
		ot_mac_format(mac, b, sizeof(b));
		return drift(it, "'%s' has MAC %s, planned %s", l->name, a, b);
	}
	if (alias && *alias && strcmp(l->alias, alias) != 0)
		return drift(it, "'%s' has alias '%s', planned '%s'", l->name, l->alias, alias);
	if (master && *master) {
		const struct ot_nl_link *m = l->master ? find_index(v, l->master) : NULL;

		if (!m || strcmp(m->name, master) != 0)
			return drift(it, "'%s' is %s%s, planned a port of '%s'", l->name,
				     m ? "a port of " : "not a bridge port", m ? m->name : "",
				     master);
	}
	return 0;
}

static int ck_link(struct st *S, const struct ot_op *op, struct ot_status_item *it,
		   struct ot_error *err)
{
	const struct ot_op_link *L = &op->link;
	const char *ns = ot_x_nsname(S->x, op->ns);
	const struct ot_nl_link *l;
	struct view *v;
	int r;

	snprintf(it->what, sizeof(it->what), "%s '%s' in %s", ot_link_kind_name(L->kind), L->name,
		 ns);
	if (!(v = view(S, op->ns, err)))
		return -EIO;
	if (v->absent)
		return missing(it, "namespace %s is gone", ns);
	if (!(l = find_link(v, L->name)))
		return missing(it, "no device '%s'", L->name);
	r = ck_dev(S, op->ns, l, ot_link_kind_name(L->kind), L->mtu, &L->mac,
		   op->ns == OT_NS_HOST_INDEX && !L->alias ? S->tag : L->alias, L->master, it, err);
	if (r < 0 || it->state != OT_OBJ_OK)
		return r;
	if (L->kind == OT_LINK_VXLAN && l->vni != L->vni)
		return drift(it, "'%s' has VNI %u, planned %u", l->name, l->vni, L->vni);
	if (L->kind == OT_LINK_VETH) {
		struct view *pv = view(S, L->peer_ns, err);
		const struct ot_nl_link *peer;

		if (!pv)
			return -EIO;
		if (pv->absent || !(peer = find_link(pv, L->peer_name)))
			return missing(it, "no veth peer '%s' in %s", L->peer_name,
				       ot_x_nsname(S->x, L->peer_ns));
		return ck_dev(S, L->peer_ns, peer, "veth", L->mtu, &L->peer_mac,
			      L->peer_ns == OT_NS_HOST_INDEX && !L->peer_alias ? S->tag
									       : L->peer_alias,
			      L->peer_master, it, err);
	}
	return 0;
}

static int ck_up(struct st *S, const struct ot_op *op, struct ot_status_item *it,
		 struct ot_error *err)
{
	const char *ns = ot_x_nsname(S->x, op->ns);
	const struct ot_nl_link *l;
	struct view *v;

	snprintf(it->what, sizeof(it->what), "'%s' up in %s", op->dev, ns);
	if (!(v = view(S, op->ns, err)))
		return -EIO;
	if (v->absent || !(l = find_link(v, op->dev)))
		return missing(it, "no device '%s'", op->dev);
	if (!(l->flags & IFF_UP))
		return drift(it, "'%s' is down", op->dev);
	return 0;
}

static int ck_addr(struct st *S, const struct ot_op *op, struct ot_status_item *it,
		   struct ot_error *err)
{
	const char *ns = ot_x_nsname(S->x, op->ns);
	char a[OT_PREFIX_STRLEN];
	const struct ot_nl_link *l;
	struct view *v;
	size_t k;

	ot_prefix_format(&op->addr.addr, a, sizeof(a));
	snprintf(it->what, sizeof(it->what), "address %s on '%s' in %s", a, op->addr.dev, ns);
	if (!(v = view(S, op->ns, err)))
		return -EIO;
	if (v->absent || !(l = find_link(v, op->addr.dev)))
		return missing(it, "no device '%s'", op->addr.dev);
	for (k = 0; k < v->naddrs; k++) {
		const struct ot_nl_addr *x = &v->addrs[k];

		if (x->ifindex == l->ifindex && ot_addr_equal(&x->addr, &op->addr.addr.addr)) {
			if (x->prefixlen != op->addr.addr.len)
				return drift(it, "prefix length %u, planned %u", x->prefixlen,
					     op->addr.addr.len);
			return 0;
		}
	}
	return missing(it, "no address %s on '%s'", a, op->addr.dev);
}

static int ck_route(struct st *S, const struct ot_op *op, struct ot_status_item *it,
		    struct ot_error *err)
{
	const struct ot_op_route *R = &op->route;
	const char *ns = ot_x_nsname(S->x, op->ns);
	struct ot_prefix net = ot_prefix_network(&R->dst);
	char a[OT_PREFIX_STRLEN] = "default", b[OT_ADDR_STRLEN] = "";
	uint32_t oif = 0;
	struct view *v;
	size_t k;

	if (R->dst.len)
		ot_prefix_format(&net, a, sizeof(a));
	if (R->via.family)
		ot_addr_format(&R->via, b, sizeof(b));
	snprintf(it->what, sizeof(it->what), "route %s%s%s in %s", a, b[0] ? " via " : "", b, ns);
	if (!(v = view(S, op->ns, err)))
		return -EIO;
	if (v->absent)
		return missing(it, "namespace %s is gone", ns);
	if (R->dev[0]) {
		const struct ot_nl_link *l = find_link(v, R->dev);

		if (!l)
			return missing(it, "no device '%s'", R->dev);
		oif = l->ifindex;
	}
	for (k = 0; k < v->nroutes; k++) {
		const struct ot_nl_route *x = &v->routes[k];

		if (x->family != R->dst.addr.family || x->dst_len != R->dst.len)
			continue;
		if (R->dst.len && !ot_addr_equal(&x->dst, &net.addr))
			continue;
		if (R->via.family && !ot_addr_equal(&x->gateway, &R->via))
			continue;
		if (oif && x->oif != oif)
			continue;
		if (R->metric && x->priority != R->metric)
			return drift(it, "metric %u, planned %u", x->priority, R->metric);
		return 0;
	}
	return missing(it, "no such route in the main table");
}

static int ck_fdb(struct st *S, const struct ot_op *op, struct ot_status_item *it,
		  struct ot_error *err)
{
	const char *ns = ot_x_nsname(S->x, op->ns);
	char a[OT_MAC_STRLEN], b[OT_ADDR_STRLEN];
	const struct ot_nl_link *l;
	struct view *v;
	size_t k;

	ot_mac_format(&op->fdb.mac, a, sizeof(a));
	ot_addr_format(&op->fdb.dst, b, sizeof(b));
	snprintf(it->what, sizeof(it->what), "fdb %s -> %s on '%s' in %s", a, b, op->fdb.dev, ns);
	if (!(v = view(S, op->ns, err)))
		return -EIO;
	if (v->absent || !(l = find_link(v, op->fdb.dev)))
		return missing(it, "no device '%s'", op->fdb.dev);
	for (k = 0; k < v->nneighs; k++) {
		const struct ot_nl_neigh *n = &v->neighs[k];

		if (n->ifindex == l->ifindex && n->has_mac &&
		    memcmp(n->mac.b, op->fdb.mac.b, 6) == 0 && ot_addr_equal(&n->dst, &op->fdb.dst))
			return 0;
	}
	return missing(it, "no such FDB entry");
}

/* sysctl values compare with runs of blanks collapsed ("4096\t16384") */
static void squeeze(char *s)
{
	char *r = s, *w = s;
	bool blank = false;

	while (*r == ' ' || *r == '\t')
		r++;
	for (; *r; r++) {
		if (*r == ' ' || *r == '\t' || *r == '\n') {
			blank = true;
			continue;
		}
		if (blank && w != s)
			*w++ = ' ';
		blank = false;
		*w++ = *r;
	}
	*w = '\0';
}

static int ck_sysctl(struct st *S, const struct ot_op *op, struct ot_status_item *it,
		     struct ot_error *err)
{
	const char *ns = ot_x_nsname(S->x, op->ns);
	char have[512], want[512];
	struct ot_error e = {0};

	snprintf(it->what, sizeof(it->what), "sysctl %s in %s", op->sysctl.key, ns);
	if (!ns_present(S, op->ns))
		return missing(it, "namespace %s is gone", ns);
	if (ot_x_sysctl_read(S->x, op->ns, op->sysctl.key, have, sizeof(have), &e) < 0)
		return missing(it, "%s", e.msg);
	snprintf(want, sizeof(want), "%s", op->sysctl.value);
	squeeze(have);
	squeeze(want);
	if (strcmp(have, want) != 0)
		return drift(it, "is '%s', planned '%s'", have, want);
	return 0;
}

static int ck_nft(struct st *S, const struct ot_op *op, struct ot_status_item *it,
		  struct ot_error *err)
{
	const char *ns = ot_x_nsname(S->x, op->ns);
	struct ot_nft_table_info info;
	struct ot_error e = {0};
	struct ot_nl *nl;
	int r;

	snprintf(it->what, sizeof(it->what), "nft table inet '%s' in %s", op->nft.table, ns);
	if (!ns_present(S, op->ns))
		return missing(it, "namespace %s is gone", ns);
	nl = ot_x_nl(S->x, op->ns, NETLINK_NETFILTER, err);
	if (!nl)
		return -EIO;
	r = ot_nft_table_get(nl, op->nft.table, true, &info, &e);
	if (r == -ENOENT)
		return missing(it, "no such table");
	if (r < 0)
		return missing(it, "%s", e.msg);
	if (strcmp(info.tag, S->tag) != 0)
		return drift(it, "table is not ours (comment '%s')", info.tag);
	if (info.nchains != op->nft.nchains || info.nrules != op->nft.nrules)
		return drift(it, "%u chains and %u rules, planned %zu and %zu", info.nchains,
			     info.nrules, op->nft.nchains, op->nft.nrules);
	return 0;
}

static int ck_cgroup(struct st *S, const struct ot_op *op, struct ot_status_item *it,
		     struct ot_error *err)
{
	char detail[256];
	int r;

	snprintf(it->what, sizeof(it->what), "cgroup '%s'", op->cgroup.path);
	if (!S->cg_ok) {
		if (ot_cg_detect(&S->cg, err) < 0)
			return -EIO;
		S->cg_ok = true;
	}
	r = ot_cg_check(&S->cg, &op->cgroup, detail, sizeof(detail));
	if (r == -ENOENT)
		return missing(it, "%s", detail);
	if (r > 0)
		return drift(it, "%s", detail);
	return 0;
}

/* storage: seen from inside the container's mount namespace (mount.c) */
static int ck_mount(struct st *S, const struct ot_op *op, struct ot_status_item *it,
		    struct ot_error *err)
{
	const struct ot_op_mount *m = &op->mount;
	char detail[256];
	int r;

	ot_mount_describe(m, ot_x_nsname(S->x, op->ns), it->what, sizeof(it->what));
	r = ot_mount_status(S->x, op, detail, sizeof(detail));
	if (r == -ENOENT)
		return missing(it, "%s", detail);
	if (r > 0)
		return drift(it, "%s", detail);
	return 0;
}

static int (*const checks[OT_OP__COUNT])(struct st *, const struct ot_op *, struct ot_status_item *,
					 struct ot_error *) = {
    [OT_OP_MOUNT] = ck_mount,	[OT_OP_NETNS] = ck_netns,   [OT_OP_LINK] = ck_link,
    [OT_OP_LINK_UP] = ck_up,	[OT_OP_ADDR] = ck_addr,	    [OT_OP_ROUTE] = ck_route,
    [OT_OP_FDB] = ck_fdb,	[OT_OP_SYSCTL] = ck_sysctl, [OT_OP_NFT] = ck_nft,
    [OT_OP_CGROUP] = ck_cgroup,
};

void ot_status_free(struct ot_status *s)
{
	if (!s)
		return;
	free(s->items);
	free(s);
}

const char *ot_obj_state_name(enum ot_obj_state s)
{
	static const char *const names[] = {"ok", "missing", "drift"};

	return (unsigned)s < 3 ? names[s] : "?";
}

int ot_exec_status(const struct ot_plan *p, const struct ot_exec_opts *opts, struct ot_status **ret,
		   struct ot_error *err)
{
	struct ot_journal_image *im = NULL;
	struct ot_status *s;
	struct ot_xctx x;
	struct st S = {.x = &x};
	size_t i;
	int r;

	if ((r = ot_plan_validate(p, err)) < 0)
		return ot_error_prefix(err, r, "%s", ot_x_node_name(p));
	s = calloc(1, sizeof(*s));
	if (!s || !(s->items = calloc(p->nops ? p->nops : 1, sizeof(*s->items)))) {
		free(s);
		return ot_error_set(err, -ENOMEM, "%s: out of memory", p->node);
	}
	if (ot_journal_read(p->state_dir, false, &im, NULL) == 0) {
		s->created = true;
		s->complete = im->complete;
		ot_journal_image_free(im);
	}
	if ((r = ot_x_init(&x, p, opts, err)) < 0) {
		ot_status_free(s);
		return ot_error_prefix(err, r, "%s", p->node);
	}
	ot_x_tag(p->prefix, S.tag, sizeof(S.tag));
	S.views = calloc(p->nns, sizeof(*S.views));
	if (!S.views) {
		r = ot_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < p->nops; i++) {
		struct ot_status_item *it = &s->items[s->nitems++];

		it->op = i;
		it->state = OT_OBJ_OK;
		if ((unsigned)p->ops[i].kind >= OT_OP__COUNT || !checks[p->ops[i].kind])
			continue;
		r = checks[p->ops[i].kind](&S, &p->ops[i], it, err);
		if (r < 0)
			goto out;
		if (it->state == OT_OBJ_OK)
			s->nok++;
		else if (it->state == OT_OBJ_MISSING)
			s->nmissing++;
		else
			s->ndrift++;
	}
	r = 0;
out:
	if (S.views)
		for (i = 0; i < p->nns; i++) {
			free(S.views[i].links);
			free(S.views[i].addrs);
			free(S.views[i].routes);
			free(S.views[i].neighs);
		}
	free(S.views);
	ot_x_free(&x);
	if (r < 0) {
		ot_status_free(s);
		return ot_error_prefix(err, r, "%s: status", p->node);
	}
	*ret = s;
	return 0;
}

json_t *ot_status_to_json(const struct ot_plan *p, const struct ot_status *s)
{
	json_t *o = json_object(), *arr = json_array();
	size_t i;

	if (!o || !arr) {
		json_decref(o);
		json_decref(arr);
		return NULL;
	}
	json_object_set_new(o, "schema", json_string(OT_SCHEMA_STATUS));
	json_object_set_new(o, "node", json_string(p->node));
	json_object_set_new(o, "instance", json_string(p->instance ? p->instance : ""));
	json_object_set_new(o, "created", json_boolean(s->created));
	json_object_set_new(o, "complete", json_boolean(s->complete));
	json_object_set_new(o, "ok", json_integer((json_int_t)s->nok));
	json_object_set_new(o, "missing", json_integer((json_int_t)s->nmissing));
	json_object_set_new(o, "drift", json_integer((json_int_t)s->ndrift));
	for (i = 0; i < s->nitems; i++) {
		const struct ot_status_item *it = &s->items[i];
		json_t *e = json_object();

		if (!e)
			break;
		json_object_set_new(e, "op", json_integer((json_int_t)it->op));
		json_object_set_new(e, "kind", json_string(ot_op_kind_name(p->ops[it->op].kind)));
		json_object_set_new(e, "object", json_string(it->what));
		json_object_set_new(e, "state", json_string(ot_obj_state_name(it->state)));
		if (it->detail[0])
			json_object_set_new(e, "detail", json_string(it->detail));
		json_array_append_new(arr, e);
	}
	json_object_set_new(o, "objects", arr);
	return o;
}

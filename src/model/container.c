/*
 * container.c - expansion of a container block: its statements
 * (isolation, hostname, interfaces, routes, sysctls, forwarding, limits,
 * ranks, firewall rules and NAT), built in scratch vectors and copied into
 * the model's arena when the block ends. Internal to the expansion
 * (expand_int.h).
 */
#include "model/expand_int.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lang/names.h"
#include "util/strbuf.h"

#define MAX_CPU_PCT	 (100u * 4096) /* 4096 CPUs */
#define MIN_MEMORY	 (1ull << 20)  /* 1 MiB */
#define MAX_MEMORY	 (1ull << 50)  /* 1 PiB */
#define MAX_PIDS	 4194304u      /* PID_MAX_LIMIT */
#define MAX_RANK	 0x7fffffffu
#define MAX_SYSCTL_KEY	 128
#define MAX_SYSCTL_VALUE 256
#define MAX_HOSTNAME	 64
#define MAX_METRIC	 0xffffffffu

/* ------------------------------------------------------------------ */
/* containers                                                           */

static void cs_reset(struct cscratch *cs)
{
	cs->ifaces.n = cs->ifx.n = 0;
	cs->routes.n = cs->route_dev.n = 0;
	cs->rules.n = cs->rule_iif.n = cs->rule_oif.n = 0;
	cs->nats.n = cs->nat_if.n = 0;
	cs->sysctls.n = cs->ranks.n = 0;
	cs->isolate_set = cs->hostname_set = cs->forward_set = false;
	memset(cs->policy_set, 0, sizeof(cs->policy_set));
	cs->cpu_set = cs->mem_set = cs->pids_set = cs->ranks_set = false;
	cs->mounts.n = 0;
	cs->tmp_set = false;
	cs->storage_loc = (struct ot_loc){0};
}

void xp_cs_free(struct cscratch *cs)
{
	VFREE(cs->ifaces);
	VFREE(cs->ifx);
	VFREE(cs->routes);
	VFREE(cs->route_dev);
	VFREE(cs->rules);
	VFREE(cs->rule_iif);
	VFREE(cs->rule_oif);
	VFREE(cs->nats);
	VFREE(cs->nat_if);
	VFREE(cs->sysctls);
	VFREE(cs->ranks);
	VFREE(cs->mounts);
}

struct ot_m_iface *xp_find_iface(struct ot_m_iface *v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

/* Bind an interface reference of a container statement to its interface. */
static struct ot_m_iface *resolve_ref(struct xctx *x, struct ot_m_container *c,
				      const struct nref *r)
{
	struct ot_m_iface *ifc;
	struct ot_suggest sg;
	struct ot_diag *g;
	size_t i;

	if (!r->name)
		return NULL;
	ifc = xp_find_iface(c->ifaces, c->nifaces, r->name);
	if (ifc)
		return ifc;
	g = xp_xerr(x, r->loc, "unknown interface '%s' in container '%s'", r->name, c->name);
	ot_suggest_init(&sg, r->name);
	for (i = 0; i < c->nifaces; i++)
		ot_suggest_add(&sg, c->ifaces[i].name);
	if (ot_suggest_best(&sg))
		xp_xhint(x, g, "did you mean '%s'?", ot_suggest_best(&sg));
	return NULL;
}

#define ARENA_COPY(x, dst, ndst, vec)                                                              \
	do {                                                                                       \
		(ndst) = 0;                                                                        \
		(dst) = NULL;                                                                      \
		if ((vec).n) {                                                                     \
			(dst) = ot_arena_memdup((x)->ma, (vec).v, (vec).n * sizeof(*(vec).v));     \
			if (!(dst))                                                                \
				(x)->oom = true;                                                   \
			else                                                                       \
				(ndst) = (vec).n;                                                  \
		}                                                                                  \
	} while (0)

static void finish_container(struct xctx *x)
{
	struct cscratch *cs = &x->cs;
	struct ot_m_container *c = cs->c;
	bool late = false;
	size_t i;

	ARENA_COPY(x, c->ifaces, c->nifaces, cs->ifaces);
	ARENA_COPY(x, c->routes, c->nroutes, cs->routes);
	ARENA_COPY(x, c->rules, c->nrules, cs->rules);
	ARENA_COPY(x, c->nats, c->nnats, cs->nats);
	ARENA_COPY(x, c->sysctls, c->nsysctls, cs->sysctls);
	ARENA_COPY(x, c->ranks, c->nranks, cs->ranks);
	if (x->oom)
		return;
	for (i = 0; i < c->nifaces; i++)
		c->ifaces[i].container = c;
	if (x->max_ifaces && c->nifaces &&
	    (((struct xnode *)c->node)->nifaces += (uint32_t)c->nifaces) > x->max_ifaces) {
		struct xnode *xn = (struct xnode *)c->node;
		const struct ot_m_iface *mi =
		    &c->ifaces[c->nifaces - (xn->nifaces - x->max_ifaces)];
		struct ot_diag *g = xp_xerr(
		    x, mi->loc,
		    "interface '%s.%s' is one more than the %u interfaces allowed on node '%s'",
		    c->name, mi->name, x->max_ifaces, xn->n.name);

		xp_xhint(x, g, "an administrator bound (max_ifaces), checked as loops unroll");
		x->fatal = true;
		return;
	}
	for (i = 0; i < c->nroutes; i++)
		c->routes[i].dev = resolve_ref(x, c, &cs->route_dev.v[i]);
	for (i = 0; i < c->nrules; i++) {
		c->rules[i].iif = resolve_ref(x, c, &cs->rule_iif.v[i]);
		c->rules[i].oif = resolve_ref(x, c, &cs->rule_oif.v[i]);
	}
	for (i = 0; i < c->nnats; i++) {
		if (c->nats[i].kind == OT_M_DNAT)
			c->nats[i].iif = resolve_ref(x, c, &cs->nat_if.v[i]);
		else
			c->nats[i].oif = resolve_ref(x, c, &cs->nat_if.v[i]);
	}
	xp_storage_finish(x);
	if (cs->hostname_set && !(c->isolate & OT_ISO_UTS)) {
		struct ot_diag *g = xp_xerr(x, cs->hostname_loc, "'hostname' needs 'isolate uts'");

		xp_xhint(x, g,
			 "without a UTS namespace the host's own name would change; add "
			 "'isolate net uts'");
	}
	if (cs->dup)
		return;
	/* Bind, check and register each interface now, while the container
	 * is in the cache; only interfaces on networks declared further down
	 * wait for the end of the pass. */
	for (i = 0; i < c->nifaces; i++) {
		struct ot_m_iface *ifc = &c->ifaces[i];
		const char *net = cs->ifx.v[i].net;
		struct xnet *n;

		if (ifc->kind == OT_M_IFACE_NET && !net) {
			struct ot_m_iface **p = VPUSH(x, x->linkends);

			if (!p)
				return;
			*p = ifc; /* a link end: lengths are explicit */
		} else if (ifc->kind == OT_M_IFACE_NET && !net[0]) {
			ifc->naddrs = 0; /* invalid network name (reported): no cascade */
			continue;
		} else if (ifc->kind == OT_M_IFACE_NET) {
			n = ot_strmap_get(&x->networks, net);
			if (!n) {
				struct pend_if *p = VPUSH(x, x->pifs);

				if (!p)
					return;
				p->ifc = ifc;
				p->net = net;
				p->net_loc = cs->ifx.v[i].net_loc;
				p->nolen = cs->ifx.v[i].nolen;
				p->via = cs->ifx.v[i].via;
				late = true;
				continue;
			}
			x->via = cs->ifx.v[i].via; /* its errors name the use it came through */
			xp_bind_iface(x, ifc, n, false);
			xp_iface_subnet_checks(x, ifc, cs->ifx.v[i].nolen);
		}
		x->via = cs->ifx.v[i].via;
		xp_iface_register(x, ifc);
		x->via = (struct xvia){{0}, NULL};
	}
	if (late) {
		struct ot_m_container **p = VPUSH(x, x->late_overlaps);

		if (p)
			*p = c;
	} else {
		xp_container_overlaps(x, c);
	}
	for (i = 0; i < c->nranks; i++) {
		struct rank_use *u = VPUSH(x, x->ranks);

		if (!u)
			return;
		u->first = c->ranks[i].first;
		u->last = c->ranks[i].last;
		u->c = c;
	}
	if (!VPUSH(x, x->ctrv))
		return;
	x->ctrv.v[x->ctrv.n - 1] = c;
}

static const struct {
	const char *what;
	uint64_t limit;
} totals[XP_NTOTALS] = {
    [XP_TOTAL_IFACES] = {"interfaces", OT_MAX_TOTAL_IFACES},
    [XP_TOTAL_ADDRS] = {"addresses", OT_MAX_TOTAL_ADDRS},
    [XP_TOTAL_ROUTES] = {"routes", OT_MAX_TOTAL_ROUTES},
    [XP_TOTAL_RULES] = {"firewall and nat rules", OT_MAX_TOTAL_RULES},
    [XP_TOTAL_SYSCTLS] = {"sysctls", OT_MAX_TOTAL_SYSCTLS},
    [XP_TOTAL_RANKS] = {"rank ranges", OT_MAX_TOTAL_RANK_RANGES},
};

bool xp_total_add(struct xctx *x, struct ot_loc loc, enum xp_total t, uint64_t n)
{
	struct ot_diag *g;

	if (x->totals[t] + n <= totals[t].limit) {
		x->totals[t] += n;
		return true;
	}
	g = xp_xerr(x, loc,
		    "too many %s in the topology (the limit is %llu, all containers together)",
		    totals[t].what, (unsigned long long)totals[t].limit);
	xp_xhint(x, g,
		 "a bound on the whole expanded topology, checked as loops unroll, that keeps "
		 "the compiler's memory bounded");
	/* stop: the rest of a loop would only build what is refused */
	x->fatal = true;
	return false;
}

void xp_container(struct xctx *x, struct ot_ast_stmt *st)
{
	struct ot_m_container *c, *old;
	struct xnode *node;
	const char *name;

	name = xp_word_name(x, st->u.named.name, "container");
	node = xp_node_get(x, st->u.named.node);
	if (!name || !node)
		return;
	if (x->ctrv.n >= OT_MAX_CONTAINERS) {
		xp_xerr(x, st->u.named.name->loc, "too many containers (the limit is %d)",
			OT_MAX_CONTAINERS);
		x->fatal = true;
		return;
	}
	if (x->max_containers && ++node->ncontainers > x->max_containers) {
		/* the back end's wording (compile/bounds.c); stop: the rest of a
		 * loop would only build what is refused */
		struct ot_diag *g = xp_xerr(
		    x, st->u.named.name->loc,
		    "container '%s' is one more than the %u containers allowed on node '%s'", name,
		    x->max_containers, node->n.name);

		xp_xhint(x, g, "an administrator bound (max_containers), checked as loops unroll");
		x->fatal = true;
		return;
	}
	c = xp_xalloc(x, sizeof(*c));
	if (!c)
		return;
	c->name = name;
	c->loc = xp_mloc(x, st->u.named.name->loc);
	c->node = &node->n;
	c->isolate = OT_ISO_NET;
	cs_reset(&x->cs);
	x->cs.c = c;
	old = NULL;
	switch (ot_strmap_put(&x->containers, name, c, (void **)&old)) {
	case 0:
		x->cs.dup = false;
		break;
	case -EEXIST: {
		struct ot_diag *g =
		    xp_xerr(x, st->u.named.name->loc, "duplicate container '%s'", name);

		ot_diag_note(g, old->loc, "first defined here");
		x->cs.dup = true;
		break;
	}
	default:
		x->oom = true;
		return;
	}
	xp_expand_list(x, st->body);
	finish_container(x);
	x->cs.c = NULL;
}

void xp_isolate(struct xctx *x, struct ot_ast_stmt *st)
{
	struct cscratch *cs = &x->cs;

	if (cs->isolate_set) {
		struct ot_diag *g = xp_duplicate(x, st->loc, cs->c->isolate_loc, "'isolate'");

		xp_xhint(x, g, "list every namespace kind in one statement: isolate net uts ipc");
		return;
	}
	cs->isolate_set = true;
	cs->c->isolate = st->u.isolate.mask | OT_ISO_NET;
	cs->c->isolate_loc = xp_mloc(x, st->loc);
}

static bool hostname_ok(const char *s)
{
	size_t i, n = strlen(s), label = 0;

	if (n == 0 || n > MAX_HOSTNAME)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (c == '-' && label > 0)))
			return false;
		label++;
	}
	return label > 0 && s[n - 1] != '-';
}

void xp_hostname(struct xctx *x, struct ot_ast_stmt *st)
{
	struct cscratch *cs = &x->cs;
	const char *t;
	char buf[80];

	if (cs->hostname_set) {
		xp_duplicate(x, st->loc, cs->hostname_loc, "'hostname'");
		return;
	}
	t = xp_word_text(x, st->u.w);
	if (!t)
		return;
	if (!hostname_ok(t)) {
		struct ot_diag *g = xp_xerr(x, st->u.w->loc, "invalid host name '%s'",
					    xp_shown(t, buf, sizeof(buf)));

		xp_xhint(x, g, "letters, digits and '-' in dot-separated labels, at most %d bytes",
			 MAX_HOSTNAME);
		return;
	}
	cs->hostname_set = true;
	cs->hostname_loc = st->loc;
	cs->c->hostname = ot_arena_strdup(x->ma, t);
	if (!cs->c->hostname)
		x->oom = true;
}

static bool check_mac(struct xctx *x, struct ot_ast_word *w, struct ot_mac *mac)
{
	const char *t = xp_word_text(x, w);
	char buf[80];

	if (!t)
		return false;
	if (ot_mac_parse(t, mac) < 0) {
		struct ot_diag *g =
		    xp_xerr(x, w->loc, "invalid MAC address '%s'", xp_shown(t, buf, sizeof(buf)));

		xp_xhint(x, g,
			 "six two-digit hex groups such as 02:00:00:00:00:01 (templates: "
			 "{i:02x})");
		return false;
	}
	if (ot_mac_is_zero(mac)) {
		xp_xerr(x, w->loc, "MAC address %s is all zeros", t);
		return false;
	}
	if (mac->b[0] & 1) {
		struct ot_diag *g = xp_xerr(x, w->loc, "MAC address %s is a multicast address", t);

		xp_xhint(x, g,
			 "the lowest bit of the first byte must be 0; locally administered "
			 "unicast addresses start with 02");
		return false;
	}
	return true;
}

void xp_iface(struct xctx *x, struct ot_ast_stmt *st)
{
	struct cscratch *cs = &x->cs;
	struct ot_m_iface *ifc, *old;
	struct ifx *fx;
	const char *name;
	bool auto_addr;
	uint32_t i;

	name = xp_word_name(x, st->u.iface.name, "interface");
	if (!name)
		return;
	if (strcmp(name, "lo") == 0) {
		xp_xerr(x, st->u.iface.name->loc,
			"'lo' is the loopback interface every container "
			"already has");
		return;
	}
	if (strcmp(name, "all") == 0 || strcmp(name, "default") == 0) {
		/* register_netdevice() fails: net/ipv4/conf/{all,default} exist */
		struct ot_diag *g = xp_xerr(x, st->u.iface.name->loc,
					    "interface name '%s' is reserved by the kernel", name);

		xp_xhint(x, g, "/proc/sys/net/ipv4/conf/%s holds the settings of every interface",
			 name);
		return;
	}
	old = xp_find_iface(cs->ifaces.v, cs->ifaces.n, name);
	if (old) {
		struct ot_diag *g =
		    xp_xerr(x, st->u.iface.name->loc, "duplicate interface '%s' in container '%s'",
			    name, cs->c->name);

		ot_diag_note(g, old->loc, "first defined here");
		return;
	}
	if (cs->ifaces.n >= OT_MAX_IFACES) {
		xp_xerr(x, st->u.iface.name->loc,
			"too many interfaces in container '%s' (the limit is %d)", cs->c->name,
			OT_MAX_IFACES);
		return;
	}
	if (st->u.iface.naddrs > OT_MAX_ADDRS) {
		xp_xerr(x, st->u.iface.addrs[OT_MAX_ADDRS]->loc,
			"too many addresses on interface '%s' (the limit is %d)", name,
			OT_MAX_ADDRS);
		return;
	}
	if (!xp_total_add(x, st->u.iface.name->loc, XP_TOTAL_IFACES, 1) ||
	    !xp_total_add(x, st->u.iface.naddrs ? st->u.iface.addrs[0]->loc : st->u.iface.name->loc,
			  XP_TOTAL_ADDRS, st->u.iface.naddrs))
		return;
	ifc = VPUSH(x, cs->ifaces);
	fx = VPUSH(x, cs->ifx);
	if (!ifc || !fx)
		return;
	fx->via = xp_via_now(x);
	ifc->name = name;
	ifc->loc = xp_mloc(x, st->u.iface.name->loc);
	ifc->kind = st->u.iface.kind == OT_AI_MACVLAN ? OT_M_IFACE_MACVLAN : OT_M_IFACE_NET;
	ifc->macvlan_mode = (enum ot_macvlan_mode)st->u.iface.mode;
	if (st->u.iface.kind == OT_AI_NET) {
		fx->net = xp_word_name(x, st->u.iface.net, "network");
		fx->net_loc = st->u.iface.net->loc;
		if (!fx->net) {
			/* reported; keep the interface so later references resolve */
			fx->net = "";
		}
	} else if (st->u.iface.kind == OT_AI_MACVLAN) {
		if (xp_host_ifname(x, st->u.iface.lower, ifc->lower) &&
		    strcmp(ifc->lower, "lo") == 0) /* the kernel: EINVAL */
			xp_xerr(x, st->u.iface.lower->loc,
				"a macvlan cannot sit on the loopback interface 'lo'");
	}
	auto_addr = xp_auto_request(x, st, ifc);
	if (st->u.iface.naddrs && !auto_addr) {
		ifc->addrs = ot_arena_calloc(x->ma, st->u.iface.naddrs, sizeof(*ifc->addrs));
		ifc->addr_locs =
		    ot_arena_calloc(x->ma, st->u.iface.naddrs, sizeof(*ifc->addr_locs));
		if (!ifc->addrs || !ifc->addr_locs) {
			x->oom = true;
			return;
		}
	}
	for (i = 0; i < st->u.iface.naddrs && !auto_addr; i++) {
		struct ot_ast_word *w = st->u.iface.addrs[i];
		struct ot_prefix p;
		bool nolen;

		if (!xp_word_prefix(x, w, false, "address",
				    "an interface address such as 10.0.0.5/24 or fd00::5/64", &p,
				    &nolen) ||
		    !xp_check_unicast(x, w, &p))
			continue;
		if (nolen && st->u.iface.kind != OT_AI_NET) {
			struct ot_diag *g = xp_xerr(x, w->loc, "address needs a prefix length");

			xp_xhint(x, g, "only interfaces on a network with a subnet may omit it");
			continue;
		}
		if (nolen)
			fx->nolen |= (uint16_t)(1u << ifc->naddrs);
		ifc->addr_locs[ifc->naddrs] = xp_mloc(x, w->loc);
		ifc->addrs[ifc->naddrs++] = p;
	}
	if (st->u.iface.mac && !ifc->mac_auto && check_mac(x, st->u.iface.mac, &ifc->mac)) {
		ifc->has_mac = true;
		ifc->mac_loc = xp_mloc(x, st->u.iface.mac->loc);
	}
	if (st->u.iface.mtu && xp_word_u32(x, st->u.iface.mtu, "MTU", 68, 65535, &ifc->mtu)) {
		ifc->mtu_loc = xp_mloc(x, st->u.iface.mtu->loc);
		for (i = 0; ifc->mtu < 1280 && i < ifc->naddrs; i++) {
			if (ifc->addrs[i].addr.family == AF_INET6) {
				xp_xerr(x, st->u.iface.mtu->loc,
					"MTU %u is too small for IPv6 (at least 1280)", ifc->mtu);
				break;
			}
		}
	}
}

void xp_route(struct xctx *x, struct ot_ast_stmt *st)
{
	struct cscratch *cs = &x->cs;
	struct ot_m_route r;
	struct nref *dev;
	char a[OT_PREFIX_STRLEN], b[OT_PREFIX_STRLEN];
	size_t i;

	memset(&r, 0, sizeof(r));
	r.loc = xp_mloc(x, st->loc);
	if (st->u.route.dst) {
		struct ot_prefix net;

		if (!xp_word_prefix(x, st->u.route.dst, false, "route destination",
				    "'default' or a prefix such as 10.1.0.0/16", &r.dst, NULL))
			return;
		net = ot_prefix_network(&r.dst);
		if (memcmp(net.addr.bytes, r.dst.addr.bytes, sizeof(net.addr.bytes)) != 0) {
			struct ot_diag *g;

			ot_prefix_format(&r.dst, a, sizeof(a));
			ot_prefix_format(&net, b, sizeof(b));
			g = xp_xerr(x, st->u.route.dst->loc,
				    "route destination %s has host bits set", a);
			xp_xhint(x, g, "did you mean %s?", b);
			return;
		}
	}
	if (st->u.route.via) {
		if (!xp_word_addr(x, st->u.route.via, "gateway", &r.via))
			return;
		r.has_via = true;
		if (st->u.route.dst && r.via.family != r.dst.addr.family) {
			xp_xerr(x, st->u.route.via->loc, "gateway is %s but the destination is %s",
				r.via.family == AF_INET6 ? "IPv6" : "IPv4",
				r.dst.addr.family == AF_INET6 ? "IPv6" : "IPv4");
			return;
		}
	}
	if (!st->u.route.dst)
		r.dst.addr.family = r.has_via ? r.via.family : AF_INET;
	if (st->u.route.metric &&
	    !xp_word_u32(x, st->u.route.metric, "metric", 0, MAX_METRIC, &r.metric))
		return;
	for (i = 0; i < cs->routes.n; i++) {
		const struct ot_m_route *o = &cs->routes.v[i];

		if (o->metric == r.metric && o->dst.len == r.dst.len &&
		    ot_addr_equal(&o->dst.addr, &r.dst.addr)) {
			struct ot_diag *g;

			ot_prefix_format(&r.dst, a, sizeof(a));
			g = xp_xerr(x, st->loc, "duplicate route to %s in container '%s'",
				    r.dst.len ? a : "default", cs->c->name);
			ot_diag_note(g, o->loc, "first given here");
			return;
		}
	}
	if (cs->routes.n >= OT_MAX_ROUTES) {
		xp_xerr(x, st->loc, "too many routes in container '%s' (the limit is %d)",
			cs->c->name, OT_MAX_ROUTES);
		return;
	}
	if (!xp_total_add(x, st->loc, XP_TOTAL_ROUTES, 1))
		return;
	dev = VPUSH(x, cs->route_dev);
	if (!dev || !VPUSH(x, cs->routes))
		return;
	cs->routes.v[cs->routes.n - 1] = r;
	if (st->u.route.dev) {
		dev->name = xp_word_name(x, st->u.route.dev, "interface");
		dev->loc = st->u.route.dev->loc;
	}
}

static bool sysctl_key_ok(const char *k)
{
	size_t i, n = strlen(k), seg = 0;

	if (n > MAX_SYSCTL_KEY || strncmp(k, "net.", 4) != 0)
		return false;
	for (i = 0; i < n; i++) {
		char c = k[i];

		if (c == '.') {
			if (seg == 0)
				return false;
			seg = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
		seg++;
	}
	return seg > 0;
}

void xp_sysctl(struct xctx *x, struct ot_ast_stmt *st)
{
	struct cscratch *cs = &x->cs;
	struct ot_m_sysctl *s;
	const char *t;
	char *key, buf[80];
	struct ot_strbuf val = OT_STRBUF_INIT;
	size_t i;

	t = xp_word_text(x, st->u.sysctl.key);
	if (!t)
		return;
	if (!sysctl_key_ok(t)) {
		struct ot_diag *g;

		if (strncmp(t, "net.", 4) != 0) {
			g = xp_xerr(x, st->u.sysctl.key->loc, "sysctl '%s' is not a network sysctl",
				    xp_shown(t, buf, sizeof(buf)));
			xp_xhint(x, g, "only net.* sysctls belong to a network namespace");
		} else {
			g = xp_xerr(x, st->u.sysctl.key->loc, "invalid sysctl key '%s'",
				    xp_shown(t, buf, sizeof(buf)));
			xp_xhint(x, g,
				 "dot-separated names of letters, digits, '_' and '-', such as "
				 "net.ipv4.tcp_ecn");
		}
		return;
	}
	key = ot_arena_strdup(x->ma, t);
	if (!key) {
		x->oom = true;
		return;
	}
	for (i = 0; key[i]; i++)
		if (key[i] == '.')
			key[i] = '/';
	for (i = 0; i < st->u.sysctl.nvals; i++) {
		t = xp_word_text(x, st->u.sysctl.vals[i]);
		if (!t) {
			ot_sb_free(&val);
			return;
		}
		if (i)
			ot_sb_putc(&val, ' ');
		ot_sb_append(&val, t);
	}
	t = ot_sb_str(&val);
	for (i = 0; t[i]; i++)
		if ((unsigned char)t[i] < 0x20 || t[i] == 0x7f)
			break;
	if (t[i] || val.len > MAX_SYSCTL_VALUE || val.len == 0) {
		xp_xerr(x, st->u.sysctl.vals[0]->loc, "invalid sysctl value: %s",
			val.len == 0 ? "empty"
			: t[i]	     ? "control characters"
				     : "longer than 256 bytes");
		ot_sb_free(&val);
		return;
	}
	for (i = 0; i < cs->sysctls.n; i++) {
		if (strcmp(cs->sysctls.v[i].key, key) == 0) {
			struct ot_diag *g =
			    xp_xerr(x, st->u.sysctl.key->loc, "duplicate sysctl '%s'",
				    xp_word_text(x, st->u.sysctl.key));

			ot_diag_note(g, cs->sysctls.v[i].loc, "first set here");
			ot_sb_free(&val);
			return;
		}
	}
	if (cs->sysctls.n >= OT_MAX_SYSCTLS) {
		xp_xerr(x, st->loc, "too many sysctls in container '%s' (the limit is %d)",
			cs->c->name, OT_MAX_SYSCTLS);
		ot_sb_free(&val);
		return;
	}
	if (!xp_total_add(x, st->loc, XP_TOTAL_SYSCTLS, 1)) {
		ot_sb_free(&val);
		return;
	}
	s = VPUSH(x, cs->sysctls);
	if (s) {
		s->loc = xp_mloc(x, st->loc);
		s->key = key;
		s->value = ot_arena_strdup(x->ma, t);
		if (!s->value)
			x->oom = true;
	}
	ot_sb_free(&val);
}

void xp_forward(struct xctx *x, struct ot_ast_stmt *st)
{
	struct cscratch *cs = &x->cs;

	if (cs->forward_set) {
		xp_duplicate(x, st->loc, cs->c->forward_loc, "'forward'");
		return;
	}
	cs->forward_set = true;
	cs->c->forward = true;
	cs->c->forward_loc = xp_mloc(x, st->loc);
}

void xp_block(struct xctx *x, struct ot_ast_stmt *st)
{
	xp_expand_list(x, st->body);
}

/* "256M", "1G", "1048576": bytes, with binary K/M/G/T suffixes. */
bool xp_parse_size(const char *t, uint64_t *ret)
{
	static const char units[] = "KMGT";
	char num[24];
	size_t n = strlen(t);
	unsigned shift = 0;
	const char *u;
	uint64_t v;

	if (n == 0 || n >= sizeof(num))
		return false;
	u = strchr(units, t[n - 1] >= 'a' ? t[n - 1] - 32 : t[n - 1]);
	if (u && t[n - 1] != '\0') {
		shift = 10 * (unsigned)(u - units + 1);
		n--;
	}
	memcpy(num, t, n);
	num[n] = '\0';
	if (!xp_parse_u64(num, &v))
		return false;
	if (v > (UINT64_MAX >> shift))
		v = UINT64_MAX;
	else
		v <<= shift;
	*ret = v;
	return true;
}

void xp_limit(struct xctx *x, struct ot_ast_stmt *st)
{
	struct cscratch *cs = &x->cs;
	struct ot_m_container *c = cs->c;
	char buf[80];
	const char *t;

	if (st->u.limit.cpu) {
		struct ot_ast_word *w = st->u.limit.cpu;
		uint64_t v;
		char num[24];
		size_t n;

		if (cs->cpu_set) {
			xp_duplicate(x, w->loc, cs->cpu_loc, "cpu limit");
		} else if ((t = xp_word_text(x, w)) != NULL) {
			n = strlen(t);
			if (n < 2 || n >= sizeof(num) || t[n - 1] != '%') {
				struct ot_diag *g = xp_xerr(x, w->loc, "invalid cpu limit '%s'",
							    xp_shown(t, buf, sizeof(buf)));

				xp_xhint(
				    x, g,
				    "a percentage of one CPU: 50%% is half a CPU, 200%% two CPUs");
			} else {
				memcpy(num, t, n - 1);
				num[n - 1] = '\0';
				if (!xp_parse_u64(num, &v)) {
					struct ot_diag *g =
					    xp_xerr(x, w->loc, "invalid cpu limit '%s'",
						    xp_shown(t, buf, sizeof(buf)));

					xp_xhint(
					    x, g,
					    "a percentage of one CPU: 50%% is half a CPU, 200%% "
					    "two CPUs");
				} else if (v < 1 || v > MAX_CPU_PCT) {
					xp_xerr(x, w->loc,
						"cpu limit %s is out of range (1%%..%u%%)", t,
						MAX_CPU_PCT);
				} else {
					cs->cpu_set = true;
					cs->cpu_loc = w->loc;
					c->cpu_pct = (uint32_t)v;
				}
			}
		}
	}
	if (st->u.limit.memory) {
		struct ot_ast_word *w = st->u.limit.memory;
		uint64_t v;

		if (cs->mem_set) {
			xp_duplicate(x, w->loc, cs->mem_loc, "memory limit");
		} else if ((t = xp_word_text(x, w)) != NULL) {
			if (!xp_parse_size(t, &v)) {
				struct ot_diag *g = xp_xerr(x, w->loc, "invalid memory limit '%s'",
							    xp_shown(t, buf, sizeof(buf)));

				xp_xhint(
				    x, g,
				    "bytes, or a number with K, M, G or T (binary units): 256M");
			} else if (v < MIN_MEMORY || v > MAX_MEMORY) {
				xp_xerr(x, w->loc, "memory limit %s is out of range (1M..1024T)",
					t);
			} else {
				cs->mem_set = true;
				cs->mem_loc = w->loc;
				c->memory = v;
			}
		}
	}
	if (st->u.limit.pids) {
		struct ot_ast_word *w = st->u.limit.pids;
		uint32_t v;

		if (cs->pids_set) {
			xp_duplicate(x, w->loc, cs->pids_loc, "pids limit");
		} else if (xp_word_u32(x, w, "pids limit", 1, MAX_PIDS, &v)) {
			cs->pids_set = true;
			cs->pids_loc = w->loc;
			c->pids = v;
		}
	}
	if (!c->limit_loc.line)
		c->limit_loc = xp_mloc(x, st->loc);
}

void xp_ranks(struct xctx *x, struct ot_ast_stmt *st)
{
	struct cscratch *cs = &x->cs;
	uint32_t i;

	if (!cs->ranks_set) {
		cs->ranks_set = true;
		cs->c->ranks_loc = xp_mloc(x, st->loc);
	}
	for (i = 0; i < st->u.list.n; i++) {
		struct ot_ast_word *w = st->u.list.v[i];
		const char *t = xp_word_text(x, w);
		struct ot_rank_range *r;
		uint64_t a, b;
		char buf[80];

		if (!t)
			continue;
		if (!xp_parse_u64_range(t, "..", &a, &b)) {
			struct ot_diag *g =
			    xp_xerr(x, w->loc, "invalid rank '%s'", xp_shown(t, buf, sizeof(buf)));

			xp_xhint(x, g, "a rank (4) or an inclusive range (0..3)");
			continue;
		}
		if (a > MAX_RANK || b > MAX_RANK) {
			xp_xerr(x, w->loc, "rank %s is out of range (0..%u)",
				xp_shown(t, buf, sizeof(buf)), MAX_RANK);
			continue;
		}
		if (a > b) {
			xp_xerr(x, w->loc, "rank range %s is reversed", t);
			continue;
		}
		if (cs->ranks.n >= OT_MAX_RANK_RANGES) {
			xp_xerr(x, w->loc,
				"too many rank ranges in container '%s' (the limit is %d)",
				cs->c->name, OT_MAX_RANK_RANGES);
			return;
		}
		if (!xp_total_add(x, w->loc, XP_TOTAL_RANKS, 1))
			return;
		r = VPUSH(x, cs->ranks);
		if (!r)
			return;
		r->first = (uint32_t)a;
		r->last = (uint32_t)b;
	}
}

/* ------------------------------------------------------------------ */
/* firewall and NAT                                                     */

static const enum ot_m_dir dir_map[] = {
    [OT_AD_IN] = OT_M_IN,
    [OT_AD_OUT] = OT_M_OUT,
    [OT_AD_FORWARD] = OT_M_FORWARD,
};

static const enum ot_m_action action_map[] = {
    [OT_AA_ALLOW] = OT_M_ALLOW,
    [OT_AA_DROP] = OT_M_DROP,
    [OT_AA_REJECT] = OT_M_REJECT,
};

const char *xp_family_name(uint8_t f)
{
	return f == AF_INET6 ? "IPv6" : "IPv4";
}

/* Merge a family implied by one part of a rule into *fam; false on conflict. */
static bool merge_family(struct xctx *x, uint8_t *fam, struct ot_loc *fam_loc, uint8_t f,
			 struct ot_loc loc, const char *what)
{
	if (!*fam) {
		*fam = f;
		*fam_loc = loc;
		return true;
	}
	if (*fam == f)
		return true;
	{
		struct ot_diag *g = xp_xerr(x, loc, "%s is %s, but the rule is %s", what,
					    xp_family_name(f), xp_family_name(*fam));

		ot_diag_note(g, *fam_loc, "the rule's family comes from here");
	}
	return false;
}

static bool check_rule_count(struct xctx *x, struct ot_loc loc)
{
	if (x->cs.rules.n + x->cs.nats.n < OT_MAX_RULES)
		return xp_total_add(x, loc, XP_TOTAL_RULES, 1);
	xp_xerr(x, loc, "too many firewall and nat rules in container '%s' (the limit is %d)",
		x->cs.c->name, OT_MAX_RULES);
	return false;
}

void xp_rule(struct xctx *x, struct ot_ast_stmt *st)
{
	struct cscratch *cs = &x->cs;
	struct ot_m_rule r;
	struct ot_loc fam_loc = st->u.rule.family_loc;
	struct nref *iif, *oif;
	bool ok = true;

	memset(&r, 0, sizeof(r));
	r.loc = xp_mloc(x, st->loc);
	r.dir = dir_map[st->u.rule.dir];
	r.action = action_map[st->u.rule.action];
	r.family = st->u.rule.family;
	r.l4proto = st->u.rule.proto;
	if (r.l4proto == IPPROTO_ICMP)
		ok &= merge_family(x, &r.family, &fam_loc, AF_INET, st->u.rule.proto_loc, "icmp");
	else if (r.l4proto == IPPROTO_ICMPV6)
		ok &=
		    merge_family(x, &r.family, &fam_loc, AF_INET6, st->u.rule.proto_loc, "icmpv6");
	if (st->u.rule.from) {
		if (xp_word_prefix(x, st->u.rule.from, false, "address",
				   "an address or a prefix such as 10.0.0.0/24", &r.src, NULL)) {
			r.has_src = true;
			ok &= merge_family(x, &r.family, &fam_loc, r.src.addr.family,
					   st->u.rule.from->loc, "the 'from' address");
		} else {
			ok = false;
		}
	}
	if (st->u.rule.to) {
		if (xp_word_prefix(x, st->u.rule.to, false, "address",
				   "an address or a prefix such as 10.0.0.0/24", &r.dst, NULL)) {
			r.has_dst = true;
			ok &= merge_family(x, &r.family, &fam_loc, r.dst.addr.family,
					   st->u.rule.to->loc, "the 'to' address");
		} else {
			ok = false;
		}
	}
	if (st->u.rule.nsports || st->u.rule.ndports) {
		if (r.l4proto != IPPROTO_TCP && r.l4proto != IPPROTO_UDP) {
			struct ot_diag *g = xp_xerr(
			    x, (st->u.rule.nsports ? st->u.rule.sports : st->u.rule.dports)[0]->loc,
			    "ports need 'tcp' or 'udp'");

			xp_xhint(x, g, "allow in tcp dport 22");
			ok = false;
		} else {
			ok &= xp_word_ports(x, st->u.rule.sports, st->u.rule.nsports, &r.sport);
			ok &= xp_word_ports(x, st->u.rule.dports, st->u.rule.ndports, &r.dport);
		}
	}
	if (st->u.rule.oif && r.dir == OT_M_IN) {
		xp_xerr(x, st->u.rule.oif->loc,
			"'oif' cannot be used with 'in': incoming traffic has no "
			"output interface");
		ok = false;
	}
	if (st->u.rule.iif && r.dir == OT_M_OUT) {
		xp_xerr(x, st->u.rule.iif->loc,
			"'iif' cannot be used with 'out': outgoing traffic has no "
			"input interface");
		ok = false;
	}
	if (!ok || !check_rule_count(x, st->loc))
		return;
	iif = VPUSH(x, cs->rule_iif);
	oif = VPUSH(x, cs->rule_oif);
	if (!iif || !oif || !VPUSH(x, cs->rules))
		return;
	cs->rules.v[cs->rules.n - 1] = r;
	if (st->u.rule.iif) {
		iif->name = xp_word_name(x, st->u.rule.iif, "interface");
		iif->loc = st->u.rule.iif->loc;
	}
	if (st->u.rule.oif) {
		oif->name = xp_word_name(x, st->u.rule.oif, "interface");
		oif->loc = st->u.rule.oif->loc;
	}
	/* keep the three vectors in step even when a name was invalid */
}

void xp_policy(struct xctx *x, struct ot_ast_stmt *st)
{
	struct cscratch *cs = &x->cs;
	enum ot_m_dir d = dir_map[st->u.policy.dir];

	if (cs->policy_set[d]) {
		struct ot_diag *g = xp_xerr(x, st->loc, "duplicate policy for '%s'",
					    d == OT_M_IN    ? "in"
					    : d == OT_M_OUT ? "out"
							    : "forward");

		ot_diag_note(g, cs->policy_loc[d], "first given here");
		return;
	}
	cs->policy_set[d] = true;
	cs->policy_loc[d] = st->loc;
	cs->c->policy_drop[d] = st->u.policy.drop;
}

/* "10.0.0.5", "10.0.0.5:8080", "fd00::5", "[fd00::5]:8080". */
static bool nat_target(struct xctx *x, struct ot_ast_word *w, struct ot_addr *a, uint16_t *port)
{
	const char *t = xp_word_text(x, w), *colon = NULL;
	char buf[80], addr[OT_ADDR_STRLEN + 2];
	uint64_t pv;
	size_t n;

	if (!t)
		return false;
	*port = 0;
	if (t[0] == '[') {
		const char *close = strchr(t, ']');

		if (!close || (close[1] && close[1] != ':'))
			goto bad;
		n = (size_t)(close - t - 1);
		colon = close[1] ? close + 1 : NULL;
		t++;
	} else {
		colon = strchr(t, ':');
		if (colon && strchr(colon + 1, ':'))
			colon = NULL; /* a bare IPv6 address */
		n = colon ? (size_t)(colon - t) : strlen(t);
	}
	if (n >= sizeof(addr))
		goto bad;
	memcpy(addr, t, n);
	addr[n] = '\0';
	if (ot_addr_parse(addr, a) < 0)
		goto bad;
	if (colon) {
		if (!xp_parse_u64(colon + 1, &pv))
			goto bad;
		if (pv < 1 || pv > 65535) {
			xp_xerr(x, w->loc, "port %s is out of range (1..65535)", colon + 1);
			return false;
		}
		*port = (uint16_t)pv;
	}
	return true;
bad : {
	struct ot_diag *g = xp_xerr(x, w->loc, "invalid NAT target '%s'",
				    xp_shown(xp_word_text(x, w), buf, sizeof(buf)));

	xp_xhint(x, g, "an address, ADDRESS:PORT, or [IPV6]:PORT");
}
	return false;
}

void xp_nat(struct xctx *x, struct ot_ast_stmt *st)
{
	static const enum ot_m_nat_kind kinds[] = {
	    [OT_A_MASQUERADE] = OT_M_MASQUERADE,
	    [OT_A_SNAT] = OT_M_SNAT,
	    [OT_A_DNAT] = OT_M_DNAT,
	};
	struct cscratch *cs = &x->cs;
	struct ot_m_nat n;
	struct nref *ref;
	bool ok = true;

	memset(&n, 0, sizeof(n));
	n.loc = xp_mloc(x, st->loc);
	n.kind = kinds[st->kind];
	n.l4proto = st->u.nat.proto;
	if (st->u.nat.from) {
		ok &= xp_word_prefix(x, st->u.nat.from, false, "address",
				     "an address or a prefix such as 10.0.0.0/24", &n.src, NULL);
		n.has_src = ok;
	}
	if (st->u.nat.to) {
		if (n.kind == OT_M_SNAT)
			ok &= xp_word_addr(x, st->u.nat.to, "NAT address", &n.to);
		else
			ok &= nat_target(x, st->u.nat.to, &n.to, &n.to_port);
	}
	if (ok && n.has_src && n.to.family && n.src.addr.family != n.to.family) {
		xp_xerr(x, st->u.nat.to->loc, "the 'to' address is %s but 'from' is %s",
			xp_family_name(n.to.family), xp_family_name(n.src.addr.family));
		ok = false;
	}
	if (st->u.nat.ndports) {
		if (!n.l4proto) {
			struct ot_diag *g =
			    xp_xerr(x, st->u.nat.dports[0]->loc, "ports need 'tcp' or 'udp'");

			xp_xhint(x, g, "dnat in eth0 tcp dport 80 to 10.0.0.5:8080");
			ok = false;
		} else {
			ok &= xp_word_ports(x, st->u.nat.dports, st->u.nat.ndports, &n.dport);
		}
	}
	if (ok && n.to_port && !n.l4proto) {
		xp_xerr(x, st->u.nat.to->loc, "a target port needs 'tcp' or 'udp'");
		ok = false;
	}
	if (!ok || !check_rule_count(x, st->loc))
		return;
	ref = VPUSH(x, cs->nat_if);
	if (!ref || !VPUSH(x, cs->nats))
		return;
	cs->nats.v[cs->nats.n - 1] = n;
	if (st->u.nat.ifname) {
		ref->name = xp_word_name(x, st->u.nat.ifname, "interface");
		ref->loc = st->u.nat.ifname->loc;
	}
}

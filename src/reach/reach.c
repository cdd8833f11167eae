/*
 * reach.c - the reachability oracle (see reach.h for what it models).
 *
 * Building: every plan's operations are replayed into tables - namespaces
 * (one global table over all plans; a plan's host namespace is its node's),
 * interfaces (with their up flag, master, VXLAN VNI and FDB peers),
 * addresses, routes, forwarding flags and nftables tables - and the
 * interfaces are joined into L2 segments with a union-find.
 *
 * Evaluating: a packet is walked from namespace to namespace (at most
 * MAX_HOPS), first the request, then its answer from wherever the request
 * was delivered, with a small connection-tracking table that records, per
 * namespace the request crossed, the packet as it came in and as it left
 * (NAT), so the answer is recognised ("established") and un-NATed there.
 * Every IPv6 hop first resolves its neighbour: the solicitation and the
 * advertisement are walked through the filter chains of both ends, as
 * untracked packets (conntrack leaves ND untracked), so a drop policy
 * without the compiler's ND accept rule loses IPv6 as the kernel does.
 */
#include "reach/reach.h"

#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define MAX_HOPS 32
#define MAX_CT	 (2 * MAX_HOPS + 2)

/* Source ports the live prober uses for requests (tests/differential). */
#define EPH_LO 20000
#define EPH_HI 59999

struct r_ns {
	const struct ot_plan *p;
	int pns; /* index in p->ns */
	const char *node;
	bool fwd4, fwd6;
	int endpoint;	   /* -1 = not an endpoint */
	const char *label; /* container name or "@node" */
};

struct r_if {
	int ns;
	char name[OT_IFNAMSIZ];
	enum ot_link_kind kind;
	bool up;
	char master[OT_IFNAMSIZ];
	int peer; /* veth peer, -1 */
	uint32_t vni;
	uint16_t port;
	char lower[OT_IFNAMSIZ];
	int parent; /* union-find */
};

struct r_addr {
	int ns, ifx;
	struct ot_prefix pf;
};

struct r_route {
	int ns;
	struct ot_prefix dst;
	struct ot_addr via; /* family 0 = none */
	char dev[OT_IFNAMSIZ];
	uint32_t metric;
};

struct r_fdb {
	int ns;
	char dev[OT_IFNAMSIZ];
	const char *dst_node;
};

struct r_nft {
	int ns;
	const struct ot_op_nft *t;
};

struct ot_reach {
	const struct ot_plan *const *plans;
	size_t nplans;
	struct r_ns *ns;
	size_t nns;
	struct r_if *ifs;
	size_t nifs;
	struct r_addr *addrs;
	size_t naddrs;
	struct r_route *routes;
	size_t nroutes;
	struct r_fdb *fdbs;
	size_t nfdbs;
	struct r_nft *nfts;
	size_t nnfts;
	struct ot_reach_endpoint *eps;
	size_t neps;
	struct ot_reach_class *classes;
	size_t nclasses;
};

/* ------------------------------------------------------------------ */
/* building                                                            */

#define GROW(arr, n, extra)                                                                        \
	({                                                                                         \
		void *np_ = realloc((arr), ((n) + (extra)) * sizeof(*(arr)));                      \
		if (np_)                                                                           \
			(arr) = np_;                                                               \
		np_ != NULL;                                                                       \
	})

static int if_find(const struct ot_reach *r, int ns, const char *name)
{
	size_t i;

	for (i = 0; i < r->nifs; i++)
		if (r->ifs[i].ns == ns && strncmp(r->ifs[i].name, name, OT_IFNAMSIZ) == 0)
			return (int)i;
	return -1;
}

static int if_add(struct ot_reach *r, int ns, const char *name, enum ot_link_kind kind)
{
	struct r_if *f;

	if (!GROW(r->ifs, r->nifs, 1))
		return -ENOMEM;
	f = &r->ifs[r->nifs];
	memset(f, 0, sizeof(*f));
	f->ns = ns;
	snprintf(f->name, sizeof(f->name), "%.15s", name);
	f->kind = kind;
	f->peer = -1;
	f->parent = (int)r->nifs;
	return (int)r->nifs++;
}

static int uf_find(struct ot_reach *r, int i)
{
	while (r->ifs[i].parent != i) {
		r->ifs[i].parent = r->ifs[r->ifs[i].parent].parent;
		i = r->ifs[i].parent;
	}
	return i;
}

static void uf_join(struct ot_reach *r, int a, int b)
{
	a = uf_find(r, a);
	b = uf_find(r, b);
	if (a != b)
		r->ifs[a].parent = b;
}

/* The global namespace of plan pi's namespace pns (hosts are per node). */
static int ns_of(const struct ot_reach *r, const int *map, int pns)
{
	return map[pns];
}

static int add_plan_ns(struct ot_reach *r, const struct ot_plan *p, int *map)
{
	size_t i, j;

	if (!GROW(r->ns, r->nns, p->nns))
		return -ENOMEM;
	for (i = 0; i < p->nns; i++) {
		struct r_ns *n;

		if (i == OT_NS_HOST_INDEX) {
			for (j = 0; j < r->nns; j++)
				if (r->ns[j].pns == OT_NS_HOST_INDEX &&
				    strcmp(r->ns[j].node, p->node) == 0)
					break;
			if (j < r->nns) {
				map[i] = (int)j;
				continue;
			}
		}
		n = &r->ns[r->nns];
		memset(n, 0, sizeof(*n));
		n->p = p;
		n->pns = (int)i;
		n->node = p->node;
		n->endpoint = -1;
		n->label = p->ns[i].container;
		map[i] = (int)r->nns++;
	}
	return 0;
}

static int replay_op(struct ot_reach *r, const struct ot_plan *p, const int *map,
		     const struct ot_op *op)
{
	int ns = ns_of(r, map, op->ns), f;

	switch (op->kind) {
	case OT_OP_LINK: {
		const struct ot_op_link *l = &op->link;

		if ((f = if_add(r, ns, l->name, l->kind)) < 0)
			return f;
		snprintf(r->ifs[f].master, OT_IFNAMSIZ, "%.15s", l->master);
		r->ifs[f].vni = l->vni;
		r->ifs[f].port = l->port;
		snprintf(r->ifs[f].lower, OT_IFNAMSIZ, "%.15s", l->lower);
		if (l->kind == OT_LINK_VETH) {
			int g = if_add(r, ns_of(r, map, l->peer_ns), l->peer_name, OT_LINK_VETH);

			if (g < 0)
				return g;
			snprintf(r->ifs[g].master, OT_IFNAMSIZ, "%.15s", l->peer_master);
			r->ifs[f].peer = g;
			r->ifs[g].peer = f;
		}
		return 0;
	}
	case OT_OP_LINK_UP:
		if ((f = if_find(r, ns, op->dev)) >= 0)
			r->ifs[f].up = true;
		return 0;
	case OT_OP_ADDR:
		if (!GROW(r->addrs, r->naddrs, 1))
			return -ENOMEM;
		r->addrs[r->naddrs].ns = ns;
		r->addrs[r->naddrs].ifx = if_find(r, ns, op->addr.dev);
		r->addrs[r->naddrs++].pf = op->addr.addr;
		return 0;
	case OT_OP_ROUTE: {
		struct r_route *rt;

		if (!GROW(r->routes, r->nroutes, 1))
			return -ENOMEM;
		rt = &r->routes[r->nroutes++];
		rt->ns = ns;
		rt->dst = op->route.dst;
		rt->via = op->route.via;
		memcpy(rt->dev, op->route.dev, OT_IFNAMSIZ);
		rt->metric = op->route.metric;
		return 0;
	}
	case OT_OP_FDB:
		if (!GROW(r->fdbs, r->nfdbs, 1))
			return -ENOMEM;
		r->fdbs[r->nfdbs].ns = ns;
		memcpy(r->fdbs[r->nfdbs].dev, op->fdb.dev, OT_IFNAMSIZ);
		r->fdbs[r->nfdbs++].dst_node = op->fdb.dst_node;
		return 0;
	case OT_OP_SYSCTL: {
		bool on = strcmp(op->sysctl.value, "1") == 0;

		if (strcmp(op->sysctl.key, "net/ipv4/ip_forward") == 0 ||
		    strcmp(op->sysctl.key, "net/ipv4/conf/all/forwarding") == 0)
			r->ns[ns].fwd4 = on;
		else if (strcmp(op->sysctl.key, "net/ipv6/conf/all/forwarding") == 0)
			r->ns[ns].fwd6 = on;
		return 0;
	}
	case OT_OP_NFT:
		if (!GROW(r->nfts, r->nnfts, 1))
			return -ENOMEM;
		r->nfts[r->nnfts].ns = ns;
		r->nfts[r->nnfts++].t = &op->nft;
		return 0;
	default:
		return 0;
	}
}

static bool plan_has_node(const struct ot_reach *r, const char *node)
{
	size_t i;

	for (i = 0; i < r->nplans; i++)
		if (strcmp(r->plans[i]->node, node) == 0)
			return true;
	return false;
}

/* Join interfaces into L2 segments: veth pairs, bridge ports, VXLAN devices
 * of one VNI whose FDB names each other's node, macvlans on one lower. */
static void join_segments(struct ot_reach *r)
{
	size_t i, j, k;

	for (i = 0; i < r->nifs; i++) {
		struct r_if *f = &r->ifs[i];
		int m;

		if (!f->up)
			continue;
		if (f->peer >= 0 && r->ifs[f->peer].up)
			uf_join(r, (int)i, f->peer);
		if (f->master[0] && (m = if_find(r, f->ns, f->master)) >= 0 && r->ifs[m].up)
			uf_join(r, (int)i, m);
		if (f->kind == OT_LINK_MACVLAN)
			for (j = 0; j < i; j++)
				if (r->ifs[j].kind == OT_LINK_MACVLAN && r->ifs[j].up &&
				    strcmp(r->ns[r->ifs[j].ns].node, r->ns[f->ns].node) == 0 &&
				    strcmp(r->ifs[j].lower, f->lower) == 0)
					uf_join(r, (int)i, (int)j);
		if (f->kind != OT_LINK_VXLAN)
			continue;
		for (k = 0; k < r->nfdbs; k++) {
			if (r->fdbs[k].ns != f->ns || strncmp(r->fdbs[k].dev, f->name, OT_IFNAMSIZ))
				continue;
			for (j = 0; j < r->nifs; j++) {
				const struct r_if *g = &r->ifs[j];

				if (g->kind == OT_LINK_VXLAN && g->up && g->vni == f->vni &&
				    g->port == f->port && r->fdbs[k].dst_node &&
				    strcmp(r->ns[g->ns].node, r->fdbs[k].dst_node) == 0)
					uf_join(r, (int)i, (int)j);
			}
		}
	}
}

static int add_endpoints(struct ot_reach *r)
{
	size_t i, k;

	r->eps = calloc(r->nns ? r->nns : 1, sizeof(*r->eps));
	if (!r->eps)
		return -ENOMEM;
	for (i = 0; i < r->nns; i++) {
		struct r_ns *n = &r->ns[i];
		struct ot_reach_endpoint *e = &r->eps[r->neps];
		size_t na = 0;

		for (k = 0; k < r->naddrs; k++)
			na += r->addrs[k].ns == (int)i;
		if (n->p->ns[n->pns].role == OT_NS_SWITCH || (n->pns == OT_NS_HOST_INDEX && !na))
			continue;
		e->host = n->pns == OT_NS_HOST_INDEX;
		if (e->host) {
			char *s = malloc(strlen(n->node) + 2);

			if (!s)
				return -ENOMEM;
			sprintf(s, "@%s", n->node);
			e->name = s;
			n->label = s;
		} else {
			e->name = n->label;
		}
		e->node = n->node;
		e->netns = n->p->ns[n->pns].name;
		e->addrs = calloc(na ? na : 1, sizeof(*e->addrs));
		if (!e->addrs)
			return -ENOMEM;
		for (k = 0; k < r->naddrs; k++)
			if (r->addrs[k].ns == (int)i)
				e->addrs[e->naddrs++] = r->addrs[k].pf.addr;
		n->endpoint = (int)r->neps++;
	}
	return 0;
}

static int class_cmp(const void *a, const void *b)
{
	const struct ot_reach_class *x = a, *y = b;

	if (x->proto != y->proto)
		return x->proto - y->proto;
	return (int)x->port - (int)y->port;
}

static bool port_named(const struct ot_reach *r, uint16_t port)
{
	size_t i;

	for (i = 0; i < r->nclasses; i++)
		if (r->classes[i].proto && r->classes[i].port == port)
			return true;
	return false;
}

static int add_port(struct ot_reach *r, uint16_t port, bool named)
{
	if (!port || (named && port_named(r, port)))
		return 0;
	if (!GROW(r->classes, r->nclasses, 2))
		return -ENOMEM;
	r->classes[r->nclasses++] = (struct ot_reach_class){IPPROTO_TCP, port, named};
	r->classes[r->nclasses++] = (struct ot_reach_class){IPPROTO_UDP, port, named};
	return 0;
}

static int add_classes(struct ot_reach *r)
{
	uint16_t unnamed = 9000;
	size_t i, k;
	int e;

	if (!GROW(r->classes, r->nclasses, 1))
		return -ENOMEM;
	r->classes[r->nclasses++] = (struct ot_reach_class){0, 0, true};
	for (i = 0; i < r->nnfts; i++)
		for (k = 0; k < r->nfts[i].t->nrules; k++) {
			const struct ot_nft_rule *ru = &r->nfts[i].t->rules[k];
			uint16_t j;

			for (j = 0; j < ru->dport.n && j < OT_PORTS_MAX; j++)
				if ((e = add_port(r, ru->dport.r[j].lo, true)) < 0)
					return e;
			if ((e = add_port(r, ru->nat_port, true)) < 0)
				return e;
		}
	while (port_named(r, unnamed))
		unnamed++;
	if ((e = add_port(r, unnamed, false)) < 0)
		return e;
	qsort(r->classes, r->nclasses, sizeof(*r->classes), class_cmp);
	return 0;
}

int ot_reach_new(const struct ot_plan *const *plans, size_t nplans, struct ot_reach **ret,
		 struct ot_error *err)
{
	struct ot_reach *r = calloc(1, sizeof(*r));
	size_t i, k;
	int e = 0;

	if (!r)
		return ot_error_set(err, -ENOMEM, "out of memory");
	r->plans = plans;
	r->nplans = nplans;
	for (i = 0; i < nplans && !e; i++) {
		const struct ot_plan *p = plans[i];
		int *map = calloc(p->nns ? p->nns : 1, sizeof(*map));

		if (!map || (e = add_plan_ns(r, p, map)) < 0) {
			free(map);
			e = -ENOMEM;
			break;
		}
		for (k = 0; k < p->nops && !e; k++)
			e = replay_op(r, p, map, &p->ops[k]);
		free(map);
	}
	if (!e) {
		join_segments(r);
		e = add_endpoints(r);
	}
	if (!e)
		e = add_classes(r);
	if (e < 0) {
		ot_reach_free(r);
		return ot_error_set(err, e, "reach: out of memory");
	}
	*ret = r;
	return 0;
}

void ot_reach_free(struct ot_reach *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->neps; i++) {
		if (r->eps[i].host)
			free((char *)r->eps[i].name);
		free(r->eps[i].addrs);
	}
	free(r->eps);
	free(r->ns);
	free(r->ifs);
	free(r->addrs);
	free(r->routes);
	free(r->fdbs);
	free(r->nfts);
	free(r->classes);
	free(r);
}

size_t ot_reach_nendpoints(const struct ot_reach *r)
{
	return r->neps;
}

const struct ot_reach_endpoint *ot_reach_endpoint(const struct ot_reach *r, size_t i)
{
	return i < r->neps ? &r->eps[i] : NULL;
}

int ot_reach_endpoint_find(const struct ot_reach *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->neps; i++)
		if (strcmp(r->eps[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}

size_t ot_reach_classes(const struct ot_reach *r, const struct ot_reach_class **ret)
{
	*ret = r->classes;
	return r->nclasses;
}

void ot_reach_class_format(const struct ot_reach_class *c, char *buf, size_t size)
{
	if (!c->proto)
		snprintf(buf, size, "icmp");
	else
		snprintf(buf, size, "%s/%u", c->proto == IPPROTO_TCP ? "tcp" : "udp", c->port);
}

int ot_reach_class_parse(const char *s, struct ot_reach_class *ret)
{
	unsigned long v;
	char *end;

	memset(ret, 0, sizeof(*ret));
	if (strcmp(s, "icmp") == 0 || strcmp(s, "ping") == 0)
		return 0;
	if (strncmp(s, "tcp/", 4) == 0)
		ret->proto = IPPROTO_TCP;
	else if (strncmp(s, "udp/", 4) == 0)
		ret->proto = IPPROTO_UDP;
	else
		return -EINVAL;
	v = strtoul(s + 4, &end, 10);
	if (!s[4] || *end || v < 1 || v > 65535)
		return -EINVAL;
	ret->port = (uint16_t)v;
	return 0;
}

const char *ot_reach_verdict_name(enum ot_reach_verdict v)
{
	static const char *const names[] = {"lost", "arrives", "answered", "unknown"};

	return (unsigned)v < 4 ? names[v] : "?";
}

/* ------------------------------------------------------------------ */
/* walking                                                             */

struct pkt {
	uint8_t fam, proto; /* IPPROTO_ICMP / _ICMPV6 / _TCP / _UDP */
	bool answer;	    /* echo reply, SYN-ACK, UDP answer */
	struct ot_addr src, dst;
	uint16_t sport, dport; /* ICMP: the echo id in both */
	uint8_t icmp_type;     /* ICMP/ICMPv6: echo request or reply, ND */
};

struct ct {
	int ns;
	struct pkt in, out; /* the request as it entered and as it left ns */
};

struct walk {
	const struct ot_reach *r;
	struct ct ct[MAX_CT];
	size_t nct;
	bool answer_phase;
	bool uncertain; /* a rule on the request's source port was met */
	char why[320];
	char path[320];
	const char *decider; /* last rule that let the request through */
	bool nd;	     /* walking a neighbour discovery exchange */
	/* neighbours learnt from solicitations received during this walk (the
	 * kernel keeps the solicitor as a neighbour: RFC 4861 7.2.3) */
	struct learnt {
		int ifx;
		struct ot_addr a;
	} learnt[MAX_CT];
	size_t nlearnt;
};

static void whyf(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void whyf(struct walk *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->why, sizeof(w->why), fmt, ap);
	va_end(ap);
}

static void path_add(struct walk *w, const char *label)
{
	size_t n = strlen(w->path);

	if (w->answer_phase)
		return;
	snprintf(w->path + n, sizeof(w->path) - n, "%s%s", n ? " > " : "", label);
}

static bool is_local(const struct ot_reach *r, int ns, const struct ot_addr *a)
{
	size_t i;

	for (i = 0; i < r->naddrs; i++)
		if (r->addrs[i].ns == ns && ot_addr_equal(&r->addrs[i].pf.addr, a))
			return true;
	return false;
}

static bool if_up(const struct ot_reach *r, int ifx)
{
	return ifx >= 0 && r->ifs[ifx].up;
}

struct hop {
	int oif;
	struct ot_addr nh;
	bool gateway;
};

/* Longest-prefix match over connected subnets and routes; then metric. */
static bool route_lookup(const struct ot_reach *r, int ns, const struct ot_addr *dst, struct hop *h)
{
	int best = -1;
	uint32_t best_metric = 0;
	size_t i, k;

	for (i = 0; i < r->naddrs; i++) {
		const struct r_addr *a = &r->addrs[i];
		uint32_t m = dst->family == AF_INET ? 0 : 256;

		if (a->ns != ns || !if_up(r, a->ifx) || !ot_prefix_contains(&a->pf, dst))
			continue;
		if (a->pf.len > best || (a->pf.len == best && m < best_metric)) {
			best = a->pf.len;
			best_metric = m;
			h->oif = a->ifx;
			h->nh = *dst;
			h->gateway = false;
		}
	}
	for (i = 0; i < r->nroutes; i++) {
		const struct r_route *rt = &r->routes[i];
		uint32_t m = rt->metric ? rt->metric : dst->family == AF_INET ? 0 : 1024;
		int oif = -1;

		if (rt->ns != ns || rt->dst.addr.family != dst->family)
			continue;
		if (rt->dst.len && !ot_prefix_contains(&rt->dst, dst))
			continue;
		if (rt->dst.len < best || (rt->dst.len == best && m >= best_metric))
			continue;
		if (rt->dev[0]) {
			oif = if_find(r, ns, rt->dev);
		} else if (rt->via.family) {
			for (k = 0; k < r->naddrs && oif < 0; k++)
				if (r->addrs[k].ns == ns && if_up(r, r->addrs[k].ifx) &&
				    ot_prefix_contains(&r->addrs[k].pf, &rt->via))
					oif = r->addrs[k].ifx;
		}
		if (!if_up(r, oif))
			continue;
		best = rt->dst.len;
		best_metric = m;
		h->oif = oif;
		h->gateway = rt->via.family != 0;
		h->nh = h->gateway ? rt->via : *dst;
	}
	return best >= 0;
}

/* The source address a namespace picks for a packet out of oif to nh. */
static bool pick_src(const struct ot_reach *r, int ns, const struct hop *h, uint8_t fam,
		     struct ot_addr *ret)
{
	const struct ot_addr *first_if = NULL, *first_ns = NULL;
	size_t i;

	for (i = 0; i < r->naddrs; i++) {
		const struct r_addr *a = &r->addrs[i];

		if (a->ns != ns || a->pf.addr.family != fam)
			continue;
		if (a->ifx == h->oif && ot_prefix_contains(&a->pf, &h->nh)) {
			*ret = a->pf.addr;
			return true;
		}
		if (a->ifx == h->oif && !first_if)
			first_if = &a->pf.addr;
		if (!first_ns && if_up(r, a->ifx))
			first_ns = &a->pf.addr;
	}
	if (first_if || first_ns) {
		*ret = first_if ? *first_if : *first_ns;
		return true;
	}
	return false;
}

/* Who answers for nh on oif's segment: the receiving interface, or -1.
 * *unknown: the segment reaches a node whose plan is not loaded. */
static int neighbour(const struct ot_reach *r, int oif, const struct ot_addr *nh, bool *unknown)
{
	int seg = uf_find((struct ot_reach *)r, oif);
	size_t i, k;

	*unknown = false;
	for (i = 0; i < r->nifs; i++) {
		const struct r_if *f = &r->ifs[i];

		if (!f->up || uf_find((struct ot_reach *)r, (int)i) != seg)
			continue;
		/* the sending interface too: a VXLAN device that is a
		 * container's only interface on the segment (no bridge on this
		 * node) leads to the other nodes as well */
		if (f->kind == OT_LINK_VXLAN)
			for (k = 0; k < r->nfdbs; k++)
				if (r->fdbs[k].ns == f->ns &&
				    !strncmp(r->fdbs[k].dev, f->name, OT_IFNAMSIZ) &&
				    r->fdbs[k].dst_node && !plan_has_node(r, r->fdbs[k].dst_node))
					*unknown = true;
		if ((int)i == oif || f->master[0])
			continue; /* itself, or a bridge port: L2 only */
		for (k = 0; k < r->naddrs; k++) {
			const struct r_addr *a = &r->addrs[k];

			if (a->ns != f->ns || !ot_addr_equal(&a->pf.addr, nh))
				continue;
			/* IPv4 answers ARP for any address of the namespace
			 * (arp_ignore 0); IPv6 only for the interface's own. */
			if (nh->family == AF_INET || a->ifx == (int)i)
				return (int)i;
		}
	}
	return -1;
}

/* CT_UNTRACKED: no OT_CT_* bit, so no ct state match takes it (nft's
 * "untracked" is never in a plan). */
enum ctstate {
	CT_NEW = OT_CT_NEW,
	CT_EST = OT_CT_ESTABLISHED,
	CT_INVALID = OT_CT_INVALID,
	CT_UNTRACKED = OT_CT_INVALID << 1,
};

struct hookctx {
	int ns;
	const char *iif, *oif;
	enum ctstate ct;
};

/* Is port p in one of the set's ranges? */
static bool ports_in(uint16_t p, const struct ot_ports *ps)
{
	uint16_t j;

	for (j = 0; j < ps->n && j < OT_PORTS_MAX; j++)
		if (p >= ps->r[j].lo && p <= ps->r[j].hi)
			return true;
	return false;
}

static bool rule_match(struct walk *w, const struct ot_nft_rule *ru, const struct pkt *p,
		       const struct hookctx *c)
{
	bool l4ports = p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP;

	if (ru->family && ru->family != p->fam)
		return false;
	if (ru->l4proto && ru->l4proto != p->proto)
		return false;
	if (ru->has_icmp_type &&
	    ((p->proto != IPPROTO_ICMP && p->proto != IPPROTO_ICMPV6) ||
	     p->icmp_type < ru->icmp_type_first || p->icmp_type > ru->icmp_type_last))
		return false;
	if (ru->has_saddr && !ot_prefix_contains(&ru->saddr, &p->src))
		return false;
	if (ru->has_daddr && !ot_prefix_contains(&ru->daddr, &p->dst))
		return false;
	if (ru->iif[0] && (!c->iif || strncmp(ru->iif, c->iif, OT_IFNAMSIZ)))
		return false;
	if (ru->oif[0] && (!c->oif || strncmp(ru->oif, c->oif, OT_IFNAMSIZ)))
		return false;
	if (ru->ct_state && !(ru->ct_state & c->ct))
		return false;
	if (ru->dport.n && (!l4ports || !ports_in(p->dport, &ru->dport)))
		return false;
	if (ru->sport.n) {
		bool some = false, all = false;
		uint16_t j;

		if (!l4ports)
			return false;
		if (!w->answer_phase && c->ct == CT_NEW) {
			/* the request's source port is the prober's choice */
			for (j = 0; j < ru->sport.n && j < OT_PORTS_MAX; j++) {
				const struct ot_port_range *pr = &ru->sport.r[j];

				some |= pr->hi >= EPH_LO && pr->lo <= EPH_HI;
				all |= pr->lo <= EPH_LO && pr->hi >= EPH_HI;
			}
			if (!some)
				return false;
			if (!all)
				w->uncertain = true;
			return true;
		}
		if (!ports_in(p->sport, &ru->sport))
			return false;
	}
	return true;
}

static const char *label_of(const struct ot_reach *r, int ns)
{
	const struct r_ns *n = &r->ns[ns];

	if (n->label)
		return n->label;
	return n->pns == OT_NS_HOST_INDEX ? n->node : n->p->ns[n->pns].name;
}

static const char *hook_dir(enum ot_nft_hook h)
{
	static const char *const names[] = {"prerouting", "in", "forward", "out", "postrouting"};

	return names[h];
}

/* The filter chains of hook h in ns; false (and why) when dropped. */
static bool filter(struct walk *w, enum ot_nft_hook h, const struct pkt *p, const struct hookctx *c)
{
	const struct ot_reach *r = w->r;
	int32_t prio = INT32_MIN;

	/* chains of all tables on this hook, in priority order */
	for (;;) {
		const struct ot_op_nft *t = NULL;
		const struct ot_nft_chain *ch = NULL;
		size_t i, k, ci = 0;
		int32_t next = INT32_MAX;
		bool found = false;

		for (i = 0; i < r->nnfts; i++) {
			if (r->nfts[i].ns != c->ns)
				continue;
			for (k = 0; k < r->nfts[i].t->nchains; k++) {
				const struct ot_nft_chain *x = &r->nfts[i].t->chains[k];

				if (x->type != OT_NFT_FILTER || x->hook != h ||
				    x->priority <= prio || x->priority >= next)
					continue;
				next = x->priority;
				t = r->nfts[i].t;
				ch = x;
				ci = k;
				found = true;
			}
		}
		if (!found)
			return true;
		prio = next;
		for (i = 0; i < t->nrules; i++) {
			const struct ot_nft_rule *ru = &t->rules[i];

			if (ru->chain != ci || !rule_match(w, ru, p, c))
				continue;
			if (ru->verdict == OT_NFT_ACCEPT) {
				if (!ru->ct_state && !w->answer_phase && !w->nd)
					w->decider = ru->comment;
				break;
			}
			whyf(w, "%s by %s's %s rule (%s)%s",
			     ru->verdict == OT_NFT_REJECT ? "rejected" : "dropped",
			     label_of(r, c->ns), hook_dir(h),
			     ru->comment ? ru->comment : "no origin",
			     w->answer_phase ? " on the answer's way back" : "");
			return false;
		}
		if (i == t->nrules && ch->policy_drop) {
			whyf(w, "dropped by %s's policy %s drop%s", label_of(r, c->ns), hook_dir(h),
			     w->answer_phase ? " on the answer's way back" : "");
			return false;
		}
	}
}

/* The address masquerade picks on oif toward nh: the one whose subnet
 * holds nh, else the interface's first of the family. */
static bool masq_addr(const struct ot_reach *r, int ns, const struct hop *h, uint8_t fam,
		      struct ot_addr *ret)
{
	const struct ot_addr *first = NULL;
	size_t i;

	for (i = 0; i < r->naddrs; i++) {
		const struct r_addr *a = &r->addrs[i];

		if (a->ns != ns || a->ifx != h->oif || a->pf.addr.family != fam)
			continue;
		if (ot_prefix_contains(&a->pf, &h->nh)) {
			*ret = a->pf.addr;
			return true;
		}
		if (!first)
			first = &a->pf.addr;
	}
	if (first)
		*ret = *first;
	return first != NULL;
}

/* NAT chains of hook h for a new connection: rewrites p. */
static void nat(struct walk *w, enum ot_nft_hook h, struct pkt *p, const struct hookctx *c,
		const struct hop *out)
{
	const struct ot_reach *r = w->r;
	size_t i, k, j;

	for (i = 0; i < r->nnfts; i++) {
		const struct ot_op_nft *t = r->nfts[i].t;

		if (r->nfts[i].ns != c->ns)
			continue;
		for (k = 0; k < t->nchains; k++) {
			if (t->chains[k].type != OT_NFT_NAT || t->chains[k].hook != h)
				continue;
			for (j = 0; j < t->nrules; j++) {
				const struct ot_nft_rule *ru = &t->rules[j];

				if (ru->chain != k || !rule_match(w, ru, p, c))
					continue;
				switch (ru->verdict) {
				case OT_NFT_DNAT:
					if (ru->nat_addr.family == p->fam)
						p->dst = ru->nat_addr;
					if (ru->nat_port && p->proto != IPPROTO_ICMP &&
					    p->proto != IPPROTO_ICMPV6)
						p->dport = ru->nat_port;
					break;
				case OT_NFT_SNAT:
					if (ru->nat_addr.family == p->fam)
						p->src = ru->nat_addr;
					break;
				case OT_NFT_MASQUERADE:
					if (out)
						masq_addr(r, c->ns, out, p->fam, &p->src);
					break;
				case OT_NFT_DROP:
				case OT_NFT_REJECT:
				case OT_NFT_ACCEPT:
					break;
				}
				if (ru->verdict >= OT_NFT_MASQUERADE) {
					char lab[96];

					snprintf(lab, sizeof(lab), "(%s %s)",
						 ot_nft_verdict_name(ru->verdict),
						 ru->comment ? ru->comment : "");
					path_add(w, lab);
				}
				return;
			}
		}
	}
}

static bool tuple_is_reply(const struct pkt *a, const struct pkt *out)
{
	return a->proto == out->proto && ot_addr_equal(&a->src, &out->dst) &&
	       ot_addr_equal(&a->dst, &out->src) && a->sport == out->dport &&
	       a->dport == out->sport;
}

static struct ct *ct_find(struct walk *w, int ns, const struct pkt *p)
{
	size_t i;

	for (i = 0; i < w->nct; i++)
		if (w->ct[i].ns == ns && tuple_is_reply(p, &w->ct[i].out))
			return &w->ct[i];
	return NULL;
}

/* An answer leaving (or delivered in) a namespace that translated its
 * request's destination: its source becomes what the request asked. */
static void ct_undo_dnat(const struct ct *e, struct pkt *p)
{
	p->src = e->in.dst;
	p->sport = e->in.dport;
}

static void ct_record(struct walk *w, int ns, const struct pkt *in, const struct pkt *out)
{
	if (!w->answer_phase && w->nct < MAX_CT)
		w->ct[w->nct++] = (struct ct){ns, *in, *out};
}

static bool fwd_on(const struct ot_reach *r, int ns, uint8_t fam)
{
	return fam == AF_INET ? r->ns[ns].fwd4 : r->ns[ns].fwd6;
}

/* The filter chains a packet sent by ns out of oif meets, then those it
 * meets received on the neighbour's interface nb: false (and why) when
 * dropped. */
static bool nd_leg(struct walk *w, int oif, int nb, const struct pkt *p)
{
	const struct ot_reach *r = w->r;
	struct hookctx out = {.ns = r->ifs[oif].ns, .oif = r->ifs[oif].name, .ct = CT_UNTRACKED};
	struct hookctx in = {.ns = r->ifs[nb].ns, .iif = r->ifs[nb].name, .ct = CT_UNTRACKED};

	return filter(w, OT_NFT_OUTPUT, p, &out) && filter(w, OT_NFT_POSTROUTING, p, &out) &&
	       filter(w, OT_NFT_PREROUTING, p, &in) && filter(w, OT_NFT_INPUT, p, &in);
}

/*
 * IPv6 neighbour discovery for nh, from oif (sending src) to nb: the
 * solicitation (to nh's solicited-node group) and the advertisement back.
 * The solicitation's source is the packet's when it is an address of the
 * sender (the kernel's choice), else a link-local address, which no rule
 * of a plan names except by a prefix covering it. A solicitation that
 * arrives teaches the receiver the solicitor (so an answer back needs no
 * discovery of its own). False (and why) when a filter drops either.
 */
static bool nd_passes(struct walk *w, int oif, int nb, const struct ot_addr *nh,
		      const struct ot_addr *src)
{
	const struct ot_reach *r = w->r;
	struct pkt sol = {
	    .fam = AF_INET6, .proto = IPPROTO_ICMPV6, .icmp_type = ND_NEIGHBOR_SOLICIT};
	struct pkt adv = {
	    .fam = AF_INET6, .proto = IPPROTO_ICMPV6, .icmp_type = ND_NEIGHBOR_ADVERT};
	char a[OT_ADDR_STRLEN], why[sizeof(w->why)];
	size_t i;
	bool ok;

	for (i = 0; i < w->nlearnt; i++)
		if (w->learnt[i].ifx == oif && ot_addr_equal(&w->learnt[i].a, nh))
			return true; /* nh solicited us earlier: its entry is known */
	if (is_local(r, r->ifs[oif].ns, src)) {
		sol.src = *src;
	} else {
		sol.src.family = AF_INET6;
		sol.src.bytes[0] = 0xfe;
		sol.src.bytes[1] = 0x80;
		sol.src.bytes[15] = 1;
	}
	sol.dst.family = AF_INET6;
	sol.dst.bytes[0] = 0xff;
	sol.dst.bytes[1] = 0x02;
	sol.dst.bytes[11] = 1;
	sol.dst.bytes[12] = 0xff;
	memcpy(sol.dst.bytes + 13, nh->bytes + 13, 3);
	adv.src = *nh;
	adv.dst = sol.src;
	w->nd = true;
	ok = nd_leg(w, oif, nb, &sol);
	if (ok && w->nlearnt < MAX_CT && !(sol.src.bytes[0] == 0xfe && sol.src.bytes[1] == 0x80))
		w->learnt[w->nlearnt++] = (struct learnt){nb, sol.src};
	ok = ok && nd_leg(w, nb, oif, &adv);
	w->nd = false;
	if (!ok) {
		ot_addr_format(nh, a, sizeof(a));
		snprintf(why, sizeof(why), "%s", w->why);
		whyf(w, "neighbour discovery for %s on %s fails: %s", a, r->ifs[oif].name, why);
	}
	return ok;
}

/*
 * Walk p from namespace ns (received on iif, or -1: sent by ns itself).
 * Returns the verdict for this direction: OT_REACH_ANSWERED here means
 * "delivered" (*at = the namespace, p as delivered).
 */
static enum ot_reach_verdict walk(struct walk *w, int ns, int iif, struct pkt *p, int *at)
{
	const struct ot_reach *r = w->r;
	int hops;

	for (hops = 0; hops < MAX_HOPS; hops++) {
		struct hookctx c = {.ns = ns, .iif = iif >= 0 ? r->ifs[iif].name : NULL};
		struct pkt in = *p;
		struct ct *e = w->answer_phase ? ct_find(w, ns, p) : NULL;
		struct hop h;
		bool unknown;
		int nb;

		path_add(w, label_of(r, ns));
		if (e)
			c.ct = CT_EST;
		else if (w->answer_phase)
			c.ct = p->proto == IPPROTO_UDP ? CT_NEW : CT_INVALID;
		else
			c.ct = CT_NEW;
		/* IPv4 only: ip_route_input drops a local source as martian;
		 * IPv6 input has no such check (tests/differential, seed 66
		 * with IPv6: an answer forwarded by its own sender arrived) */
		if (iif >= 0 && p->fam == AF_INET && is_local(r, ns, &p->src)) {
			whyf(w, "%s drops a packet from its own address (martian source)",
			     label_of(r, ns));
			return OT_REACH_LOST;
		}
		/* prerouting (received) or output (sent): destination NAT */
		if (e) {
			p->dst = e->in.src;
			p->dport = e->in.sport;
		}
		if (iif >= 0) {
			if (!filter(w, OT_NFT_PREROUTING, p, &c))
				return OT_REACH_LOST;
			if (c.ct == CT_NEW)
				nat(w, OT_NFT_PREROUTING, p, &c, NULL);
		}
		if (is_local(r, ns, &p->dst)) {
			if (iif < 0) {
				whyf(w, "addressed to itself");
				return OT_REACH_LOST;
			}
			if (!filter(w, OT_NFT_INPUT, p, &c))
				return OT_REACH_LOST;
			if (e)
				ct_undo_dnat(e, p);
			ct_record(w, ns, &in, p);
			*at = ns;
			return OT_REACH_ANSWERED;
		}
		if (iif >= 0 && !fwd_on(r, ns, p->fam)) {
			whyf(w, "%s does not forward (no ip_forward in its namespace)",
			     label_of(r, ns));
			return OT_REACH_LOST;
		}
		if (!route_lookup(r, ns, &p->dst, &h)) {
			char a[OT_ADDR_STRLEN];

			ot_addr_format(&p->dst, a, sizeof(a));
			whyf(w, "%s has no route to %s%s", label_of(r, ns), a,
			     w->answer_phase ? " (for the answer)" : "");
			return OT_REACH_LOST;
		}
		c.oif = r->ifs[h.oif].name;
		if (iif < 0 && !w->answer_phase && !pick_src(r, ns, &h, p->fam, &p->src)) {
			whyf(w, "%s has no source address for it", label_of(r, ns));
			return OT_REACH_LOST;
		}
		if (iif < 0 && !w->answer_phase)
			in = *p;
		if (!filter(w, iif >= 0 ? OT_NFT_FORWARD : OT_NFT_OUTPUT, p, &c))
			return OT_REACH_LOST;
		if (!filter(w, OT_NFT_POSTROUTING, p, &c))
			return OT_REACH_LOST;
		if (e)
			ct_undo_dnat(e, p);
		else if (c.ct == CT_NEW)
			nat(w, OT_NFT_POSTROUTING, p, &c, &h);
		ct_record(w, ns, &in, p);
		nb = neighbour(r, h.oif, &h.nh, &unknown);
		if (nb < 0) {
			char a[OT_ADDR_STRLEN];

			ot_addr_format(&h.nh, a, sizeof(a));
			whyf(w, "%s: nobody answers for %s on %s%s%s", label_of(r, ns), a,
			     r->ifs[h.oif].name, h.gateway ? " (the gateway)" : "",
			     unknown ? "; the segment reaches a node whose plan is not loaded"
				     : "");
			return unknown ? OT_REACH_UNKNOWN : OT_REACH_LOST;
		}
		if (p->fam == AF_INET6 && !nd_passes(w, h.oif, nb, &h.nh, &p->src))
			return OT_REACH_LOST;
		ns = r->ifs[nb].ns;
		iif = nb;
	}
	whyf(w, "more than %d hops (a routing loop)", MAX_HOPS);
	return OT_REACH_LOST;
}

int ot_reach_eval(const struct ot_reach *r, size_t from, const struct ot_addr *to_addr,
		  const struct ot_reach_class *c, struct ot_reach_result *res)
{
	struct walk *w;
	struct pkt p = {0}, req, sent;
	size_t i;
	int at = -1, src_ns = -1, tns;
	enum ot_reach_verdict v;

	memset(res, 0, sizeof(*res));
	res->delivered_to = -1;
	if (from >= r->neps)
		return -EINVAL;
	for (i = 0; i < r->nns; i++)
		if (r->ns[i].endpoint == (int)from)
			src_ns = (int)i;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->r = r;
	p.fam = to_addr->family;
	p.dst = *to_addr;
	p.proto = c->proto ? c->proto : p.fam == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	p.dport = c->proto ? c->port : 1;
	p.sport = c->proto ? EPH_LO : 1;
	p.icmp_type = p.fam == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	v = walk(w, src_ns, -1, &p, &at);
	if (v != OT_REACH_ANSWERED) {
		res->verdict = v;
		goto out;
	}
	req = p;
	sent = w->ct[0].in;
	tns = at;
	res->delivered_to = r->ns[tns].endpoint;
	res->delivered_port = c->proto ? p.dport : 0;
	res->verdict = OT_REACH_ARRIVES;
	/* the answer: from the address and port the request reached */
	w->answer_phase = true;
	p.answer = true;
	p.icmp_type = p.fam == AF_INET ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY;
	p.src = req.dst;
	p.dst = req.src;
	p.sport = req.dport;
	p.dport = req.sport;
	v = walk(w, tns, -1, &p, &at);
	if (v == OT_REACH_UNKNOWN) {
		res->verdict = OT_REACH_UNKNOWN;
	} else if (v == OT_REACH_ANSWERED) {
		if (at == src_ns && ot_addr_equal(&p.dst, &sent.src) &&
		    ot_addr_equal(&p.src, &sent.dst) && p.sport == sent.dport) {
			res->verdict = OT_REACH_ANSWERED;
			whyf(w, "%s%s",
			     w->decider ? "allowed by the rule at " : "no rule in the way",
			     w->decider ? w->decider : "");
		} else {
			char a[OT_ADDR_STRLEN];

			ot_addr_format(&p.src, a, sizeof(a));
			whyf(w, "the answer reaches %s from %s:%u, not from the address asked",
			     label_of(r, at), a, p.sport);
		}
	}
	if (w->uncertain && res->verdict != OT_REACH_LOST) {
		res->verdict = OT_REACH_UNKNOWN;
		whyf(w, "a rule matches some source ports only; the verdict depends on the port");
	}
out:
	snprintf(res->why, sizeof(res->why), "%s", w->why);
	snprintf(res->path, sizeof(res->path), "%s", w->path);
	free(w);
	return 0;
}

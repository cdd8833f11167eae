/*
 * probes.c - reachability expectations for `verify`: which container
 * should answer an ICMP echo from which, decided statically from the
 * topology, and why.
 *
 * The model evaluated (and its limits, stated so nobody over-reads a
 * result):
 *   - A packet is an ICMP echo request (ICMPv6 for IPv6) from the source's
 *     address on its outgoing interface to one address of the target.
 *   - Routing: longest prefix match over the source's connected subnets
 *     (its interface addresses) and its routes. A connected destination is
 *     reached directly when the target's interface is on the same network.
 *     A gateway must be an address of a container on that network: one
 *     router hop is evaluated (the router must have `forward` and a
 *     connected interface on the target's network; the target must route
 *     the reply back through the same router, unless the router
 *     masquerades or snats the echo on its way out: then the target answers
 *     the router's own address). Paths through the host
 *     (uplinks), through more than one router, or with asymmetric routes
 *     are not predicted: no probe is emitted for them.
 *   - Firewalls: the source's output chain, the router's forward chain,
 *     the target's input chain, first match wins, then the policy; rules
 *     with ports never match an echo. Replies pass: every chain starts with
 *     `ct state established,related accept`. Destination NAT is not
 *     modelled (probes address containers directly).
 *   - Which pairs: per network, all ordered pairs of up to 6 container
 *     members, else a ring plus chords (at most CC_MAX_PROBES_PER_NET);
 *     per router (a container with `forward`, or one that a route names as
 *     its gateway), a few pairs across each pair of its networks; and pairs
 *     of first members of neighbouring networks (usually "no route").
 *     At most CC_MAX_PROBES_PER_NODE probes per node; duplicates dropped.
 */
#include "compile/cc.h"
#include "util/vec.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct verdict {
	bool known;
	bool reach;
	const char *why;
};

/* The first address of family fam on an interface, or NULL. */
static const struct ot_addr *addr_of(const struct cc_iface *f, int fam)
{
	size_t k;

	for (k = 0; k < f->mi->naddrs; k++)
		if (f->mi->addrs[k].addr.family == fam)
			return &f->mi->addrs[k].addr;
	return NULL;
}

struct hop {
	const struct cc_iface *dev; /* outgoing interface */
	const struct ot_addr *via;  /* gateway, NULL = connected */
};

/* Longest-prefix route lookup in a container; false when none. */
static bool lookup(const struct cc *c, uint32_t ci, const struct ot_addr *dst, struct hop *h)
{
	const struct cc_container *cc = &c->containers[ci];
	int best = -1;
	uint32_t j;
	size_t k;

	for (j = 0; j < cc->mc->nifaces; j++) {
		const struct cc_iface *f = &c->ifaces[cc->first_iface + j];

		for (k = 0; k < f->mi->naddrs; k++) {
			const struct ot_prefix *pf = &f->mi->addrs[k];

			if (pf->len > best && ot_prefix_contains(pf, dst)) {
				best = pf->len;
				h->dev = f;
				h->via = NULL;
			}
		}
	}
	for (k = 0; k < cc->mc->nroutes; k++) {
		const struct ot_m_route *r = &cc->mc->routes[k];
		const struct cc_iface *dev = NULL;

		if (r->dst.addr.family != dst->family || r->dst.len <= best)
			continue;
		if (r->dst.len && !ot_prefix_contains(&r->dst, dst))
			continue;
		if (r->dev) {
			dev = &c->ifaces[cc_iface_of(c, r->dev)];
		} else if (r->has_via) {
			for (j = 0; !dev && j < cc->mc->nifaces; j++) {
				const struct cc_iface *f = &c->ifaces[cc->first_iface + j];
				size_t a;

				for (a = 0; a < f->mi->naddrs; a++)
					if (ot_prefix_contains(&f->mi->addrs[a], &r->via))
						dev = f;
			}
		}
		if (!dev)
			continue;
		best = r->dst.len;
		h->dev = dev;
		h->via = r->has_via ? &r->via : NULL;
	}
	return best >= 0;
}

/* The container member of network net that owns address a, or NULL. */
static const struct cc_iface *owner_on(const struct cc *c, uint32_t net, const struct ot_addr *a)
{
	const struct cc_net *n = &c->nets[net];
	uint32_t j;
	size_t k;

	for (j = 0; j < n->nmembers; j++) {
		const struct cc_iface *f;

		if (n->members[j].iface < 0)
			continue;
		f = &c->ifaces[n->members[j].iface];
		for (k = 0; k < f->mi->naddrs; k++)
			if (ot_addr_equal(&f->mi->addrs[k].addr, a))
				return f;
	}
	return NULL;
}

/* An interface of container ci on network net, or NULL. */
static const struct cc_iface *iface_on(const struct cc *c, uint32_t ci, uint32_t net)
{
	const struct cc_container *cc = &c->containers[ci];
	uint32_t j;

	for (j = 0; j < cc->mc->nifaces; j++) {
		const struct cc_iface *f = &c->ifaces[cc->first_iface + j];

		if (f->mi->kind == OT_M_IFACE_NET && f->net == net)
			return f;
	}
	return NULL;
}

static const char *fmt_addr(struct cc *c, const struct ot_addr *a)
{
	char buf[OT_ADDR_STRLEN];

	ot_addr_format(a, buf, sizeof(buf));
	return ot_arena_strdup(&c->arena, buf);
}

/*
 * Does router r rewrite the source of an echo from saddr leaving through
 * out (masquerade or snat)? Then the target answers the router's own
 * address on its segment, and no route back to saddr is needed.
 */
static bool source_nat(const struct cc *c, uint32_t r, const struct cc_iface *out,
		       const struct ot_addr *saddr)
{
	const struct ot_m_container *mc = c->containers[r].mc;
	uint8_t icmp = saddr->family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	size_t i;

	for (i = 0; i < mc->nnats; i++) {
		const struct ot_m_nat *n = &mc->nats[i];

		if (n->kind == OT_M_DNAT || (n->oif && n->oif != out->mi))
			continue;
		if ((n->l4proto && n->l4proto != icmp) || n->dport.n)
			continue;
		if (n->has_src && !ot_prefix_contains(&n->src, saddr))
			continue;
		if (n->kind == OT_M_SNAT && n->to.family != saddr->family)
			continue;
		return true;
	}
	return false;
}

/* Evaluate an echo from container src to interface ft (family fam). */
static struct verdict evaluate(struct cc *c, uint32_t src, const struct cc_iface *ft, int fam)
{
	struct verdict v = {false, false, NULL};
	const struct ot_addr *dst = addr_of(ft, fam), *saddr;
	const struct cc_iface *gw, *rout;
	struct hop h, back;
	uint32_t tgt = ft->container, r;
	const char *why = NULL;
	bool masq;

	if (!dst)
		return v;
	if (!lookup(c, src, dst, &h)) {
		v.known = true;
		v.why = ot_arena_printf(&c->arena, "no route from %s to %s",
					c->containers[src].mc->name, fmt_addr(c, dst));
		return v;
	}
	saddr = addr_of(h.dev, fam);
	if (!saddr || h.dev->mi->kind != OT_M_IFACE_NET)
		return v;
	if (!h.via) {
		if (ft->mi->kind != OT_M_IFACE_NET || h.dev->net != ft->net)
			return v; /* connected subnet, other segment: not predicted */
		v.known = true;
		if (!cc_fw_accepts(c, src, OT_M_OUT, saddr, dst, NULL, h.dev->mi, &why) ||
		    !cc_fw_accepts(c, tgt, OT_M_IN, saddr, dst, ft->mi, NULL, &why)) {
			v.why = why;
			return v;
		}
		v.reach = true;
		/* one string per network: a large network has dozens of probes */
		if (!c->nets[ft->net].why_same)
			c->nets[ft->net].why_same =
			    ot_arena_printf(&c->arena, "%s '%s'",
					    c->nets[ft->net].mn->is_link ? "link" : "same network",
					    c->nets[ft->net].mn->name);
		v.why = c->nets[ft->net].why_same;
		return v;
	}
	/* one router hop */
	gw = owner_on(c, h.dev->net, h.via);
	if (!gw)
		return v; /* the host or nobody: not predicted */
	r = gw->container;
	if (r == tgt) {
		/* the target is the router itself, addressed on another interface */
		v.known = true;
		if (!cc_fw_accepts(c, src, OT_M_OUT, saddr, dst, NULL, h.dev->mi, &why) ||
		    !cc_fw_accepts(c, tgt, OT_M_IN, saddr, dst, gw->mi, NULL, &why)) {
			v.why = why;
			return v;
		}
		v.reach = true;
		v.why = ot_arena_printf(&c->arena, "%s's address on its gateway",
					c->containers[r].mc->name);
		return v;
	}
	if (ft->mi->kind != OT_M_IFACE_NET)
		return v;
	rout = iface_on(c, r, ft->net);
	if (!rout || !lookup(c, r, dst, &back) || back.via || back.dev != rout)
		return v; /* more than one hop */
	masq = source_nat(c, r, rout, saddr);
	if (!masq && (!lookup(c, tgt, saddr, &back) || !back.via || back.dev != ft))
		return (struct verdict){true, false,
					ot_arena_printf(&c->arena, "no route back from %s to %s",
							c->containers[tgt].mc->name,
							fmt_addr(c, saddr))};
	if (!masq && owner_on(c, ft->net, back.via) != rout)
		return v; /* asymmetric: the reply takes another router */
	v.known = true;
	if (!c->containers[r].mc->forward) {
		v.why = ot_arena_printf(&c->arena, "%s does not forward (no 'forward')",
					c->containers[r].mc->name);
		return v;
	}
	if (!cc_fw_accepts(c, src, OT_M_OUT, saddr, dst, NULL, h.dev->mi, &why) ||
	    !cc_fw_accepts(c, r, OT_M_FORWARD, saddr, dst, gw->mi, rout->mi, &why) ||
	    !cc_fw_accepts(c, tgt, OT_M_IN, saddr, dst, ft->mi, NULL, &why)) {
		v.why = why;
		return v;
	}
	v.reach = true;
	v.why = ot_arena_printf(&c->arena, "via router %s%s", c->containers[r].mc->name,
				masq ? " (source NAT)" : "");
	return v;
}

struct emitter {
	struct cc *c;
	struct ot_hset seen;
	uint32_t *per_node;
};

/* Record the probe src -> ft if it is predicted and new. 0 or -ENOMEM. */
static int emit(struct emitter *e, uint32_t src, const struct cc_iface *ft)
{
	struct cc *c = e->c;
	const struct cc_container *sc = &c->containers[src];
	int fam = addr_of(ft, AF_INET) ? AF_INET : AF_INET6;
	const struct ot_addr *dst;
	struct cc_probe *pr;
	struct verdict v;
	uint64_t key;
	int r;

	if (src == ft->container || e->per_node[sc->node] >= CC_MAX_PROBES_PER_NODE)
		return 0;
	dst = addr_of(ft, fam);
	if (!dst)
		return 0;
	key = ot_hash64(dst->bytes, sizeof(dst->bytes));
	key = ot_mix64(key ^ ((uint64_t)src << 1 | (fam == AF_INET6))) | 1;
	if (ot_hset_has1(&e->seen, key))
		return 0;
	v = evaluate(c, src, ft, fam);
	if (!v.known)
		return 0;
	r = ot_hset_add1(&e->seen, key);
	if (r < 0)
		return r;
	if (OT_VEC_RESERVE(c->probes, c->cap_probes, c->nprobes + 1) < 0)
		return -ENOMEM;
	pr = &c->probes[c->nprobes++];
	pr->src = src;
	pr->target = (uint32_t)(ft - c->ifaces);
	pr->addr = *dst;
	pr->reach = v.reach;
	pr->why = v.why;
	e->per_node[sc->node]++;
	return 0;
}

/* Group the probes by source node, keeping their order (counting sort). */
static int group_by_node(struct cc *c, const uint32_t *per_node)
{
	struct cc_probe *sorted;
	uint32_t *fill, i;
	size_t k;

	c->node_probes = ot_arena_calloc(&c->arena, c->nnodes + 1, sizeof(*c->node_probes));
	fill = ot_arena_calloc(&c->arena, c->nnodes + 1, sizeof(*fill));
	if (!c->node_probes || !fill)
		return -ENOMEM;
	for (i = 0; i < c->nnodes; i++)
		c->node_probes[i + 1] = c->node_probes[i] + per_node[i];
	sorted = malloc((c->nprobes ? c->nprobes : 1) * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	for (k = 0; k < c->nprobes; k++) {
		uint32_t nd = c->containers[c->probes[k].src].node;

		sorted[c->node_probes[nd] + fill[nd]++] = c->probes[k];
	}
	free(c->probes);
	c->probes = sorted;
	c->cap_probes = c->nprobes;
	return 0;
}

/* Container members of a network, as interface indices, in source order
 * (the ring then crosses nodes). The array is the network's own: callers
 * that filter it copy it first. */
static uint32_t net_containers(struct cc *c, uint32_t net, uint32_t **ret)
{
	*ret = c->nets[net].src_members;
	return (uint32_t)c->nets[net].mn->nmembers;
}

static int same_network(struct emitter *e, uint32_t net)
{
	struct cc *c = e->c;
	uint32_t *m, n = net_containers(c, net, &m), i, j, step, count = 0;
	int r;

	if (n < 2)
		return 0;
	if (n <= 6) {
		for (i = 0; i < n; i++)
			for (j = 0; j < n; j++)
				if (i != j &&
				    (r = emit(e, c->ifaces[m[i]].container, &c->ifaces[m[j]])) < 0)
					return r;
		return 0;
	}
	/* ring, then chords across the middle */
	for (i = 0; i < n && count < CC_MAX_PROBES_PER_NET / 2; i++, count++)
		if ((r = emit(e, c->ifaces[m[i]].container, &c->ifaces[m[(i + 1) % n]])) < 0)
			return r;
	step = n / 8 ? n / 8 : 1;
	for (i = 0; i < n && count < CC_MAX_PROBES_PER_NET; i += step, count++)
		if ((r = emit(e, c->ifaces[m[i]].container, &c->ifaces[m[(i + n / 2) % n]])) < 0)
			return r;
	return 0;
}

/* Container members of a network other than container `except`. */
static uint32_t net_others(struct cc *c, uint32_t net, uint32_t except, uint32_t **ret)
{
	uint32_t *all, n = net_containers(c, net, &all), j, k = 0;

	*ret = ot_arena_calloc(&c->arena, n + 1, sizeof(**ret));
	if (!*ret)
		return 0;
	for (j = 0; j < n; j++)
		if (c->ifaces[all[j]].container != except)
			(*ret)[k++] = all[j];
	return k;
}

static int through_router(struct emitter *e, uint32_t rc)
{
	struct cc *c = e->c;
	const struct cc_container *cc = &c->containers[rc];
	uint32_t a, b, *ma, *mb, na, nb, k;
	int r;

	for (a = 0; a < cc->mc->nifaces; a++) {
		const struct cc_iface *fa = &c->ifaces[cc->first_iface + a];

		if (fa->mi->kind != OT_M_IFACE_NET)
			continue;
		na = net_others(c, fa->net, rc, &ma);
		for (b = 0; b < cc->mc->nifaces; b++) {
			const struct cc_iface *fb = &c->ifaces[cc->first_iface + b];

			if (a == b || fb->mi->kind != OT_M_IFACE_NET || fb->net == fa->net)
				continue;
			nb = net_others(c, fb->net, rc, &mb);
			/* up to three sources spread over the network, each to a
			 * different target */
			for (k = 0; k < 3 && k < na && nb; k++) {
				uint32_t s = ma[(k * (na / 3 + 1)) % na];
				uint32_t t = mb[(k * (nb / 3 + 1)) % nb];

				if ((r = emit(e, c->ifaces[s].container, &c->ifaces[t])) < 0)
					return r;
			}
		}
	}
	return 0;
}

static uint64_t addr_key(const struct ot_addr *a)
{
	return ot_mix64(ot_hash64(a->bytes, sizeof(a->bytes)) ^ a->family) | 1;
}

/* Does a route of some container name one of ci's addresses as gateway? */
static bool is_gateway(const struct cc *c, const struct ot_hset *gw, uint32_t ci)
{
	const struct cc_container *cc = &c->containers[ci];
	uint32_t j;
	size_t k;

	if (cc->mc->nifaces < 2)
		return false;
	for (j = 0; j < cc->mc->nifaces; j++) {
		const struct cc_iface *f = &c->ifaces[cc->first_iface + j];

		for (k = 0; k < f->mi->naddrs; k++)
			if (ot_hset_has1(gw, addr_key(&f->mi->addrs[k].addr)))
				return true;
	}
	return false;
}

int cc_probes(struct cc *c)
{
	struct emitter e = {c, {0}, NULL};
	struct ot_hset gateways = {0};
	uint32_t i, *m1, *m2;
	int r = 0;

	e.per_node = ot_arena_calloc(&c->arena, c->nnodes + 1, sizeof(*e.per_node));
	if (!e.per_node)
		return -ENOMEM;
	for (i = 0; r >= 0 && i < c->nnets; i++)
		r = same_network(&e, i);
	/* routers: containers that forward, or that a route names as its
	 * gateway (a gateway without `forward` is worth a BLOCKED probe) */
	for (i = 0; r >= 0 && i < c->ncontainers; i++) {
		const struct ot_m_container *mc = c->containers[i].mc;
		size_t k;

		for (k = 0; k < mc->nroutes; k++)
			if (mc->routes[k].has_via &&
			    ot_hset_add1(&gateways, addr_key(&mc->routes[k].via)) < 0)
				r = -ENOMEM;
	}
	for (i = 0; r >= 0 && i < c->ncontainers; i++)
		if (c->containers[i].mc->forward || is_gateway(c, &gateways, i))
			r = through_router(&e, i);
	/* neighbouring networks' first members: separation (or a route) */
	for (i = 0; r >= 0 && c->nnets > 1 && i < c->nnets && i < 16; i++) {
		uint32_t j = (i + 1) % c->nnets;

		if (net_containers(c, i, &m1) && net_containers(c, j, &m2)) {
			r = emit(&e, c->ifaces[m1[0]].container, &c->ifaces[m2[0]]);
			if (r >= 0)
				r = emit(&e, c->ifaces[m2[0]].container, &c->ifaces[m1[0]]);
		}
	}
	ot_hset_free(&e.seen);
	ot_hset_free(&gateways);
	if (r >= 0)
		r = group_by_node(c, e.per_node);
	return r < 0 ? r : 0;
}

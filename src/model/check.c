/*
 * check.c - the expansion's semantic checks: per interface when its
 * container is finished (subnets, unique addresses and MACs), per network
 * when its block ends (uplinks), and topology-wide after the pass
 * (forward references, links, members, MTUs, ranks), then the model's
 * final arrays and warnings. Internal to the expansion (expand_int.h).
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

/* ------------------------------------------------------------------ */
/* resolution and topology-wide checks                                  */

/* ------------------------------------------------------------------ */
/* per-interface checks (run when a container is finished, or, for      */
/* interfaces on networks declared further down, after the pass)        */

void xp_bind_iface(struct xctx *x, struct ot_m_iface *ifc, struct xnet *n, bool late)
{
	ifc->network = &n->n;
	n->n.nmembers++;
	if (late) {
		n->late = true; /* its members are collected again, in source order */
		x->any_late = true;
	} else if (VPUSH(x, n->mv)) {
		n->mv.v[n->mv.n - 1] = ifc;
	}
}

/* Default prefix lengths, subnet membership. */
void xp_iface_subnet_checks(struct xctx *x, struct ot_m_iface *ifc, uint16_t nolen)
{
	struct ot_m_network *n = ifc->network;
	size_t k;

	for (k = 0; k < ifc->naddrs; k++) {
		struct ot_prefix *a = &ifc->addrs[k];
		bool v6 = a->addr.family == AF_INET6;
		bool has = v6 ? n->has_subnet6 : n->has_subnet4;
		const struct ot_prefix *sub = v6 ? &n->subnet6 : &n->subnet4;
		char as[OT_PREFIX_STRLEN], ss[OT_PREFIX_STRLEN];
		struct ot_diag *g;

		if (nolen & (1u << k)) {
			if (!has) {
				g = xp_xerr(
				    x, ifc->addr_locs[k],
				    "address needs a prefix length: network '%s' has no %s subnet",
				    n->name, xp_family_name(a->addr.family));
				ot_diag_note(g, n->loc, "network '%s' is defined here", n->name);
				continue;
			}
			a->len = sub->len;
		}
		if (!has)
			continue;
		if (ot_prefix_contains(sub, &a->addr) && a->len == sub->len &&
		    !ot_prefix_is_network_addr(a) && !ot_prefix_is_broadcast_addr(a))
			continue; /* the common case: nothing to format */
		ot_prefix_format(a, as, sizeof(as));
		ot_prefix_format(sub, ss, sizeof(ss));
		if (!ot_prefix_contains(sub, &a->addr)) {
			g = xp_xerr(x, ifc->addr_locs[k],
				    "address %s is outside subnet %s of network '%s'", as, ss,
				    n->name);
			ot_diag_note(g, n->loc, "network '%s' is defined here", n->name);
		} else if (a->len != sub->len) {
			g = xp_xerr(
			    x, ifc->addr_locs[k],
			    "address %s has prefix length /%u, but subnet %s of network '%s' is "
			    "/%u",
			    as, a->len, ss, n->name, sub->len);
			xp_xhint(x, g, "write the address without a length to use the subnet's");
		} else if (ot_prefix_is_network_addr(a)) {
			xp_xerr(x, ifc->addr_locs[k],
				"address %s is the network address of subnet %s", as, ss);
		} else {
			xp_xerr(x, ifc->addr_locs[k],
				"address %s is the broadcast address of subnet %s", as, ss);
		}
	}
}

bool xp_prefix_eq(const void *a, const void *b)
{
	const struct ot_prefix *p = a, *q = b;

	return p->len == q->len && ot_addr_equal(&p->addr, &q->addr);
}

uint64_t xp_prefix_hash(const struct ot_prefix *p)
{
	uint64_t h = ot_hash64(&p->addr.family, 1);

	h = ot_hash64_more(h, p->addr.bytes, ot_addr_len(&p->addr));
	return ot_hash64_more(h, &p->len, 1);
}

bool xp_mac_eq(const void *a, const void *b)
{
	return memcmp(a, b, 6) == 0;
}

bool xp_u32_eq(const void *a, const void *b)
{
	return *(const uint32_t *)a == *(const uint32_t *)b;
}

/* The note for a duplicate address: where the first one is. Values in the
 * address set are interfaces, or uplinks tagged by their low bit. */
static void note_first_use(struct ot_diag *g, const void *key, void *val)
{
	if ((uintptr_t)val & 1) {
		const struct ot_m_uplink *u = (const void *)((uintptr_t)val & ~(uintptr_t)1);

		ot_diag_note(g, u->loc, "also the address of the uplink of node '%s'",
			     u->node->name);
	} else {
		const struct ot_m_iface *ifc = val;
		size_t k = (size_t)((const struct ot_prefix *)key - ifc->addrs);

		ot_diag_note(g, ifc->addr_locs[k],
			     "also the address of interface '%s' of container '%s'", ifc->name,
			     ifc->container->name);
	}
}

/* Addresses and the MAC must be unique in the topology. */
void xp_iface_register(struct xctx *x, struct ot_m_iface *ifc)
{
	char buf[OT_PREFIX_STRLEN];
	size_t k;

	for (k = 0; k < ifc->naddrs; k++) {
		const void *okey = NULL;
		void *old = NULL;

		if (xp_kset_put2(x, &x->addrs, xp_prefix_hash(&ifc->addrs[k]), &ifc->addrs[k], ifc,
				 &old, &okey) == -EEXIST) {
			struct ot_diag *g;

			ot_prefix_format(&ifc->addrs[k], buf, sizeof(buf));
			g = xp_xerr(x, ifc->addr_locs[k], "duplicate address %s", buf);
			note_first_use(g, okey, old);
		}
	}
	if (ifc->has_mac) {
		struct ot_m_iface *old = NULL;

		if (xp_kset_put(x, &x->macs, ot_hash64(ifc->mac.b, 6), &ifc->mac, ifc,
				(void **)&old) == -EEXIST) {
			struct ot_diag *g;

			ot_mac_format(&ifc->mac, buf, sizeof(buf));
			g = xp_xerr(x, ifc->mac_loc, "duplicate MAC address %s", buf);
			ot_diag_note(g, old->mac_loc,
				     "also the MAC of interface '%s' of container '%s'", old->name,
				     old->container->name);
		}
	}
}

/* Two interfaces of one container on overlapping subnets: the kernel would
 * route by accident. Bounded by OT_MAX_IFACES * OT_MAX_ADDRS. */
void xp_container_overlaps(struct xctx *x, struct ot_m_container *c)
{
	size_t a, b, ka, kb;

	for (a = 0; a < c->nifaces; a++) {
		struct ot_m_iface *ia = &c->ifaces[a];

		for (b = a + 1; b < c->nifaces; b++) {
			struct ot_m_iface *ib = &c->ifaces[b];

			for (ka = 0; ka < ia->naddrs; ka++) {
				for (kb = 0; kb < ib->naddrs; kb++) {
					struct ot_prefix pa = ot_prefix_network(&ia->addrs[ka]);
					struct ot_prefix pb = ot_prefix_network(&ib->addrs[kb]);
					char sa[OT_PREFIX_STRLEN], sb[OT_PREFIX_STRLEN];
					struct ot_diag *g;

					if (!ot_prefix_overlap(&pa, &pb))
						continue;
					ot_prefix_format(&pb, sb, sizeof(sb));
					ot_prefix_format(&pa, sa, sizeof(sa));
					g = xp_xerr(
					    x, ib->addr_locs[kb],
					    "subnet %s of interface '%s' overlaps subnet %s of "
					    "interface '%s' in container '%s'",
					    sb, ib->name, sa, ia->name, c->name);
					ot_diag_note(g, ia->addr_locs[ka], "the other address");
					goto next_pair; /* one error per pair of interfaces */
				}
			}
		next_pair:;
		}
	}
}

/* At the end of a network's block: uplink addresses in the subnet and
 * unique, the explicit VNI unique. */
void xp_uplink_checks(struct xctx *x, struct xnet *xn)
{
	struct ot_m_network *n = &xn->n;
	char as[OT_PREFIX_STRLEN], ss[OT_PREFIX_STRLEN];
	size_t k;

	for (k = 0; k < n->nuplinks; k++) {
		struct ot_m_uplink *u = &n->uplinks[k];
		struct ot_prefix *a = &u->address;
		bool v6 = a->addr.family == AF_INET6;
		const struct ot_prefix *sub = v6 ? &n->subnet6 : &n->subnet4;
		const void *okey = NULL;
		void *old = NULL;

		if (!a->len)
			continue; /* its length was missing: reported */
		if ((v6 ? n->has_subnet6 : n->has_subnet4) &&
		    (!ot_prefix_contains(sub, &a->addr) || a->len != sub->len ||
		     ot_prefix_is_network_addr(a) || ot_prefix_is_broadcast_addr(a))) {
			ot_prefix_format(a, as, sizeof(as));
			ot_prefix_format(sub, ss, sizeof(ss));
			if (!ot_prefix_contains(sub, &a->addr) || a->len != sub->len)
				xp_xerr(
				    x, u->loc,
				    "uplink address %s is not an address of subnet %s of network "
				    "'%s'",
				    as, ss, n->name);
			else
				xp_xerr(x, u->loc,
					"uplink address %s is the %s address of subnet %s", as,
					ot_prefix_is_network_addr(a) ? "network" : "broadcast", ss);
			continue;
		}
		if (xp_kset_put2(x, &x->addrs, xp_prefix_hash(a), a, (void *)((uintptr_t)u | 1),
				 &old, &okey) == -EEXIST) {
			struct ot_diag *g;

			ot_prefix_format(a, as, sizeof(as));
			g = xp_xerr(x, u->loc, "duplicate address %s", as);
			note_first_use(g, okey, old);
		}
	}
	if (n->vni) {
		struct ot_m_network *old = NULL;

		if (xp_kset_put(x, &x->vnis, ot_hash64(&n->vni, 4), &n->vni, n, (void **)&old) ==
		    -EEXIST) {
			struct ot_diag *g =
			    xp_xerr(x, n->vni_loc, "VNI %u is already used by network '%s'", n->vni,
				    old->name);

			ot_diag_note(g, old->vni_loc, "network '%s' has it here", old->name);
		}
	}
}

/* ------------------------------------------------------------------ */
/* resolution after the pass                                            */

/* Interfaces on networks declared below their container. */
void xp_resolve_late(struct xctx *x)
{
	size_t i;

	for (i = 0; i < x->pifs.n; i++) {
		struct pend_if *p = &x->pifs.v[i];
		struct xnet *n = ot_strmap_get(&x->networks, p->net);
		struct ot_diag *g;

		x->via = p->via; /* errors name the template use it came through */
		if (n) {
			xp_bind_iface(x, p->ifc, n, true);
			xp_iface_subnet_checks(x, p->ifc, p->nolen);
			xp_iface_register(x, p->ifc);
		} else {
			g = xp_gerr(x, p->net_loc, "unknown network '%s'", p->net);
			xp_hint_similar(x, g, p->net, &x->networks);
			p->ifc->naddrs = 0; /* lengths unknown: no cascade of errors */
		}
		x->via = (struct xvia){{0}, NULL};
	}
	for (i = 0; i < x->late_overlaps.n; i++)
		xp_container_overlaps(x, x->late_overlaps.v[i]);
}

static bool ptr_eq(const void *a, const void *b)
{
	return a == b;
}

static uint64_t ptr_hash(const void *p)
{
	return (uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15ull;
}

void xp_resolve_links(struct xctx *x)
{
	struct ot_kmap linked = {.eq = ptr_eq}, ends_ok = {.eq = ptr_eq};
	size_t i, k;

	for (i = 0; i < x->linkends.n; i++)
		xp_kset_put(x, &ends_ok, ptr_hash(x->linkends.v[i]), x->linkends.v[i], NULL, NULL);

	for (i = 0; i < x->links.n && !x->oom; i++) {
		struct pend_link *l = &x->links.v[i];
		struct ot_m_iface *ends[2] = {NULL, NULL};
		struct xnet *n;

		for (k = 0; k < 2; k++) {
			const char *cn = k ? l->cb : l->ca, *in = k ? l->ib : l->ia;
			struct ot_loc loc = k ? l->lb : l->la;
			struct ot_m_container *c;
			struct ot_m_iface *ifc;
			struct ot_diag *g;
			void *old = NULL;

			if (!cn)
				continue; /* reported */
			c = ot_strmap_get(&x->containers, cn);
			if (!c) {
				g = xp_gerr(x, loc, "unknown container '%s'", cn);
				xp_hint_similar(x, g, cn, &x->containers);
				continue;
			}
			ifc = xp_find_iface(c->ifaces, c->nifaces, in);
			if (!ifc) {
				struct ot_suggest sg;
				size_t j;

				g = xp_gerr(x, loc, "container '%s' has no interface '%s'", cn, in);
				ot_suggest_init(&sg, in);
				for (j = 0; j < c->nifaces; j++)
					ot_suggest_add(&sg, c->ifaces[j].name);
				if (ot_suggest_best(&sg))
					ot_diag_hint(g, "did you mean '%s'?", ot_suggest_best(&sg));
				else
					ot_diag_hint(
					    g, "declare it in the container: iface %s address ...",
					    in);
				continue;
			}
			if (!xp_kset_has(&ends_ok, ptr_hash(ifc), ifc)) {
				/* not declared as a link end: it has 'on' or 'macvlan' */
				g = xp_gerr(x, loc,
					    "interface '%s' of container '%s' is %s; a "
					    "link end is declared without 'on'",
					    in, cn,
					    ifc->kind == OT_M_IFACE_MACVLAN ? "a macvlan"
									    : "on a network");
				ot_diag_note(g, ifc->loc, "the interface is declared here");
				continue;
			}
			if (ends[0] == ifc) {
				xp_gerr(x, loc, "a link cannot connect an interface to itself");
				continue;
			}
			if (xp_kset_put(x, &linked, ptr_hash(ifc), ifc, l, &old) == -EEXIST) {
				g = xp_gerr(x, loc,
					    "interface '%s' of container '%s' is already "
					    "linked",
					    in, cn);
				ot_diag_note(g, ((struct pend_link *)old)->loc, "linked here");
				continue;
			}
			ends[k] = ifc;
		}
		if (!ends[0] || !ends[1] || l->broken)
			continue;
		if (x->netv.n >= OT_MAX_NETWORKS) {
			xp_gerr(x, l->loc, "too many networks (the limit is %d)", OT_MAX_NETWORKS);
			break;
		}
		n = xp_xalloc(x, sizeof(*n));
		if (!n || !VPUSH(x, x->netv))
			break;
		x->netv.v[x->netv.n - 1] = n;
		n->n.name = ot_arena_printf(x->ma, "%s.%s--%s.%s", l->ca, l->ia, l->cb, l->ib);
		n->n.loc = xp_mloc(x, l->loc);
		n->n.is_link = true;
		n->n.mtu = l->mtu;
		n->n.mtu_loc = l->mtu_loc;
		n->n.members = ot_arena_calloc(x->ma, 2, sizeof(*n->n.members));
		if (!n->n.name || !n->n.members) {
			x->oom = true;
			break;
		}
		if (ot_strmap_put(&x->networks, n->n.name, n, NULL) == -ENOMEM) {
			x->oom = true;
			break;
		}
		n->n.members[0] = ends[0];
		n->n.members[1] = ends[1];
		n->n.nmembers = 2;
		n->fill = 2;
		ends[0]->network = ends[1]->network = &n->n;
	}
	for (i = 0; i < x->linkends.n; i++) {
		struct ot_m_iface *ifc = x->linkends.v[i];
		void *old = NULL;

		/* an end of a link that failed for its other end is not reported again */
		if (!ifc->network &&
		    xp_kset_put(x, &linked, ptr_hash(ifc), ifc, NULL, &old) != -EEXIST) {
			struct ot_diag *g = xp_gerr(x, ifc->loc,
						    "interface '%s' of container "
						    "'%s' is not connected",
						    ifc->name, ifc->container->name);

			ot_diag_hint(g,
				     "put it on a network (iface %s on NET) or use it in a link "
				     "(link %s.%s -- OTHER.IFACE)",
				     ifc->name, ifc->container->name, ifc->name);
		}
	}
	xp_kset_free(&linked);
	xp_kset_free(&ends_ok);
}

/*
 * Gateways the kernel would refuse (RTA_GATEWAY: "Nexthop has invalid
 * gateway"), for every route of every container: the container's own
 * address, or the network or broadcast address of the subnet of one of its
 * interfaces (IPv4; /31 and /32 have neither). Run after the pass, when
 * every interface has its prefix length.
 */
void xp_check_gateways(struct xctx *x)
{
	size_t i, r, j, k;

	for (i = 0; i < x->ctrv.n; i++) {
		const struct ot_m_container *c = x->ctrv.v[i];

		for (r = 0; r < c->nroutes; r++) {
			const struct ot_m_route *mr = &c->routes[r];
			char via[OT_ADDR_STRLEN], ps[OT_PREFIX_STRLEN];

			if (!mr->has_via)
				continue;
			ot_addr_format(&mr->via, via, sizeof(via));
			for (j = 0; j < c->nifaces; j++) {
				const struct ot_m_iface *f = &c->ifaces[j];

				for (k = 0; k < f->naddrs; k++) {
					const struct ot_prefix *a = &f->addrs[k];
					struct ot_prefix g = {mr->via, a->len};

					if (!a->len || !ot_prefix_contains(a, &mr->via))
						continue;
					ot_prefix_format(a, ps, sizeof(ps));
					if (ot_addr_equal(&a->addr, &mr->via))
						xp_gerr(x, mr->loc,
							"gateway %s is the address of interface "
							"'%s' of "
							"'%s' itself",
							via, f->name, c->name);
					else if (ot_prefix_is_network_addr(&g) ||
						 ot_prefix_is_broadcast_addr(&g))
						xp_gerr(
						    x, mr->loc,
						    "gateway %s is the %s address of %s (interface "
						    "'%s')",
						    via,
						    ot_prefix_is_network_addr(&g) ? "network"
										  : "broadcast",
						    ps, f->name);
					else
						continue;
					goto next_route; /* one error per route */
				}
			}
		next_route:;
		}
	}
}

/* Members of named networks, in source order of the interfaces: as bound
 * during the pass, or, for a network that got a member later, collected
 * again in container order. */
void xp_fill_members(struct xctx *x)
{
	size_t i, j;

	for (i = 0; i < x->netv.n; i++) {
		struct xnet *n = x->netv.v[i];

		if (n->n.is_link || !n->n.nmembers)
			continue;
		if (!n->late) {
			n->n.members = ot_arena_memdup(x->ma, n->mv.v, n->mv.n * sizeof(*n->mv.v));
		} else {
			n->n.members = ot_arena_calloc(x->ma, n->n.nmembers, sizeof(*n->n.members));
			n->fill = 0;
		}
		if (!n->n.members) {
			x->oom = true;
			return;
		}
	}
	for (i = 0; x->any_late && i < x->ctrv.n; i++) {
		struct ot_m_container *c = x->ctrv.v[i];

		for (j = 0; j < c->nifaces; j++) {
			struct ot_m_iface *ifc = &c->ifaces[j];
			struct xnet *n = (struct xnet *)ifc->network;

			if (n && n->late)
				n->n.members[n->fill++] = ifc;
		}
	}
}

void xp_check_mtus(struct xctx *x)
{
	size_t i;

	for (i = 0; i < x->netv.n; i++) {
		struct ot_m_network *n = &x->netv.v[i]->n;

		if (n->has_subnet6 && n->mtu && n->mtu < 1280)
			xp_gerr(x, n->mtu_loc, "MTU %u is too small for IPv6 (at least 1280)",
				n->mtu);
	}
}

static int rank_cmp(const void *pa, const void *pb)
{
	const struct rank_use *a = pa, *b = pb;

	if (a->first != b->first)
		return a->first < b->first ? -1 : 1;
	return a->last < b->last ? -1 : a->last > b->last;
}

void xp_check_ranks(struct xctx *x)
{
	struct rank_use *v = x->ranks.v;
	size_t i, n = x->ranks.n, far = 0;

	if (n < 2)
		return;
	/* Ranks are usually written in increasing order: sort only if not. */
	for (i = 1; i < n && rank_cmp(&v[i - 1], &v[i]) <= 0; i++)
		;
	if (i < n)
		qsort(v, n, sizeof(*v), rank_cmp);
	/* `far` is the range reaching furthest so far: any later range starting
	 * at or before its end overlaps it. */
	for (i = 1; i < n; i++) {
		if (v[i].first <= v[far].last) {
			struct ot_diag *g =
			    xp_gerr(x, v[i].c->ranks_loc,
				    "rank %u of container '%s' is also mapped to container "
				    "'%s'",
				    v[i].first, v[i].c->name, v[far].c->name);

			ot_diag_note(g, v[far].c->ranks_loc, "container '%s' maps it here",
				     v[far].c->name);
		}
		if (v[i].last > v[far].last)
			far = i;
	}
}

static int node_cmp(const void *pa, const void *pb)
{
	const struct ot_m_node *a = *(struct ot_m_node *const *)pa;
	const struct ot_m_node *b = *(struct ot_m_node *const *)pb;

	return ot_natural_cmp(a->name, b->name);
}

void xp_finish_model(struct xctx *x)
{
	struct ot_model *m = x->m;
	size_t i;

	m->nodes = ot_arena_calloc(x->ma, x->nodev.n ? x->nodev.n : 1, sizeof(*m->nodes));
	m->networks = ot_arena_calloc(x->ma, x->netv.n ? x->netv.n : 1, sizeof(*m->networks));
	m->containers = ot_arena_calloc(x->ma, x->ctrv.n ? x->ctrv.n : 1, sizeof(*m->containers));
	if (!m->nodes || !m->networks || !m->containers) {
		x->oom = true;
		return;
	}
	for (i = 0; i < x->nodev.n; i++)
		m->nodes[i] = &x->nodev.v[i]->n;
	m->nnodes = x->nodev.n;
	qsort(m->nodes, m->nnodes, sizeof(*m->nodes), node_cmp);
	for (i = 0; i < m->nnodes; i++)
		m->nodes[i]->index = (uint32_t)i;
	for (i = 0; i < x->netv.n; i++)
		m->networks[i] = &x->netv.v[i]->n;
	m->nnetworks = x->netv.n;
	if (x->ctrv.n)
		memcpy(m->containers, x->ctrv.v, x->ctrv.n * sizeof(*m->containers));
	m->ncontainers = x->ctrv.n;
}

void xp_warnings(struct xctx *x)
{
	size_t i;

	for (i = 0; i < x->netv.n; i++) {
		struct ot_m_network *n = &x->netv.v[i]->n;

		if (!n->is_link && !n->nmembers && !n->nuplinks)
			ot_diag_warning(x->d, n->loc, "network '%s' has no members", n->name);
	}
	if (!x->ctrv.n)
		ot_diag_warning(x->d, x->ast->topology_loc, "the topology has no containers");
}

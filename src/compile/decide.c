/*
 * decide.c - the decisions the back end makes before it writes any plan:
 * dense indices over the model, the hosts binding, the partition of every
 * network over the nodes (which plumbing on which node), VNIs, MTUs, MACs
 * and every kernel and namespace name. Each decision is deterministic: it
 * depends only on the model, the instance name and the hosts file, never on
 * memory addresses or the order of hash tables.
 *
 * Errors are diagnostics at the model's locations; a pass returns -EINVAL
 * after recording them (and keeps going inside the pass, so one run reports
 * every problem of its kind), or -ENOMEM.
 */
#include "compile/cc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* ------------------------------------------------------------------ */
/* indices                                                             */

int cc_index(struct cc *c)
{
	const struct ot_model *m = c->m;
	uint32_t i, j, nif = 0, *fill;

	c->nnodes = (uint32_t)m->nnodes;
	c->ncontainers = (uint32_t)m->ncontainers;
	c->nnets = (uint32_t)m->nnetworks;
	for (i = 0; i < c->ncontainers; i++)
		nif += (uint32_t)m->containers[i]->nifaces;
	c->nifaces = nif;
	c->nodes = ot_arena_calloc(&c->arena, c->nnodes ? c->nnodes : 1, sizeof(*c->nodes));
	c->containers =
	    ot_arena_calloc(&c->arena, c->ncontainers ? c->ncontainers : 1, sizeof(*c->containers));
	c->ifaces = ot_arena_calloc(&c->arena, nif ? nif : 1, sizeof(*c->ifaces));
	c->nets = ot_arena_calloc(&c->arena, c->nnets ? c->nnets : 1, sizeof(*c->nets));
	if (c->arena.oom || cc_ptrmap_init(&c->net_index, c->nnets) < 0 ||
	    cc_ptrmap_init(&c->container_index, c->ncontainers) < 0)
		return -ENOMEM;

	for (i = 0; i < c->nnodes; i++) {
		if (m->nodes[i]->index != i)
			return -EINVAL; /* the model's contract: nodes in index order */
		c->nodes[i].mn = m->nodes[i];
		c->nodes[i].underlay_mtu = CC_DEFAULT_MTU;
	}
	for (i = 0; i < c->nnets; i++) {
		c->nets[i].mn = m->networks[i];
		c->nets[i].alias = m->networks[i]->name;
		cc_ptrmap_put(&c->net_index, m->networks[i], i);
	}
	nif = 0;
	for (i = 0; i < c->ncontainers; i++) {
		const struct ot_m_container *mc = m->containers[i];
		struct cc_container *cc = &c->containers[i];

		cc->mc = mc;
		cc->node = mc->node->index;
		cc->first_iface = nif;
		cc->ns = -1;
		cc_ptrmap_put(&c->container_index, mc, i);
		for (j = 0; j < mc->nifaces; j++, nif++) {
			struct cc_iface *f = &c->ifaces[nif];
			size_t a;

			f->mi = &mc->ifaces[j];
			f->container = i;
			if (f->mi->kind == OT_M_IFACE_NET)
				f->net = cc_net_of(c, f->mi->network);
			for (a = 0; a < f->mi->naddrs; a++)
				if (f->mi->addrs[a].addr.family == AF_INET6)
					f->ipv6 = cc->has_ipv6 = true;
			if (f->mi->has_mac)
				f->mac = f->mi->mac;
		}
		c->nodes[cc->node].ncontainers++;
	}
	/* containers per node, in model order (counting sort) */
	fill = calloc(c->nnodes ? c->nnodes : 1, sizeof(*fill));
	if (!fill)
		return -ENOMEM;
	for (i = 0; i < c->nnodes; i++) {
		c->nodes[i].containers =
		    ot_arena_calloc(&c->arena, c->nodes[i].ncontainers + 1, sizeof(uint32_t));
	}
	for (i = 0; !c->arena.oom && i < c->ncontainers; i++) {
		uint32_t n = c->containers[i].node;

		c->nodes[n].containers[fill[n]++] = i;
	}
	free(fill);
	return c->arena.oom ? -ENOMEM : 0;
}

/* ------------------------------------------------------------------ */
/* hosts                                                               */

int cc_bind_hosts(struct cc *c)
{
	const struct ot_hosts *h = c->o->hosts;
	const struct ot_host *first = NULL;
	struct ot_strmap map = OT_STRMAP_INIT; /* name -> host */
	int rc = 0;
	size_t i;

	if (!h)
		return 0;
	for (i = 0; i < h->nhosts; i++)
		if (ot_strmap_put(&map, h->hosts[i].name, &h->hosts[i], NULL) == -ENOMEM) {
			ot_strmap_free(&map);
			return -ENOMEM;
		}
	for (i = 0; i < c->nnodes; i++) {
		const struct ot_host *host = ot_strmap_get(&map, c->nodes[i].mn->name);
		struct ot_diag *g;

		if (!host) {
			g = ot_diag_error(c->d, c->nodes[i].mn->loc,
					  "node '%s' has no host in '%s'", c->nodes[i].mn->name,
					  h->file ? h->file : "the hosts file");
			ot_diag_hint(
			    g, "add a line '%s SSH_TARGET UNDERLAY_ADDRESS' to the hosts file",
			    c->nodes[i].mn->name);
			rc = -EINVAL;
			continue;
		}
		c->nodes[i].host = host;
		c->nodes[i].underlay_mtu = host->mtu ? host->mtu : CC_DEFAULT_MTU;
		if (!first) {
			first = host;
			c->underlay_family = host->underlay.family;
		} else if (host->underlay.family != first->underlay.family) {
			g = ot_diag_error(
			    c->d, host->loc,
			    "underlay address of '%s' is %s, but '%s' has an %s underlay",
			    host->name, host->underlay.family == AF_INET6 ? "IPv6" : "IPv4",
			    first->name, first->underlay.family == AF_INET6 ? "IPv6" : "IPv4");
			ot_diag_note(g, first->loc, "'%s' is defined here", first->name);
			ot_diag_hint(g, "VXLAN tunnels of one topology use one underlay family");
			rc = -EINVAL;
		}
	}
	ot_strmap_free(&map);
	return rc;
}

/* ------------------------------------------------------------------ */
/* partition                                                           */

static int member_cmp(const void *pa, const void *pb)
{
	const struct cc_member *a = pa, *b = pb;

	if (a->node != b->node)
		return a->node < b->node ? -1 : 1;
	/* stable: interfaces in source order, then uplinks in source order */
	if ((a->iface < 0) != (b->iface < 0))
		return a->iface < 0 ? 1 : -1;
	if (a->iface >= 0)
		return a->iface < b->iface ? -1 : a->iface > b->iface;
	return a->up < b->up ? -1 : a->up > b->up;
}

static bool net_has_ipv6(const struct cc *c, const struct cc_net *n)
{
	uint32_t i;

	if (n->mn->has_subnet6)
		return true;
	for (i = 0; i < n->nmembers; i++) {
		const struct cc_member *mb = &n->members[i];

		if (mb->iface >= 0 ? c->ifaces[mb->iface].ipv6
				   : mb->up->address.addr.family == AF_INET6)
			return true;
	}
	return false;
}

int cc_partition(struct cc *c)
{
	uint32_t i, j, k, *fill;

	for (i = 0; i < c->nnets; i++) {
		struct cc_net *n = &c->nets[i];
		const struct ot_m_network *mn = n->mn;
		bool sorted = true;

		n->nmembers = (uint32_t)(mn->nmembers + mn->nuplinks);
		n->members = ot_arena_calloc(&c->arena, n->nmembers + 1, sizeof(*n->members));
		n->src_members = ot_arena_calloc(&c->arena, mn->nmembers + 1, sizeof(uint32_t));
		if (!n->members || !n->src_members)
			return -ENOMEM;
		for (j = 0; j < mn->nmembers; j++) {
			uint32_t f = cc_iface_of(c, mn->members[j]);

			n->src_members[j] = f;
			n->members[j].iface = (int32_t)f;
			n->members[j].node = c->containers[c->ifaces[f].container].node;
		}
		for (k = 0; k < mn->nuplinks; k++, j++) {
			n->members[j].iface = -1;
			n->members[j].up = &mn->uplinks[k];
			n->members[j].node = mn->uplinks[k].node->index;
		}
		for (j = 1; j < n->nmembers && sorted; j++)
			sorted = member_cmp(&n->members[j - 1], &n->members[j]) <= 0;
		if (!sorted)
			qsort(n->members, n->nmembers, sizeof(*n->members), member_cmp);
		for (j = 0; j < n->nmembers; j++)
			if (j == 0 || n->members[j].node != n->members[j - 1].node)
				n->nnodes++;
		n->nodes = ot_arena_calloc(&c->arena, n->nnodes + 1, sizeof(*n->nodes));
		if (!n->nodes)
			return -ENOMEM;
		for (j = 0, k = 0; j < n->nmembers; j++) {
			if (j > 0 && n->members[j].node == n->members[j - 1].node) {
				n->nodes[k - 1].n++;
				continue;
			}
			n->nodes[k].node = n->members[j].node;
			n->nodes[k].first = j;
			n->nodes[k].n = 1;
			k++;
		}
		n->vxlan = n->nnodes > 1;
		for (k = 0; k < n->nnodes; k++) {
			struct cc_netnode *nn = &n->nodes[k];

			if (n->vxlan)
				nn->plumb =
				    nn->n == 1 && !mn->force_bridge ? CC_VXLAN_DIRECT : CC_BRIDGE;
			else if (mn->force_bridge || nn->n > 2)
				nn->plumb = CC_BRIDGE;
			else
				nn->plumb = nn->n == 2 ? CC_PAIR : CC_LONE;
			if (nn->plumb == CC_BRIDGE || nn->plumb == CC_LONE)
				c->nodes[nn->node].needs_switch = true;
			c->nodes[nn->node].nnets++;
		}
		n->ipv6 = net_has_ipv6(c, n);
		/* every member of an IPv6 network speaks IPv6 */
		for (j = 0; n->ipv6 && j < n->nmembers; j++)
			if (n->members[j].iface >= 0)
				c->ifaces[n->members[j].iface].ipv6 = true;
	}
	/* networks per node, in network order */
	for (i = 0; i < c->nnodes; i++) {
		c->nodes[i].nets =
		    ot_arena_calloc(&c->arena, c->nodes[i].nnets + 1, sizeof(uint32_t));
		c->nodes[i].netnode =
		    ot_arena_calloc(&c->arena, c->nodes[i].nnets + 1, sizeof(uint32_t));
	}
	if (c->arena.oom)
		return -ENOMEM;
	fill = calloc(c->nnodes ? c->nnodes : 1, sizeof(*fill));
	if (!fill)
		return -ENOMEM;
	for (i = 0; i < c->nnets; i++)
		for (k = 0; k < c->nets[i].nnodes; k++) {
			uint32_t nd = c->nets[i].nodes[k].node;

			c->nodes[nd].nets[fill[nd]] = i;
			c->nodes[nd].netnode[fill[nd]++] = k;
		}
	free(fill);
	return 0;
}

/* ------------------------------------------------------------------ */
/* VNIs                                                                */

int cc_decide_vnis(struct cc *c)
{
	const struct ot_bounds *b = c->o->bounds;
	struct ot_hset used = {0};
	uint32_t i, taken = 0, lo, hi;
	int rc = 0;

	lo = c->vni_base;
	hi = c->vni_base + c->vni_span - 1;
	if (b && (b->vni_min || b->vni_max) &&
	    (lo < b->vni_min || (b->vni_max && hi > b->vni_max))) {
		ot_diag_error(c->d, c->m->loc,
			      "derived VNIs %u..%u are outside the allowed range %u..%u", lo, hi,
			      b->vni_min, b->vni_max);
		return -EINVAL;
	}
	/* explicit VNIs first: they are kept as written */
	for (i = 0; i < c->nnets; i++) {
		struct cc_net *n = &c->nets[i];
		uint32_t v = n->mn->vni;
		int r;

		if (!v)
			continue;
		n->vni = v;
		if (b && ((b->vni_min && v < b->vni_min) || (b->vni_max && v > b->vni_max))) {
			struct ot_diag *g = ot_diag_error(
			    c->d, n->mn->vni_loc.line ? n->mn->vni_loc : n->mn->loc,
			    "VNI %u of network '%s' is outside the allowed range %u..%u", v,
			    n->mn->name, b->vni_min, b->vni_max ? b->vni_max : 0xFFFFFFu);
			ot_diag_hint(g, "omit 'vni' to get a VNI in the allowed range");
			rc = -EINVAL;
		}
		r = ot_hset_add1(&used, v);
		if (r < 0)
			goto oom;
		if (r == 0) {
			uint32_t j;

			for (j = 0; j < i && c->nets[j].mn->vni != v; j++)
				;
			struct ot_diag *g = ot_diag_error(c->d, n->mn->vni_loc,
							  "VNI %u is already used by network '%s'",
							  v, c->nets[j].mn->name);
			ot_diag_note(g, c->nets[j].mn->vni_loc, "'%s' takes VNI %u here",
				     c->nets[j].mn->name, v);
			rc = -EINVAL;
		}
		if (v >= lo && v <= hi)
			taken++;
	}
	/* derived VNIs: a hash of (instance, network) in the window, linear
	 * probing past explicit and earlier derived ones */
	for (i = 0; i < c->nnets; i++) {
		struct cc_net *n = &c->nets[i];
		uint64_t h;
		uint32_t v;

		if (!n->vxlan || n->vni)
			continue;
		if (taken >= c->vni_span) {
			ot_diag_error(c->d, n->mn->loc,
				      "no free VNI left for network '%s' in %u..%u", n->mn->name,
				      lo, hi);
			rc = -EINVAL;
			continue;
		}
		h = ot_hash64_str(c->instance);
		h = ot_hash64_more(h, "/", 1);
		h = ot_hash64_more(h, n->mn->name, strlen(n->mn->name));
		v = lo + (uint32_t)(h % c->vni_span);
		while (ot_hset_has1(&used, v))
			v = v == hi ? lo : v + 1;
		if (ot_hset_add1(&used, v) < 0)
			goto oom;
		taken++;
		n->vni = v;
		n->vni_derived = true;
	}
	ot_hset_free(&used);
	return rc;
oom:
	ot_hset_free(&used);
	return -ENOMEM;
}

/* ------------------------------------------------------------------ */
/* MTUs                                                                */

int cc_decide_mtus(struct cc *c)
{
	uint32_t overhead =
	    c->underlay_family == AF_INET6 ? CC_VXLAN_OVERHEAD6 : CC_VXLAN_OVERHEAD4;
	const char *ufam = c->underlay_family == AF_INET6 ? "IPv6" : "IPv4";
	uint32_t i, j;
	int rc = 0;

	for (i = 0; i < c->nnets; i++) {
		struct cc_net *n = &c->nets[i];
		const struct ot_m_network *mn = n->mn;
		uint32_t max = 65535, min = n->ipv6 ? 1280 : 68, eff;
		int32_t tight = -1; /* node with the smallest underlay */
		struct ot_loc where = mn->mtu_loc;
		const struct ot_m_iface *from = NULL; /* the interface that set the MTU */
		struct ot_diag *g;

		if (n->vxlan) {
			for (j = 0; j < n->nnodes; j++) {
				uint32_t u = c->nodes[n->nodes[j].node].underlay_mtu;
				uint32_t room = u > overhead ? u - overhead : 0;

				if (room < max) {
					max = room;
					tight = (int32_t)n->nodes[j].node;
				}
			}
		}
		eff = mn->mtu;
		for (j = 0; !eff && j < n->nmembers; j++) {
			int32_t f = n->members[j].iface;

			if (f >= 0 && c->ifaces[f].mi->mtu) {
				from = c->ifaces[f].mi;
				eff = from->mtu;
				where = from->mtu_loc;
			}
		}
		if (n->vxlan && max < min) {
			const struct cc_node *t = &c->nodes[tight];

			g = ot_diag_error(
			    c->d, mn->loc,
			    "underlay MTU %u of node '%s' is too small for network '%s': "
			    "VXLAN over %s leaves %u bytes, %s needs %u",
			    t->underlay_mtu, t->mn->name, mn->name, ufam, max,
			    n->ipv6 ? "IPv6" : "IPv4", min);
			if (t->host)
				ot_diag_note(g, t->host->loc,
					     "the underlay MTU of '%s' is set here", t->mn->name);
			rc = -EINVAL;
			continue;
		}
		if (!eff) {
			eff = n->vxlan ? max : CC_DEFAULT_MTU;
			where = mn->loc;
		} else if (n->vxlan && eff > max) {
			const struct cc_node *t = &c->nodes[tight];

			if (from)
				g = ot_diag_error(
				    c->d, where,
				    "MTU %u of '%s.%s' does not fit VXLAN of network '%s' "
				    "on node '%s': underlay MTU %u minus %u bytes of "
				    "VXLAN over %s leaves %u",
				    eff, from->container->name, from->name, mn->name, t->mn->name,
				    t->underlay_mtu, overhead, ufam, max);
			else
				g = ot_diag_error(
				    c->d, where,
				    "MTU %u of network '%s' does not fit VXLAN on node "
				    "'%s': underlay MTU %u minus %u bytes of VXLAN over "
				    "%s leaves %u",
				    eff, mn->name, t->mn->name, t->underlay_mtu, overhead, ufam,
				    max);
			ot_diag_hint(g, "use 'mtu %u' or less, or raise the underlay MTU", max);
			if (t->host)
				ot_diag_note(g, t->host->loc,
					     "the underlay MTU of '%s' is set here", t->mn->name);
			rc = -EINVAL;
		} else if (eff < min) {
			g = ot_diag_error(c->d, where,
					  "MTU %u of network '%s' is below %u, the minimum "
					  "for %s",
					  eff, mn->name, min, n->ipv6 ? "IPv6" : "IPv4");
			rc = -EINVAL;
		}
		n->mtu = eff;
		/* one MTU per segment */
		for (j = 0; j < n->nmembers; j++) {
			int32_t f = n->members[j].iface;
			const struct ot_m_iface *mi;

			if (f < 0)
				continue;
			mi = c->ifaces[f].mi;
			if (mi->mtu && mi->mtu != eff) {
				g = ot_diag_error(
				    c->d, mi->mtu_loc,
				    "MTU %u of '%s.%s' differs from MTU %u of network '%s'",
				    mi->mtu, mi->container->name, mi->name, eff, mn->name);
				ot_diag_hint(g,
					     "every member of a network has the same MTU; set it "
					     "once on the network");
				rc = -EINVAL;
			}
		}
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* MACs                                                                */

static uint64_t mac_key(const struct ot_mac *m)
{
	uint64_t k = 0;
	int i;

	for (i = 0; i < 6; i++)
		k = (k << 8) | m->b[i];
	return k | (1ULL << 48); /* never 0 */
}

/* A locally administered unicast MAC from a hash: 02:xx:xx:xx:xx:xx. */
static struct ot_mac mac_from(uint64_t h)
{
	struct ot_mac m;
	int i;

	m.b[0] = 0x02;
	for (i = 1; i < 6; i++)
		m.b[i] = (uint8_t)(h >> (8 * (i - 1)));
	return m;
}

static int derive_mac(struct ot_hset *used, uint64_t h, struct ot_mac *ret)
{
	struct ot_mac m;
	int r;

	for (;;) {
		m = mac_from(h);
		r = ot_hset_add1(used, mac_key(&m));
		if (r < 0)
			return r;
		if (r > 0)
			break;
		h = ot_mix64(h + 1);
	}
	*ret = m;
	return 0;
}

int cc_decide_macs(struct cc *c)
{
	struct ot_hset used = {0};
	uint32_t i, j;
	uint64_t h;

	for (i = 0; i < c->nifaces; i++)
		if (c->ifaces[i].mi->has_mac && ot_hset_add1(&used, mac_key(&c->ifaces[i].mac)) < 0)
			goto oom;
	for (i = 0; i < c->nnets; i++) {
		struct cc_net *n = &c->nets[i];

		if (!n->vxlan)
			continue;
		for (j = 0; j < n->nmembers; j++) {
			struct cc_member *mb = &n->members[j];

			h = ot_hash64_str(c->instance);
			h = ot_hash64_more(h, "/", 1);
			if (mb->iface >= 0) {
				struct cc_iface *f = &c->ifaces[mb->iface];

				if (f->mi->has_mac)
					continue;
				h = ot_hash64_more(h, f->mi->container->name,
						   strlen(f->mi->container->name));
				h = ot_hash64_more(h, "/", 1);
				h = ot_hash64_more(h, f->mi->name, strlen(f->mi->name));
				if (derive_mac(&used, h, &f->mac) < 0)
					goto oom;
			} else {
				const char *node = c->nodes[mb->node].mn->name;

				h = ot_hash64_more(h, node, strlen(node));
				h = ot_hash64_more(h, "/uplink/", 8);
				h = ot_hash64_more(h, n->mn->name, strlen(n->mn->name));
				if (derive_mac(&used, h, &mb->mac) < 0)
					goto oom;
			}
		}
	}
	ot_hset_free(&used);
	return 0;
oom:
	ot_hset_free(&used);
	return -ENOMEM;
}

/* ------------------------------------------------------------------ */
/* names                                                               */

/*
 * A kernel interface name from a readable candidate: the candidate when it
 * fits (and salt is 0), else its first 9 bytes, '-', and 5 hex digits of
 * a hash of the whole candidate and the salt: exactly 15 bytes.
 */
static void short_name(char out[OT_IFNAMSIZ], const char *cand, unsigned salt)
{
	size_t n = strlen(cand);
	uint64_t h;

	if (n < OT_IFNAMSIZ && salt == 0 && ot_ifname_valid(cand)) {
		memcpy(out, cand, n + 1);
		return;
	}
	h = ot_hash64_str(cand);
	h = ot_hash64_more(h, &salt, sizeof(salt));
	snprintf(out, OT_IFNAMSIZ, "%.9s-%05x", cand, (unsigned)(h & 0xfffff));
	/* a cut name must stay valid: the candidate's bytes are identifier bytes */
}

#define CC_MAX_SALT 1000

/*
 * Names already used in one namespace while naming it. Kernel names are at
 * most 15 bytes, so each is kept inline as two zero-padded 64-bit words: no
 * copy in an arena, no string hashing or comparing (the switch namespace of
 * a node names a port per member). A name has at least one byte, so its key
 * is never all zero.
 */
struct nameset {
	struct ot_hset set;
};

static void name_key(const char *name, uint64_t k[2])
{
	char t[16] = {0};

	memcpy(t, name, strnlen(name, OT_IFNAMSIZ - 1));
	memcpy(&k[0], t, 8);
	memcpy(&k[1], t + 8, 8);
}

/* Room for n names. */
static int nameset_init(struct nameset *s, size_t n)
{
	s->set = (struct ot_hset)OT_HSET_INIT(2);
	return ot_hset_reserve(&s->set, n);
}

static void nameset_free(struct nameset *s)
{
	ot_hset_free(&s->set);
}

static bool taken(const struct nameset *s, const char *name)
{
	uint64_t k[2];

	name_key(name, k);
	return ot_hset_has2(&s->set, k);
}

/* Add a name not yet in the set. 0 or -ENOMEM. */
static int insert(struct nameset *s, const char *name)
{
	uint64_t k[2];

	name_key(name, k);
	return ot_hset_add2(&s->set, k) < 0 ? -ENOMEM : 0;
}

/* Choose a free name for cand in s; 0, -EEXIST (no salt worked) or -ENOMEM. */
static int pick(struct nameset *s, const char *cand, char out[OT_IFNAMSIZ])
{
	unsigned salt;

	for (salt = 0; salt < CC_MAX_SALT; salt++) {
		short_name(out, cand, salt);
		if (!taken(s, out))
			return insert(s, out);
	}
	return -EEXIST;
}

static int reserve(struct nameset *s, const char *name)
{
	if (taken(s, name))
		return -EEXIST;
	return insert(s, name);
}

/* Is name taken by one of the first n interfaces of a container (or lo)? A
 * linear scan: a container has at most OT_MAX_IFACES interfaces. */
static bool iface_taken(const struct cc *c, const struct cc_container *cc, uint32_t n,
			const char *name)
{
	uint32_t j;

	if (strcmp(name, "lo") == 0)
		return true;
	for (j = 0; j < n; j++)
		if (strcmp(c->ifaces[cc->first_iface + j].kname, name) == 0)
			return true;
	return false;
}

/* Interfaces of one container: written names when valid, short ones else. */
static int name_container(struct cc *c, uint32_t ci)
{
	struct cc_container *cc = &c->containers[ci];
	const struct ot_m_container *mc = cc->mc;
	uint32_t j;
	unsigned salt;
	int rc = 0;

	for (j = 0; j < mc->nifaces; j++) {
		struct cc_iface *f = &c->ifaces[cc->first_iface + j];

		if (strcmp(f->mi->name, "lo") == 0) {
			struct ot_diag *g =
			    ot_diag_error(c->d, f->mi->loc,
					  "interface name 'lo' is taken by the loopback "
					  "device of every container");
			ot_diag_hint(g, "choose another name, e.g. 'eth%u'", j);
			rc = -EINVAL;
			continue;
		}
		/* names are unique per container (front end), so no clash here */
		if (ot_ifname_valid(f->mi->name))
			memcpy(f->kname, f->mi->name, strlen(f->mi->name) + 1);
	}
	for (j = 0; j < mc->nifaces; j++) {
		struct cc_iface *f = &c->ifaces[cc->first_iface + j];
		char cand[OT_IFNAMSIZ];

		if (f->kname[0] || strcmp(f->mi->name, "lo") == 0)
			continue;
		for (salt = 0; salt < CC_MAX_SALT; salt++) {
			short_name(cand, f->mi->name, salt);
			if (!iface_taken(c, cc, mc->nifaces, cand))
				break;
		}
		memcpy(f->kname, cand, sizeof(cand));
		f->renamed = true;
	}
	return rc;
}

/* The switch namespace of one node: bridges, VXLAN devices, veth ports. */
static int name_switch(struct cc *c, uint32_t nd)
{
	struct cc_node *node = &c->nodes[nd];
	struct nameset s;
	char cand[OT_MAX_NAME * 2 + 8];
	uint32_t i, j;
	size_t want = 1;

	for (i = 0; i < node->nnets; i++)
		want += 2 + c->nets[node->nets[i]].nodes[node->netnode[i]].n;
	if (nameset_init(&s, want) < 0)
		return -ENOMEM;
	if (reserve(&s, "lo") < 0)
		goto oom;
	for (i = 0; i < node->nnets; i++) {
		struct cc_net *n = &c->nets[node->nets[i]];
		struct cc_netnode *nn = &n->nodes[node->netnode[i]];

		if (nn->plumb != CC_BRIDGE)
			continue;
		if (n->vxlan) {
			snprintf(nn->vxlan, sizeof(nn->vxlan), "vx%u", n->vni);
			if (reserve(&s, nn->vxlan) == -ENOMEM)
				goto oom;
		}
	}
	for (i = 0; i < node->nnets; i++) {
		struct cc_net *n = &c->nets[node->nets[i]];
		struct cc_netnode *nn = &n->nodes[node->netnode[i]];

		if (nn->plumb != CC_BRIDGE)
			continue;
		cc_cat(cand, sizeof(cand), "br-", n->mn->name, "");
		if (pick(&s, cand, nn->bridge) < 0)
			goto oom;
	}
	for (i = 0; i < node->nnets; i++) {
		struct cc_net *n = &c->nets[node->nets[i]];
		struct cc_netnode *nn = &n->nodes[node->netnode[i]];

		if (nn->plumb != CC_BRIDGE && nn->plumb != CC_LONE)
			continue;
		for (j = nn->first; j < nn->first + nn->n; j++) {
			struct cc_member *mb = &n->members[j];

			if (mb->iface >= 0) {
				struct cc_iface *f = &c->ifaces[mb->iface];

				cc_cat(cand, sizeof(cand), f->mi->container->name, "-",
				       f->mi->name);
				if (pick(&s, cand, f->port) < 0)
					goto oom;
			} else {
				cc_cat(cand, sizeof(cand), "up-", n->mn->name, "");
				if (pick(&s, cand, mb->port) < 0)
					goto oom;
			}
		}
	}
	nameset_free(&s);
	return 0;
oom:
	nameset_free(&s);
	return -ENOMEM;
}

/* Host-side names: "ot" + 8 hex digits of a hash of the prefix and the
 * object, unique on the host across instances (and checked within the
 * node). */
static int name_host(struct cc *c, uint32_t nd)
{
	struct cc_node *node = &c->nodes[nd];
	struct nameset s;
	uint32_t i, j, salt;

	if (nameset_init(&s, 16) < 0)
		return -ENOMEM;

	for (i = 0; i < node->nnets; i++) {
		struct cc_net *n = &c->nets[node->nets[i]];
		struct cc_netnode *nn = &n->nodes[node->netnode[i]];

		for (j = nn->first; j < nn->first + nn->n; j++) {
			struct cc_member *mb = &n->members[j];
			uint64_t h;

			if (mb->iface >= 0)
				continue;
			h = ot_hash64_str(node->prefix);
			h = ot_hash64_more(h, "/uplink/", 8);
			h = ot_hash64_more(h, n->mn->name, strlen(n->mn->name));
			for (salt = 0; salt < CC_MAX_SALT; salt++) {
				snprintf(mb->kname, sizeof(mb->kname), "ot%08x",
					 (unsigned)((h >> 32) ^ h));
				if (!taken(&s, mb->kname))
					break;
				h = ot_mix64(h + 1);
			}
			if (reserve(&s, mb->kname) == -ENOMEM)
				goto oom;
			mb->alias = ot_arena_printf(&c->arena, "%s/%s/uplink-%s", c->instance,
						    node->mn->name, n->mn->name);
			if (!mb->alias)
				goto oom;
		}
	}
	nameset_free(&s);
	return 0;
oom:
	nameset_free(&s);
	return -ENOMEM;
}

int cc_decide_names(struct cc *c)
{
	uint32_t i, j;
	int rc = 0, r;

	if (!ot_nsname_valid(c->instance)) {
		ot_diag_error(c->d, c->m->loc,
			      "instance name '%s' is not usable in namespace names "
			      "(letters, digits, '.', '_', '-')",
			      c->instance);
		return -EINVAL;
	}
	for (i = 0; i < c->nnodes; i++) {
		struct cc_node *node = &c->nodes[i];

		node->prefix = cc_arena_cat(&c->arena, c->instance, ".", node->mn->name);
		if (!node->prefix)
			return -ENOMEM;
		if (!ot_nsname_valid(node->prefix)) {
			ot_diag_error(c->d, node->mn->loc,
				      "namespace name '%s' of node '%s' is longer than %u bytes",
				      node->prefix, node->mn->name, OT_NSNAME_MAX);
			rc = -EINVAL;
		}
	}
	for (i = 0; i < c->ncontainers; i++) {
		struct cc_container *cc = &c->containers[i];

		cc->nsname = cc_arena_cat(&c->arena, c->nodes[cc->node].prefix, ".", cc->mc->name);
		if (!cc->nsname)
			return -ENOMEM;
		if (!ot_nsname_valid(cc->nsname)) {
			ot_diag_error(
			    c->d, cc->mc->loc,
			    "namespace name '%s' of container '%s' is longer than %u bytes",
			    cc->nsname, cc->mc->name, OT_NSNAME_MAX);
			rc = -EINVAL;
		}
		r = name_container(c, i);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			rc = r;
	}
	for (i = 0; i < c->nnodes; i++) {
		if (name_switch(c, i) < 0 || name_host(c, i) < 0)
			return -ENOMEM;
	}
	/* VXLAN devices that are the member itself take the member's name */
	for (i = 0; i < c->nnets; i++) {
		struct cc_net *n = &c->nets[i];

		for (j = 0; j < n->nnodes; j++) {
			struct cc_netnode *nn = &n->nodes[j];
			const struct cc_member *mb = &n->members[nn->first];

			if (nn->plumb != CC_VXLAN_DIRECT)
				continue;
			memcpy(nn->vxlan, mb->iface >= 0 ? c->ifaces[mb->iface].kname : mb->kname,
			       OT_IFNAMSIZ);
		}
	}
	return rc;
}

/*
 * compile.c - the back end's driver and its lowering: run the decision
 * passes (decide.c, bounds.c), then write one plan per node as an ordered
 * list of typed operations (contract in compile.h, plan.h).
 *
 * Operation order inside a plan (the executor runs it as is):
 *   1. namespaces: the switch namespace first, then containers (model order)
 *   2. links, network by network: bridge, VXLAN device, then one veth per
 *      member (created in the member's namespace with its peer in place);
 *      then macvlans. MTU, MAC, alias, master and IPv6 mode are set at
 *      creation.
 *   3. addresses (containers, then host uplinks)
 *   4. links up, in creation order (a veth peer in its own op: IFF_UP at
 *      creation fails on the peer of a veth)
 *   5. routes, 6. FDB entries, 7. sysctls, 8. nftables tables, 9. cgroups.
 * Teardown is derived by ot_plan_teardown().
 */
#include "compile/cc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* ------------------------------------------------------------------ */
/* checks made before lowering                                         */

static const struct cc_iface *iface_for_gateway(const struct cc *c, const struct cc_container *cc,
						const struct ot_addr *a);

int cc_check_routes(struct cc *c)
{
	uint32_t i;
	size_t r;
	int rc = 0;

	for (i = 0; i < c->ncontainers; i++) {
		const struct cc_container *cc = &c->containers[i];

		for (r = 0; r < cc->mc->nroutes; r++) {
			const struct ot_m_route *mr = &cc->mc->routes[r];
			char via[OT_ADDR_STRLEN];
			struct ot_diag *g;

			if (mr->dev || !mr->has_via || iface_for_gateway(c, cc, &mr->via))
				continue;
			ot_addr_format(&mr->via, via, sizeof(via));
			g = ot_diag_error(
			    c->d, mr->loc,
			    "gateway %s is not inside the subnet of any interface of '%s'", via,
			    cc->mc->name);
			ot_diag_hint(g, "give the device with 'dev IFACE', or fix the address");
			rc = -EINVAL;
		}
	}
	return rc;
}

int cc_check_fdb(struct cc *c)
{
	uint32_t i, j;
	int rc = 0;

	for (i = 0; i < c->nnodes; i++) {
		const struct cc_node *node = &c->nodes[i];
		uint64_t total = 0;

		for (j = 0; j < node->nnets; j++) {
			const struct cc_net *n = &c->nets[node->nets[j]];
			struct ot_diag *g;

			if (!n->vxlan)
				continue;
			/* one flood entry per remote node, one exact entry per remote
			 * member unless the device learns */
			total += n->nnodes - 1;
			if (!cc_fdb_learns(n, &n->nodes[node->netnode[j]]))
				total += n->nmembers - n->nodes[node->netnode[j]].n;
			if (total <= CC_MAX_FDB_PER_NODE)
				continue;
			g = ot_diag_error(
			    c->d, n->mn->loc,
			    "node '%s' would need more than %u VXLAN forwarding entries",
			    node->mn->name, CC_MAX_FDB_PER_NODE);
			ot_diag_hint(g,
				     "split large networks: every node holds one entry per remote "
				     "member of each network it is on");
			rc = -EINVAL;
			break;
		}
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* lowering one node                                                   */

struct lower {
	struct cc *c;
	struct ot_plan *p;
	uint32_t nd;
	int sw;			     /* switch namespace index, or -1 */
	size_t links_from, links_to; /* link ops, for the "up" pass */
	uint32_t nfdb;
};

static int member_ns(const struct lower *l, const struct cc_member *mb)
{
	return mb->iface >= 0 ? l->c->containers[l->c->ifaces[mb->iface].container].ns
			      : OT_NS_HOST_INDEX;
}

static const char *member_name(const struct lower *l, const struct cc_member *mb)
{
	return mb->iface >= 0 ? l->c->ifaces[mb->iface].kname : mb->kname;
}

/* An interface alias in the plan: at most OT_ALIAS_MAX bytes (a long
 * link name is cut, deterministically). */
static const char *alias_dup(struct ot_plan *p, const char *s)
{
	return s ? ot_arena_strndup(&p->arena, s, strnlen(s, OT_ALIAS_MAX)) : NULL;
}

static const char *member_alias(struct lower *l, const struct cc_member *mb)
{
	if (mb->iface >= 0) {
		const struct cc_iface *f = &l->c->ifaces[mb->iface];

		return f->renamed ? alias_dup(l->p, f->mi->name) : NULL;
	}
	return alias_dup(l->p, mb->alias);
}

static struct ot_mac member_mac(const struct lower *l, const struct cc_member *mb)
{
	return mb->iface >= 0 ? l->c->ifaces[mb->iface].mac : mb->mac;
}

static bool member_ipv6(const struct lower *l, const struct cc_net *n, const struct cc_member *mb)
{
	return mb->iface >= 0 ? l->c->ifaces[mb->iface].ipv6
			      : n->ipv6 || mb->up->address.addr.family == AF_INET6;
}

static const struct ot_loc *member_loc(const struct lower *l, const struct cc_member *mb)
{
	return mb->iface >= 0 ? &l->c->ifaces[mb->iface].mi->loc : &mb->up->loc;
}

static struct ot_op *add_op(struct lower *l, enum ot_op_kind kind, int ns, const struct ot_loc *loc)
{
	int i = ot_plan_add_op(l->p, kind, ns);

	if (i < 0)
		return NULL;
	if (loc)
		l->p->ops[i].origin = cc_origin(l->c, l->p, loc);
	return &l->p->ops[i];
}

/* src is always a char[OT_IFNAMSIZ] field of the decisions (cc.h). */
static void set_name(char dst[OT_IFNAMSIZ], const char src[OT_IFNAMSIZ])
{
	cc_name_copy(dst, src);
}

/* A switch-side veth end whose name had to be shortened says whose it is:
 * "container.iface" (or "uplink-NET"); readable names need no alias. */
static const char *port_alias(struct lower *l, const struct cc_net *n, const struct cc_member *mb,
			      const char *port)
{
	char cand[2 * OT_MAX_NAME + 8];

	if (mb->iface >= 0) {
		const struct ot_m_iface *mi = l->c->ifaces[mb->iface].mi;

		cc_cat(cand, sizeof(cand), mi->container->name, "-", mi->name);
		if (strcmp(cand, port) == 0)
			return NULL;
		cc_cat(cand, sizeof(cand), mi->container->name, ".", mi->name);
		return alias_dup(l->p, cand);
	}
	cc_cat(cand, sizeof(cand), "up-", n->mn->name, "");
	if (strcmp(cand, port) == 0)
		return NULL;
	cc_cat(cand, sizeof(cand), "uplink-", n->mn->name, "");
	return alias_dup(l->p, cand);
}

/* The side of a member on its segment: veth end, VXLAN device or pair end. */
static int lower_member_veth(struct lower *l, const struct cc_net *n, const struct cc_netnode *nn,
			     const struct cc_member *mb)
{
	struct ot_op *op = add_op(l, OT_OP_LINK, member_ns(l, mb), member_loc(l, mb));
	struct ot_op_link *k;

	if (!op)
		return -ENOMEM;
	k = &op->link;
	k->kind = OT_LINK_VETH;
	set_name(k->name, member_name(l, mb));
	k->alias = member_alias(l, mb);
	k->mac = member_mac(l, mb);
	k->mtu = n->mtu;
	k->ipv6 = member_ipv6(l, n, mb);
	k->peer_ns = l->sw;
	set_name(k->peer_name, mb->iface >= 0 ? l->c->ifaces[mb->iface].port : mb->port);
	k->peer_alias = port_alias(l, n, mb, k->peer_name);
	if (nn->plumb == CC_BRIDGE)
		set_name(k->peer_master, nn->bridge);
	return 0;
}

static int lower_vxlan(struct lower *l, const struct cc_net *n, const struct cc_netnode *nn, int ns,
		       const struct cc_member *direct)
{
	const struct cc_node *node = &l->c->nodes[l->nd];
	struct ot_op *op = add_op(l, OT_OP_LINK, ns, direct ? member_loc(l, direct) : &n->mn->loc);
	struct ot_op_link *k;

	if (!op)
		return -ENOMEM;
	k = &op->link;
	k->kind = OT_LINK_VXLAN;
	set_name(k->name, nn->vxlan);
	k->mtu = n->mtu;
	if (direct) {
		k->alias = member_alias(l, direct);
		k->mac = member_mac(l, direct);
		k->ipv6 = member_ipv6(l, n, direct);
	} else {
		k->alias = alias_dup(l->p, n->alias);
		set_name(k->master, nn->bridge);
	}
	k->vni = n->vni;
	k->port = l->c->vxlan_port;
	if (node->host)
		k->local = node->host->underlay;
	k->sock_ns = OT_NS_HOST_INDEX;
	k->learning = cc_fdb_learns(n, nn); /* beyond CC_MAX_FDB_EXACT remote members */
	return 0;
}

static int lower_net_links(struct lower *l, const struct cc_net *n, const struct cc_netnode *nn)
{
	const struct cc_member *a = &n->members[nn->first];
	struct ot_op *op;
	uint32_t j;

	switch (nn->plumb) {
	case CC_PAIR: {
		const struct cc_member *b = &n->members[nn->first + 1];
		struct ot_op_link *k;

		if (a->iface < 0 && b->iface >= 0) { /* create on the container's side */
			const struct cc_member *t = a;

			a = b;
			b = t;
		}
		op = add_op(l, OT_OP_LINK, member_ns(l, a),
			    n->mn->is_link ? &n->mn->loc : member_loc(l, a));
		if (!op)
			return -ENOMEM;
		k = &op->link;
		k->kind = OT_LINK_VETH;
		set_name(k->name, member_name(l, a));
		k->alias = member_alias(l, a);
		k->mac = member_mac(l, a);
		k->mtu = n->mtu;
		k->ipv6 = member_ipv6(l, n, a);
		k->peer_ns = member_ns(l, b);
		set_name(k->peer_name, member_name(l, b));
		k->peer_alias = member_alias(l, b);
		k->peer_mac = member_mac(l, b);
		k->peer_ipv6 = member_ipv6(l, n, b);
		return 0;
	}
	case CC_LONE:
		return lower_member_veth(l, n, nn, a);
	case CC_VXLAN_DIRECT:
		return lower_vxlan(l, n, nn, member_ns(l, a), a);
	case CC_BRIDGE:
		op = add_op(l, OT_OP_LINK, l->sw, &n->mn->loc);
		if (!op)
			return -ENOMEM;
		op->link.kind = OT_LINK_BRIDGE;
		set_name(op->link.name, nn->bridge);
		op->link.alias = alias_dup(l->p, n->alias);
		op->link.mtu = n->mtu;
		if (n->vxlan && lower_vxlan(l, n, nn, l->sw, NULL) < 0)
			return -ENOMEM;
		for (j = nn->first; j < nn->first + nn->n; j++)
			if (lower_member_veth(l, n, nn, &n->members[j]) < 0)
				return -ENOMEM;
		return 0;
	}
	return 0;
}

static int lower_macvlans(struct lower *l, const struct cc_container *cc)
{
	uint32_t j;

	for (j = 0; j < cc->mc->nifaces; j++) {
		const struct cc_iface *f = &l->c->ifaces[cc->first_iface + j];
		struct ot_op *op;

		if (f->mi->kind != OT_M_IFACE_MACVLAN)
			continue;
		op = add_op(l, OT_OP_LINK, cc->ns, &f->mi->loc);
		if (!op)
			return -ENOMEM;
		op->link.kind = OT_LINK_MACVLAN;
		set_name(op->link.name, f->kname);
		op->link.alias = f->renamed ? alias_dup(l->p, f->mi->name) : NULL;
		op->link.mac = f->mac;
		op->link.mtu = f->mi->mtu;
		op->link.ipv6 = f->ipv6;
		set_name(op->link.lower, f->mi->lower);
		op->link.mode = f->mi->macvlan_mode;
	}
	return 0;
}

static int lower_addrs(struct lower *l, const struct cc_node *node)
{
	uint32_t i, j;
	size_t a;

	for (i = 0; i < node->ncontainers; i++) {
		const struct cc_container *cc = &l->c->containers[node->containers[i]];

		for (j = 0; j < cc->mc->nifaces; j++) {
			const struct cc_iface *f = &l->c->ifaces[cc->first_iface + j];

			for (a = 0; a < f->mi->naddrs; a++) {
				struct ot_op *op =
				    add_op(l, OT_OP_ADDR, cc->ns, &f->mi->addr_locs[a]);

				if (!op)
					return -ENOMEM;
				set_name(op->addr.dev, f->kname);
				op->addr.addr = f->mi->addrs[a];
			}
		}
	}
	for (i = 0; i < node->nnets; i++) {
		const struct cc_net *n = &l->c->nets[node->nets[i]];
		const struct cc_netnode *nn = &n->nodes[node->netnode[i]];

		for (j = nn->first; j < nn->first + nn->n; j++) {
			const struct cc_member *mb = &n->members[j];
			struct ot_op *op;

			if (mb->iface >= 0)
				continue;
			op = add_op(l, OT_OP_ADDR, OT_NS_HOST_INDEX, &mb->up->loc);
			if (!op)
				return -ENOMEM;
			set_name(op->addr.dev, mb->kname);
			op->addr.addr = mb->up->address;
		}
	}
	return 0;
}

static int lower_ups(struct lower *l)
{
	size_t i;

	for (i = l->links_from; i < l->links_to; i++) {
		/* copy: adding ops may move the array */
		struct ot_op_link k = l->p->ops[i].link;
		int ns = l->p->ops[i].ns;
		const char *origin = l->p->ops[i].origin;
		int x = ot_plan_add_op(l->p, OT_OP_LINK_UP, ns);

		if (x < 0)
			return x;
		l->p->ops[x].origin = origin;
		set_name(l->p->ops[x].dev, k.name);
		if (k.kind != OT_LINK_VETH)
			continue;
		x = ot_plan_add_op(l->p, OT_OP_LINK_UP, k.peer_ns);
		if (x < 0)
			return x;
		l->p->ops[x].origin = origin;
		set_name(l->p->ops[x].dev, k.peer_name);
	}
	return 0;
}

/* The container's interface whose addresses' subnet holds a, or NULL. */
static const struct cc_iface *iface_for_gateway(const struct cc *c, const struct cc_container *cc,
						const struct ot_addr *a)
{
	uint32_t j;
	size_t k;

	for (j = 0; j < cc->mc->nifaces; j++) {
		const struct cc_iface *f = &c->ifaces[cc->first_iface + j];

		for (k = 0; k < f->mi->naddrs; k++)
			if (ot_prefix_contains(&f->mi->addrs[k], a))
				return f;
	}
	return NULL;
}

static int lower_routes(struct lower *l, const struct cc_container *cc)
{
	struct cc *c = l->c;
	size_t r;

	for (r = 0; r < cc->mc->nroutes; r++) {
		const struct ot_m_route *mr = &cc->mc->routes[r];
		const struct cc_iface *dev = NULL;
		struct ot_op *op;

		if (mr->dev) {
			dev = &c->ifaces[cc_iface_of(c, mr->dev)];
		} else if (mr->has_via) {
			dev = iface_for_gateway(c, cc, &mr->via);
			if (!dev)
				continue; /* reported by cc_check_routes() */
		}
		op = add_op(l, OT_OP_ROUTE, cc->ns, &mr->loc);
		if (!op)
			return -ENOMEM;
		op->route.dst = mr->dst;
		if (mr->dst.len == 0) /* a default route: no address bytes */
			op->route.dst = (struct ot_prefix){.addr = {.family = mr->dst.addr.family}};
		if (mr->has_via)
			op->route.via = mr->via;
		if (dev)
			set_name(op->route.dev, dev->kname);
		op->route.metric = mr->metric;
	}
	return 0;
}

static int lower_fdb(struct lower *l, const struct cc_net *n, const struct cc_netnode *nn)
{
	struct cc *c = l->c;
	uint32_t k, j;
	bool learns;
	int ns;

	if (!n->vxlan)
		return 0;
	learns = cc_fdb_learns(n, nn);
	ns = nn->plumb == CC_VXLAN_DIRECT ? member_ns(l, &n->members[nn->first]) : l->sw;
	for (k = 0; k < n->nnodes; k++) {
		const struct cc_netnode *rn = &n->nodes[k];
		const struct cc_node *remote = &c->nodes[rn->node];
		struct ot_op *op;

		if (rn->node == l->nd)
			continue;
		/* head-end replication first, then one exact entry per remote MAC
		 * (none when the device learns) */
		for (j = 0; j <= (learns ? 0 : rn->n); j++) {
			op = add_op(l, OT_OP_FDB, ns, NULL);
			if (!op)
				return -ENOMEM;
			set_name(op->fdb.dev, nn->vxlan);
			if (j > 0) {
				const struct cc_member *mb = &n->members[rn->first + j - 1];

				op->fdb.mac = mb->iface >= 0 ? c->ifaces[mb->iface].mac : mb->mac;
			}
			if (remote->host)
				op->fdb.dst = remote->host->underlay;
			op->fdb.dst_node = l->p->nodes[rn->node].name;
			l->nfdb++;
		}
	}
	return 0;
}

static int add_sysctl(struct lower *l, int ns, const struct ot_loc *loc, const char *key,
		      const char *value)
{
	struct ot_op *op = add_op(l, OT_OP_SYSCTL, ns, loc);

	if (!op)
		return -ENOMEM;
	op->sysctl.key = ot_plan_strdup(l->p, key);
	op->sysctl.value = ot_plan_strdup(l->p, value);
	return l->p->arena.oom ? -ENOMEM : 0;
}

static int lower_sysctls(struct lower *l, const struct cc_node *node)
{
	uint32_t i, j;
	bool fwd4 = false, fwd6 = false;
	const struct ot_loc *fwd_loc = NULL;
	size_t s;

	for (i = 0; i < node->ncontainers; i++) {
		const struct cc_container *cc = &l->c->containers[node->containers[i]];

		for (s = 0; s < cc->mc->nsysctls; s++)
			if (add_sysctl(l, cc->ns, &cc->mc->sysctls[s].loc, cc->mc->sysctls[s].key,
				       cc->mc->sysctls[s].value) < 0)
				return -ENOMEM;
		if (!cc->mc->forward)
			continue;
		if (add_sysctl(l, cc->ns, &cc->mc->forward_loc, "net/ipv4/ip_forward", "1") < 0)
			return -ENOMEM;
		/* No ICMP redirects from a router: the kernel sends them before
		 * the forward hook, so a host told "use the other router" would
		 * then bypass this router's forward rules and take paths the
		 * topology's routes never name (found by tests/differential,
		 * seed 66). Sent when conf/all or the device's conf says so. */
		for (j = 0; j < cc->mc->nifaces; j++) {
			char key[64];

			snprintf(key, sizeof(key), "net/ipv4/conf/%s/send_redirects",
				 l->c->ifaces[cc->first_iface + j].kname);
			if (add_sysctl(l, cc->ns, &cc->mc->forward_loc, key, "0") < 0)
				return -ENOMEM;
		}
		if (add_sysctl(l, cc->ns, &cc->mc->forward_loc, "net/ipv4/conf/all/send_redirects",
			       "0") < 0)
			return -ENOMEM;
		if (cc->has_ipv6 && add_sysctl(l, cc->ns, &cc->mc->forward_loc,
					       "net/ipv6/conf/all/forwarding", "1") < 0)
			return -ENOMEM;
	}
	/* a masquerading uplink routes the segment out of the host */
	for (i = 0; i < node->nnets; i++) {
		const struct cc_net *n = &l->c->nets[node->nets[i]];
		const struct cc_netnode *nn = &n->nodes[node->netnode[i]];

		for (j = nn->first; j < nn->first + nn->n; j++) {
			const struct cc_member *mb = &n->members[j];

			if (mb->iface >= 0 || !mb->up->masquerade)
				continue;
			if (!fwd_loc)
				fwd_loc = &mb->up->loc;
			if (mb->up->address.addr.family == AF_INET6)
				fwd6 = true;
			else
				fwd4 = true;
		}
	}
	if (fwd4 && add_sysctl(l, OT_NS_HOST_INDEX, fwd_loc, "net/ipv4/ip_forward", "1") < 0)
		return -ENOMEM;
	if (fwd6 &&
	    add_sysctl(l, OT_NS_HOST_INDEX, fwd_loc, "net/ipv6/conf/all/forwarding", "1") < 0)
		return -ENOMEM;
	return 0;
}

static int lower_namespaces(struct lower *l, const struct cc_node *node)
{
	struct cc *c = l->c;
	struct ot_plan *p = l->p;
	uint32_t i;

	l->sw = -1;
	if (node->needs_switch) {
		l->sw = ot_plan_add_ns(p, OT_NS_SWITCH, node->prefix);
		if (l->sw < 0)
			return l->sw;
	}
	for (i = 0; i < node->ncontainers; i++) {
		struct cc_container *cc = &c->containers[node->containers[i]];
		const struct ot_m_container *mc = cc->mc;
		struct ot_plan_ns *ns;
		int x = ot_plan_add_ns(p, OT_NS_CONTAINER, cc->nsname);

		if (x < 0)
			return x;
		cc->ns = x;
		ns = &p->ns[x];
		ns->container = ot_plan_strdup(p, mc->name);
		ns->isolate = mc->isolate | OT_ISO_NET;
		if (ns->isolate & OT_ISO_UTS)
			ns->hostname = ot_plan_strdup(p, mc->hostname ? mc->hostname : mc->name);
		if (mc->cpu_pct || mc->memory || mc->pids || mc->nio ||
		    (ns->isolate & OT_ISO_CGROUP))
			ns->cgroup = ot_arena_printf(&p->arena, "%s/%s/%s", c->cgroup_root,
						     node->prefix, mc->name);
		if (mc->nranks) {
			ns->ranks =
			    ot_arena_memdup(&p->arena, mc->ranks, mc->nranks * sizeof(*mc->ranks));
			ns->nranks = mc->nranks;
		}
		ns->caps = mc->caps;
		ns->caps_keep = mc->caps_keep;
		ns->caps_set = mc->caps_set;
		ns->no_new_privs = mc->no_new_privs;
	}
	if (l->sw >= 0 && !add_op(l, OT_OP_NETNS, l->sw, NULL))
		return -ENOMEM;
	for (i = 0; i < node->ncontainers; i++) {
		const struct cc_container *cc = &c->containers[node->containers[i]];

		if (!add_op(l, OT_OP_NETNS, cc->ns, &cc->mc->loc))
			return -ENOMEM;
		/* No duplicate address detection on the container's link-local
		 * addresses (its own are added nodad): while a link-local is
		 * tentative the kernel sends no neighbour solicitation for a
		 * forwarded packet, so a router dropped IPv6 for 1-2 s after
		 * create (found by tests/differential, seed 14). Before any
		 * link: a device takes conf/default when it enters the
		 * namespace; conf/all is 0 in a new namespace. Nor IPv6
		 * redirects: IPv4 routers send none (send_redirects, below),
		 * but IPv6 has no such switch, so hosts ignore them instead
		 * (a redirect let h2 bypass r0's path: tests/differential,
		 * seed 66 with IPv6; the kernel reads the device's own value). */
		if (cc->has_ipv6 && (add_sysctl(l, cc->ns, &cc->mc->loc,
						"net/ipv6/conf/default/accept_dad", "0") < 0 ||
				     add_sysctl(l, cc->ns, &cc->mc->loc,
						"net/ipv6/conf/default/accept_redirects", "0") < 0))
			return -ENOMEM;
	}
	return p->arena.oom ? -ENOMEM : 0;
}

/* ---- traffic shaping and io limits ---- */

/* The container's io limits into its cgroup op (strings copied into the plan). */
static int lower_cg_io(struct lower *l, struct ot_op *op, const struct ot_m_container *mc)
{
	size_t i;

	if (!mc->nio)
		return 0;
	op->cgroup.io = ot_arena_calloc(&l->p->arena, mc->nio, sizeof(*op->cgroup.io));
	if (!op->cgroup.io)
		return -ENOMEM;
	for (i = 0; i < mc->nio; i++) {
		struct ot_cg_io *io = &op->cgroup.io[i];

		io->dev = ot_plan_strdup(l->p, mc->io[i].dev);
		io->rbps = mc->io[i].rbps;
		io->wbps = mc->io[i].wbps;
		io->riops = mc->io[i].riops;
		io->wiops = mc->io[i].wiops;
		if (!io->dev)
			return -ENOMEM;
	}
	op->cgroup.nio = mc->nio;
	return 0;
}

/* tbf's bucket when the topology gives none: what the rate sends in 4 ms
 * (one tick at HZ=250, as tc-tbf(8) advises), at least 16 KiB; its queue:
 * 50 ms at the rate beyond the bucket. */
#define SHAPE_BURST_MIN	  16384u
#define SHAPE_BURST_DIV	  250u
#define SHAPE_LATENCY_DIV 20u

/* One qdisc op per shaped interface, in the container's namespace. */
static int lower_qdiscs(struct lower *l, const struct cc_node *node)
{
	uint32_t i, j;

	for (i = 0; i < node->ncontainers; i++) {
		const struct cc_container *cc = &l->c->containers[node->containers[i]];

		for (j = 0; j < cc->mc->nifaces; j++) {
			const struct cc_iface *f = &l->c->ifaces[cc->first_iface + j];
			const struct ot_m_shaping *s = f->mi->shaping;
			struct ot_op_qdisc *q;
			struct ot_op *op;
			uint64_t burst, limit;

			if (!s)
				continue;
			op = add_op(l, OT_OP_QDISC, cc->ns, &s->loc);
			if (!op)
				return -ENOMEM;
			q = &op->qdisc;
			set_name(q->dev, f->kname);
			q->rate = s->rate;
			if (s->rate) {
				burst = s->rate / SHAPE_BURST_DIV;
				if (burst < SHAPE_BURST_MIN)
					burst = SHAPE_BURST_MIN;
				if (burst > UINT32_MAX / 4) /* 100gbit: 50 MB */
					burst = UINT32_MAX / 4;
				if (s->burst) /* the topology's, 2K..1G */
					burst = s->burst;
				limit = burst + s->rate / SHAPE_LATENCY_DIV;
				q->burst = (uint32_t)burst;
				q->limit = (uint32_t)(limit > UINT32_MAX ? UINT32_MAX : limit);
			}
			q->delay_us = s->delay_us;
			q->jitter_us = s->jitter_us;
			q->loss_ppm = s->loss_ppm;
			q->reorder_ppm = s->reorder_ppm;
		}
	}
	return 0;
}

static int lower_cgroups(struct lower *l, const struct cc_node *node)
{
	uint32_t i;

	for (i = 0; i < node->ncontainers; i++) {
		const struct cc_container *cc = &l->c->containers[node->containers[i]];
		struct ot_op *op;

		if (!l->p->ns[cc->ns].cgroup)
			continue;
		op = add_op(l, OT_OP_CGROUP, cc->ns,
			    cc->mc->limit_loc.line ? &cc->mc->limit_loc : &cc->mc->loc);
		if (!op)
			return -ENOMEM;
		op->cgroup.path = l->p->ns[cc->ns].cgroup;
		op->cgroup.cpu_pct = cc->mc->cpu_pct;
		op->cgroup.memory = cc->mc->memory;
		op->cgroup.pids = cc->mc->pids;
		if (lower_cg_io(l, op, cc->mc) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* This node's probes (decided by cc_probes()) into the plan. */
static int attach_probes(struct lower *l)
{
	struct cc *c = l->c;
	struct ot_plan *p = l->p;
	uint32_t i;

	if (!c->node_probes)
		return 0;
	for (i = c->node_probes[l->nd]; i < c->node_probes[l->nd + 1]; i++) {
		const struct cc_probe *cp = &c->probes[i];
		const struct cc_iface *t = &c->ifaces[cp->target];
		int x = ot_plan_add_probe(p);

		if (x < 0)
			return x;
		p->probes[x].from_ns = c->containers[cp->src].ns;
		p->probes[x].to_node = p->nodes[c->containers[t->container].node].name;
		p->probes[x].to_container = ot_plan_strdup(p, t->mi->container->name);
		p->probes[x].to_addr = cp->addr;
		p->probes[x].expect = cp->reach ? OT_EXPECT_REACH : OT_EXPECT_BLOCKED;
		p->probes[x].why = ot_plan_strdup(p, cp->why);
	}
	return p->arena.oom ? -ENOMEM : 0;
}

static int lower_node(struct cc *c, uint32_t nd, struct ot_plan **ret)
{
	const struct cc_node *node = &c->nodes[nd];
	struct lower l = {.c = c, .nd = nd, .sw = -1};
	struct ot_plan *p;
	bool has_vxlan = false;
	uint32_t i;
	int rc = -ENOMEM;

	p = l.p = ot_plan_new();
	if (!p)
		return -ENOMEM;
	memset(c->origin_cache, 0, sizeof(c->origin_cache));
	c->origin_plan = p;
	/* arrays at their final size up front (ops: the size of the largest
	 * plan so far, the rest is trimmed below), not grown by doubling */
	if (ot_plan_reserve(p, c->nnodes, (node->needs_switch ? 1 : 0) + node->ncontainers,
			    c->ops_hint,
			    c->node_probes ? c->node_probes[nd + 1] - c->node_probes[nd] : 0) < 0)
		goto fail;
	p->topology = ot_plan_strdup(p, c->m->name);
	p->instance = ot_plan_strdup(p, c->instance);
	p->node = ot_plan_strdup(p, node->mn->name);
	p->node_index = nd;
	p->prefix = ot_plan_strdup(p, node->prefix);
	p->state_dir = cc_arena_cat(&p->arena, c->state_root, "/", node->prefix);
	p->source_digest = ot_plan_strdup(p, c->m->source_digest);
	if (ot_plan_add_nodes(p, c->nnodes, c->node_names, c->node_underlays) < 0)
		goto fail;
	for (i = 0; i < node->nnets; i++)
		has_vxlan |= c->nets[node->nets[i]].vxlan;
	if (has_vxlan) {
		if (node->host)
			p->underlay = node->host->underlay;
		p->underlay_mtu = node->underlay_mtu;
	}
	if (p->arena.oom || lower_namespaces(&l, node) < 0 || cc_lower_mounts(c, p, nd) < 0)
		goto fail;

	l.links_from = p->nops;
	for (i = 0; i < node->nnets; i++)
		if (lower_net_links(&l, &c->nets[node->nets[i]],
				    &c->nets[node->nets[i]].nodes[node->netnode[i]]) < 0)
			goto fail;
	for (i = 0; i < node->ncontainers; i++)
		if (lower_macvlans(&l, &c->containers[node->containers[i]]) < 0)
			goto fail;
	l.links_to = p->nops;
	if (lower_addrs(&l, node) < 0 || lower_ups(&l) < 0 || lower_qdiscs(&l, node) < 0)
		goto fail;
	for (i = 0; i < node->ncontainers; i++)
		if (lower_routes(&l, &c->containers[node->containers[i]]) < 0)
			goto fail;
	for (i = 0; i < node->nnets; i++)
		if (lower_fdb(&l, &c->nets[node->nets[i]],
			      &c->nets[node->nets[i]].nodes[node->netnode[i]]) < 0)
			goto fail;
	if (lower_sysctls(&l, node) < 0)
		goto fail;
	for (i = 0; i < node->ncontainers; i++)
		if (cc_lower_firewall(c, p, node->containers[i]) < 0)
			goto fail;
	if (cc_lower_host_nat(c, p, nd) < 0 || lower_cgroups(&l, node) < 0 || attach_probes(&l) < 0)
		goto fail;
	if (p->arena.oom)
		goto fail;
	/* give the slack back (a cluster's plans may all be held at once) */
	if (p->nops > c->ops_hint)
		c->ops_hint = p->nops;
	if (p->nops && p->nops < p->cap_ops) {
		struct ot_op *ops = realloc(p->ops, p->nops * sizeof(*ops));

		if (ops) {
			p->ops = ops;
			p->cap_ops = p->nops;
		}
	}
	*ret = p;
	return 0;
fail:
	ot_plan_free(p);
	return rc;
}

/* ------------------------------------------------------------------ */
/* driver                                                              */

static void state_free(struct ot_compile_state *st)
{
	if (!st)
		return;
	cc_ptrmap_free(&st->cc.net_index);
	cc_ptrmap_free(&st->cc.container_index);
	free(st->cc.probes);
	ot_arena_free(&st->cc.arena);
	free(st);
}

void ot_compiled_free(struct ot_compiled *out)
{
	size_t i;

	if (!out)
		return;
	for (i = 0; i < out->nplans; i++)
		ot_plan_free(out->plans[i]);
	free(out->plans);
	state_free(out->state);
	free(out);
}

struct ot_plan *ot_compiled_plan(const struct ot_compiled *out, const char *name)
{
	size_t i;

	for (i = 0; i < out->nplans; i++)
		if (strcmp(out->plans[i]->node, name) == 0)
			return out->plans[i];
	return NULL;
}

/* Run a pass; keep going after topology errors so one run reports them all. */
#define PASS(call)                                                                                 \
	do {                                                                                       \
		int r_ = (call);                                                                   \
		if (r_ == -ENOMEM)                                                                 \
			goto oom;                                                                  \
		if (r_ < 0)                                                                        \
			failed = true;                                                             \
	} while (0)

static void init_state(struct cc *c, const struct ot_model *m, const struct ot_compile_opts *o,
		       struct ot_diags *d)
{
	const struct ot_bounds *b = o->bounds;

	ot_arena_init(&c->arena);
	c->m = m;
	c->o = o;
	c->d = d;
	c->instance = o->instance && *o->instance ? o->instance : m->name;
	c->state_root = o->state_root && *o->state_root ? o->state_root : "/run/opentop";
	c->cgroup_root = o->cgroup_root && *o->cgroup_root ? o->cgroup_root : "opentop";
	c->vxlan_port = m->vxlan_port ? m->vxlan_port : OT_DEFAULT_VXLAN_PORT;
	if (o->vni_base || o->vni_span) {
		c->vni_base = o->vni_base ? o->vni_base : 1;
		c->vni_span = o->vni_span ? o->vni_span : 0x1000000u - c->vni_base;
	} else if (b && (b->vni_min || b->vni_max)) {
		/* administrator bounds: derive inside them */
		c->vni_base = b->vni_min ? b->vni_min : 1;
		c->vni_span = (b->vni_max ? b->vni_max : 0xFFFFFFu) - c->vni_base + 1;
	} else {
		c->vni_base = CC_VNI_BASE;
		c->vni_span = CC_VNI_SPAN;
	}
}

typedef int plan_sink(struct ot_plan *p, void *arg);

/*
 * Every decision, then one plan per node handed to sink in node order
 * (sink owns it). On success *keep (when not NULL) receives the decisions.
 */
static int compile_run(const struct ot_model *m, const struct ot_compile_opts *o,
		       struct ot_diags *d, plan_sink *sink, void *arg,
		       struct ot_compile_state **keep)
{
	static const struct ot_compile_opts defaults;
	struct ot_compile_state *st;
	struct ot_error err = {0};
	struct ot_plan *p = NULL;
	struct cc *c;
	bool failed = false;
	uint32_t i;
	int rc;

	if (!o)
		o = &defaults;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	c = &st->cc;
	init_state(c, m, o, d);
	if (c->vni_span == 0 || c->vni_base == 0 ||
	    c->vni_base + (uint64_t)c->vni_span > 0x1000000u) {
		ot_diag_error(d, m->loc, "VNI window %u + %u is outside 1..16777215", c->vni_base,
			      c->vni_span);
		state_free(st);
		return -EINVAL;
	}

	PASS(cc_index(c));
	if (failed) /* only a broken model gets here */
		goto invalid;
	PASS(cc_bind_hosts(c));
	PASS(cc_partition(c));
	PASS(cc_check_bounds(c));
	PASS(cc_check_storage_bounds(c));
	PASS(cc_decide_vnis(c));
	PASS(cc_decide_mtus(c));
	PASS(cc_decide_macs(c));
	PASS(cc_decide_names(c));
	PASS(cc_check_routes(c));
	PASS(cc_check_fdb(c));
	if (failed || ot_diags_failed(d))
		goto invalid;
	if (o->probes)
		PASS(cc_probes(c));
	c->node_names = ot_arena_calloc(&c->arena, c->nnodes + 1, sizeof(*c->node_names));
	c->node_underlays = ot_arena_calloc(&c->arena, c->nnodes + 1, sizeof(*c->node_underlays));
	if (!c->node_names || !c->node_underlays)
		goto oom;
	for (i = 0; i < c->nnodes; i++) {
		c->node_names[i] = c->nodes[i].mn->name;
		c->node_underlays[i] = c->nodes[i].host ? &c->nodes[i].host->underlay : NULL;
	}

	for (i = 0; i < c->nnodes; i++) {
		rc = lower_node(c, i, &p);
		if (rc < 0)
			goto fail;
		if (ot_plan_validate(p, &err) < 0) {
			/* a compiler bug, not a topology error: say so */
			ot_diag_error(d, m->loc, "internal error: plan of node '%s' is invalid: %s",
				      p->node, err.msg);
			ot_plan_free(p);
			goto invalid;
		}
		rc = sink(p, arg);
		if (rc < 0)
			goto fail;
	}
	if (keep)
		*keep = st;
	else
		state_free(st);
	return 0;
invalid:
	state_free(st);
	return d->oom ? -ENOMEM : -EINVAL;
oom:
	state_free(st);
	return -ENOMEM;
fail:
	state_free(st);
	return rc;
}

static int discard(struct ot_plan *p, void *arg)
{
	(void)arg;
	ot_plan_free(p);
	return 0;
}

static int collect(struct ot_plan *p, void *arg)
{
	struct ot_compiled *out = arg;

	out->plans[out->nplans++] = p;
	return 0;
}

int ot_compile(const struct ot_model *m, const struct ot_compile_opts *o, struct ot_diags *d,
	       struct ot_compiled **ret)
{
	struct ot_compiled *out;
	int rc;

	*ret = NULL;
	out = calloc(1, sizeof(*out));
	if (!out)
		return -ENOMEM;
	out->plans = calloc(m->nnodes ? m->nnodes : 1, sizeof(*out->plans));
	if (!out->plans) {
		free(out);
		return -ENOMEM;
	}
	rc = compile_run(m, o, d, o && o->decisions_only ? discard : collect, out, &out->state);
	if (rc < 0) {
		ot_compiled_free(out);
		return rc;
	}
	*ret = out;
	return 0;
}

int ot_compile_each(const struct ot_model *m, const struct ot_compile_opts *o, struct ot_diags *d,
		    int (*fn)(struct ot_plan *p, void *arg), void *arg)
{
	return compile_run(m, o, d, fn, arg, NULL);
}

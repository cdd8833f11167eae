/*
 * graph.c - DOT output of the topology as deployed (contract in graph.h).
 *
 * Drawn from the back end's decisions (cc.h), not from the source: what a
 * reader sees is what the nodes build. Node ids are prefixed by their kind
 * ("c/" containers, "s/" a network's segment on one node, "n/" an overlay
 * network, "h/" a node's own namespace) so names never clash.
 *
 *   - cluster per node: its containers (boxes), the network segments it
 *     hosts (a bridge: box3d; a lone veth end: point), its host namespace
 *     when uplinks or macvlans touch it (house);
 *   - a network spanning nodes: one ellipse outside the clusters, labelled
 *     with subnet, VNI and MTU; bridges reach it through their VXLAN device,
 *     a single member through the VXLAN device that is its interface
 *     (dashed edge);
 *   - a network on one node with two members: one edge, the veth pair;
 *   - identical containers on a node (same interfaces on the same networks,
 *     same isolation, forwarding and numbers of routes, rules, NAT rules
 *     and sysctls) are one box "first ... last, xN", their interfaces one
 *     edge labelled with the first and last addresses: a 16-node HPC
 *     layout is 16 boxes, not a strip of hundreds. Containers on a veth
 *     pair, alone on a VXLAN device or with a macvlan stay single;
 *   - a legend explains the shapes and line styles.
 *
 * Memory: the grouping keeps three integers per container and, one node at
 * a time, each container's shape as a short string.
 */
#include "compile/graph.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "compile/cc.h"
#include "util/arena.h"
#include "util/hash.h"

/* Identical containers of one node, collapsed (see the top of the file). */
struct groups {
	uint32_t *rep;	 /* per container: the first container of its group */
	uint32_t *count; /* per group's first container: its size */
	uint32_t *last;	 /* per group's first container: its last container */
};

/* Escape for a DOT double-quoted string. */
static void esc(struct ot_strbuf *out, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			ot_sb_putc(out, '\\');
		ot_sb_putc(out, *s);
	}
}

static void prefix_txt(struct ot_strbuf *out, const struct ot_prefix *pf)
{
	char buf[OT_PREFIX_STRLEN];

	ot_prefix_format(pf, buf, sizeof(buf));
	ot_sb_append(out, buf);
}

static void iface_label(struct ot_strbuf *out, const struct cc_iface *f)
{
	size_t k;

	esc(out, f->kname);
	if (f->renamed) {
		ot_sb_append(out, " (");
		esc(out, f->mi->name);
		ot_sb_append(out, ")");
	}
	for (k = 0; k < f->mi->naddrs; k++) {
		ot_sb_append(out, "\\n");
		prefix_txt(out, &f->mi->addrs[k]);
	}
}

/* A collapsed group's interface: the first and last containers' addresses. */
static void group_iface_label(struct ot_strbuf *out, const struct cc_iface *f,
			      const struct cc_iface *l, uint32_t n)
{
	size_t k;

	esc(out, f->kname);
	ot_sb_printf(out, " x%u", n);
	for (k = 0; k < f->mi->naddrs && k < l->mi->naddrs; k++) {
		ot_sb_append(out, "\\n");
		prefix_txt(out, &f->mi->addrs[k]);
		ot_sb_append(out, " ... ");
		prefix_txt(out, &l->mi->addrs[k]);
	}
}

static void uplink_label(struct ot_strbuf *out, const struct cc_member *mb)
{
	esc(out, mb->kname);
	ot_sb_append(out, "\\n");
	prefix_txt(out, &mb->up->address);
	if (mb->up->masquerade) {
		ot_sb_append(out, "\\nmasquerade");
		if (mb->up->out[0]) {
			ot_sb_append(out, " out ");
			esc(out, mb->up->out);
		}
	}
}

static void net_subnets(struct ot_strbuf *out, const struct ot_m_network *mn)
{
	if (mn->has_subnet4) {
		ot_sb_append(out, "\\n");
		prefix_txt(out, &mn->subnet4);
	}
	if (mn->has_subnet6) {
		ot_sb_append(out, "\\n");
		prefix_txt(out, &mn->subnet6);
	}
}

/* The endpoint id of a member: its container, or the node's host. */
static void member_id(struct ot_strbuf *out, const struct cc *c, const struct cc_member *mb)
{
	if (mb->iface >= 0) {
		ot_sb_append(out, "\"c/");
		esc(out, c->ifaces[mb->iface].mi->container->name);
	} else {
		ot_sb_append(out, "\"h/");
		esc(out, c->nodes[mb->node].mn->name);
	}
	ot_sb_putc(out, '"');
}

static void member_label(struct ot_strbuf *out, const struct cc *c, const struct groups *g,
			 const struct cc_member *mb)
{
	const struct cc_iface *f;
	uint32_t ci;

	if (mb->iface < 0) {
		uplink_label(out, mb);
		return;
	}
	f = &c->ifaces[mb->iface];
	ci = f->container;
	if (g->count[ci] > 1) {
		const struct cc_container *l = &c->containers[g->last[ci]];

		group_iface_label(out, f,
				  &c->ifaces[l->first_iface +
					     ((uint32_t)mb->iface - c->containers[ci].first_iface)],
				  g->count[ci]);
		return;
	}
	iface_label(out, f);
}

/* The shape of a container: what makes two containers draw the same. */
static void shape(struct ot_strbuf *out, const struct cc *c, const struct cc_container *cc)
{
	const struct ot_m_container *mc = cc->mc;
	uint32_t j;

	ot_sb_printf(out, "%x/%d/%zu/%zu/%zu/%zu", mc->isolate, mc->forward, mc->nroutes,
		     mc->nrules, mc->nnats, mc->nsysctls);
	for (j = 0; j < mc->nifaces; j++) {
		const struct cc_iface *f = &c->ifaces[cc->first_iface + j];

		ot_sb_printf(out, "|%d:%u:%s:%zu", (int)f->mi->kind, f->net, f->kname,
			     f->mi->naddrs);
	}
}

/*
 * Group the identical containers of each node. A container stays alone
 * when one of its interfaces is a veth pair's end, a VXLAN device of its
 * own or a macvlan (their edges name one container). Returns 0 or
 * -ENOMEM.
 */
static int group(const struct cc *c, struct groups *g)
{
	struct ot_strbuf sig = OT_STRBUF_INIT;
	uint32_t nd, i, j, k;
	int r = 0;

	g->rep = calloc(c->ncontainers + 1, sizeof(*g->rep));
	g->count = calloc(c->ncontainers + 1, sizeof(*g->count));
	g->last = calloc(c->ncontainers + 1, sizeof(*g->last));
	if (!g->rep || !g->count || !g->last)
		return -ENOMEM;
	/* count = UINT32_MAX marks "alone" until the grouping below */
	for (i = 0; i < c->nifaces; i++)
		if (c->ifaces[i].mi->kind == OT_M_IFACE_MACVLAN)
			g->count[c->ifaces[i].container] = UINT32_MAX;
	for (i = 0; i < c->nnets; i++) {
		const struct cc_net *n = &c->nets[i];

		for (k = 0; k < n->nnodes; k++) {
			const struct cc_netnode *nn = &n->nodes[k];

			if (nn->plumb != CC_PAIR && nn->plumb != CC_VXLAN_DIRECT)
				continue;
			for (j = nn->first; j < nn->first + nn->n; j++)
				if (n->members[j].iface >= 0)
					g->count[c->ifaces[n->members[j].iface].container] =
					    UINT32_MAX;
		}
	}
	for (nd = 0; nd < c->nnodes && !r; nd++) {
		const struct cc_node *node = &c->nodes[nd];
		struct ot_strmap map = {0};
		struct ot_arena a;

		ot_arena_init(&a);
		for (i = 0; i < node->ncontainers; i++) {
			uint32_t ci = node->containers[i];
			void *old = NULL;
			char *key;

			g->rep[ci] = ci;
			if (g->count[ci] == UINT32_MAX) {
				g->count[ci] = 1;
				g->last[ci] = ci;
				continue;
			}
			ot_sb_reset(&sig);
			shape(&sig, c, &c->containers[ci]);
			key = sig.oom ? NULL : ot_arena_strdup(&a, ot_sb_str(&sig));
			if (!key) {
				r = -ENOMEM;
				break;
			}
			r = ot_strmap_put(&map, key, (void *)(uintptr_t)ci, &old);
			if (r == -EEXIST) {
				uint32_t first = (uint32_t)(uintptr_t)old;

				g->rep[ci] = first;
				g->count[first]++;
				g->last[first] = ci;
				r = 0;
			} else if (r == 0) {
				g->count[ci] = 1;
				g->last[ci] = ci;
			} else {
				break;
			}
		}
		ot_strmap_free(&map);
		ot_arena_free(&a);
	}
	ot_sb_free(&sig);
	return r;
}

static void groups_free(struct groups *g)
{
	free(g->rep);
	free(g->count);
	free(g->last);
}

static void seg_id(struct ot_strbuf *out, const struct cc_net *n, const struct cc *c,
		   const struct cc_netnode *nn)
{
	ot_sb_append(out, "\"s/");
	esc(out, n->mn->name);
	ot_sb_putc(out, '@');
	esc(out, c->nodes[nn->node].mn->name);
	ot_sb_putc(out, '"');
}

static void net_id(struct ot_strbuf *out, const struct cc_net *n)
{
	ot_sb_append(out, "\"n/");
	esc(out, n->mn->name);
	ot_sb_putc(out, '"');
}

static bool node_has_host(const struct cc *c, uint32_t nd)
{
	const struct cc_node *node = &c->nodes[nd];
	uint32_t i, j;

	for (i = 0; i < node->nnets; i++) {
		const struct cc_net *n = &c->nets[node->nets[i]];
		const struct cc_netnode *nn = &n->nodes[node->netnode[i]];

		for (j = nn->first; j < nn->first + nn->n; j++)
			if (n->members[j].iface < 0)
				return true;
	}
	for (i = 0; i < node->ncontainers; i++) {
		const struct cc_container *cc = &c->containers[node->containers[i]];

		for (j = 0; j < cc->mc->nifaces; j++)
			if (c->ifaces[cc->first_iface + j].mi->kind == OT_M_IFACE_MACVLAN)
				return true;
	}
	return false;
}

static void cluster(const struct cc *c, const struct groups *g, uint32_t nd, struct ot_strbuf *out)
{
	const struct cc_node *node = &c->nodes[nd];
	uint32_t i;
	unsigned bit;

	ot_sb_append(out, "\tsubgraph \"cluster_");
	esc(out, node->mn->name);
	ot_sb_append(out, "\" {\n\t\tlabel=\"");
	esc(out, node->mn->name);
	if (node->host) {
		char a[OT_ADDR_STRLEN];

		ot_addr_format(&node->host->underlay, a, sizeof(a));
		ot_sb_printf(out, "\\nunderlay %s, MTU %u", a, node->underlay_mtu);
	}
	ot_sb_append(out, "\";\n\t\tstyle=rounded;\n");
	if (node_has_host(c, nd)) {
		ot_sb_append(out, "\t\t\"h/");
		esc(out, node->mn->name);
		ot_sb_append(out, "\" [shape=house, label=\"host namespace\"];\n");
	}
	for (i = 0; i < node->ncontainers; i++) {
		uint32_t ci = node->containers[i];
		const struct ot_m_container *mc = c->containers[ci].mc;

		if (g->rep[ci] != ci)
			continue;
		ot_sb_append(out, "\t\t\"c/");
		esc(out, mc->name);
		ot_sb_printf(out, "\" [shape=box, style=\"rounded%s\", label=\"",
			     g->count[ci] > 1 ? ",bold" : "");
		esc(out, mc->name);
		if (g->count[ci] > 1) {
			ot_sb_append(out, " ... ");
			esc(out, c->containers[g->last[ci]].mc->name);
			ot_sb_printf(out, "\\nx%u identical containers", g->count[ci]);
		}
		if (mc->isolate & ~OT_ISO_NET) {
			ot_sb_append(out, "\\nisolate");
			for (bit = OT_ISO_UTS; bit <= OT_ISO_CGROUP; bit <<= 1)
				if (mc->isolate & bit)
					ot_sb_printf(out, " %s",
						     ot_isolate_name((enum ot_isolate)bit));
		}
		if (mc->forward)
			ot_sb_append(out, "\\nforward");
		if (mc->nrules)
			ot_sb_printf(out, "\\nfirewall: %zu rule%s", mc->nrules,
				     mc->nrules == 1 ? "" : "s");
		if (mc->nnats)
			ot_sb_printf(out, "\\nnat: %zu rule%s", mc->nnats,
				     mc->nnats == 1 ? "" : "s");
		ot_sb_append(out, "\"];\n");
	}
	for (i = 0; i < node->nnets; i++) {
		const struct cc_net *n = &c->nets[node->nets[i]];
		const struct cc_netnode *nn = &n->nodes[node->netnode[i]];

		if (nn->plumb == CC_BRIDGE) {
			ot_sb_append(out, "\t\t");
			seg_id(out, n, c, nn);
			ot_sb_append(out, " [shape=box3d, label=\"");
			esc(out, n->mn->name);
			ot_sb_append(out, "\\nbridge ");
			esc(out, nn->bridge);
			if (!n->vxlan) {
				net_subnets(out, n->mn);
				ot_sb_printf(out, "\\nMTU %u", n->mtu);
			}
			ot_sb_append(out, "\"];\n");
		} else if (nn->plumb == CC_LONE) {
			ot_sb_append(out, "\t\t");
			seg_id(out, n, c, nn);
			ot_sb_append(out, " [shape=point, xlabel=\"");
			esc(out, n->mn->name);
			ot_sb_append(out, "\"];\n");
		}
	}
	ot_sb_append(out, "\t}\n");
}

static void edges(const struct cc *c, const struct groups *g, const struct cc_net *n,
		  struct ot_strbuf *out)
{
	uint32_t k, j;

	for (k = 0; k < n->nnodes; k++) {
		const struct cc_netnode *nn = &n->nodes[k];
		const struct cc_member *a = &n->members[nn->first];

		switch (nn->plumb) {
		case CC_PAIR:
			ot_sb_append(out, "\t");
			member_id(out, c, a);
			ot_sb_append(out, " -- ");
			member_id(out, c, a + 1);
			ot_sb_append(out, " [label=\"");
			esc(out, n->mn->name);
			ot_sb_printf(out, "\\nveth pair, MTU %u\", taillabel=\"", n->mtu);
			member_label(out, c, g, a);
			ot_sb_append(out, "\", headlabel=\"");
			member_label(out, c, g, a + 1);
			ot_sb_append(out, "\"];\n");
			break;
		case CC_VXLAN_DIRECT:
			ot_sb_append(out, "\t");
			member_id(out, c, a);
			ot_sb_append(out, " -- ");
			net_id(out, n);
			ot_sb_append(out, " [style=dashed, label=\"");
			member_label(out, c, g, a);
			ot_sb_append(out, "\\n(VXLAN device)\"];\n");
			break;
		case CC_LONE:
		case CC_BRIDGE:
			for (j = nn->first; j < nn->first + nn->n; j++) {
				const struct cc_member *mb = &n->members[j];

				if (mb->iface >= 0 && g->rep[c->ifaces[mb->iface].container] !=
							  c->ifaces[mb->iface].container)
					continue;
				ot_sb_append(out, "\t");
				member_id(out, c, mb);
				ot_sb_append(out, " -- ");
				seg_id(out, n, c, nn);
				ot_sb_append(out, " [label=\"");
				member_label(out, c, g, mb);
				ot_sb_append(out, "\"];\n");
			}
			if (n->vxlan) {
				ot_sb_append(out, "\t");
				seg_id(out, n, c, nn);
				ot_sb_append(out, " -- ");
				net_id(out, n);
				ot_sb_append(out, " [style=dashed, label=\"");
				esc(out, nn->vxlan);
				ot_sb_append(out, "\"];\n");
			}
			break;
		}
	}
}

/*
 * The id of something drawn inside node nd's cluster: its first container
 * (top) or its first network segment (bottom, else the top). False when
 * the cluster holds neither.
 */
static bool anchor(const struct cc *c, const struct groups *g, uint32_t nd, bool bottom,
		   struct ot_strbuf *out)
{
	const struct cc_node *node = &c->nodes[nd];
	uint32_t i;

	for (i = 0; bottom && i < node->nnets; i++) {
		const struct cc_net *n = &c->nets[node->nets[i]];
		const struct cc_netnode *nn = &n->nodes[node->netnode[i]];

		if (nn->plumb == CC_BRIDGE || nn->plumb == CC_LONE) {
			seg_id(out, n, c, nn);
			return true;
		}
	}
	for (i = 0; i < node->ncontainers; i++) {
		uint32_t ci = node->containers[i];

		if (g->rep[ci] == ci) {
			ot_sb_append(out, "\"c/");
			esc(out, c->containers[ci].mc->name);
			ot_sb_putc(out, '"');
			return true;
		}
	}
	return false;
}

/*
 * Clusters in rows of about sqrt(nodes): an invisible edge from each
 * cluster to the one a row below, so that 16 nodes draw as a 4 x 4 grid,
 * not a strip.
 */
static void rows(const struct cc *c, const struct groups *g, struct ot_strbuf *out)
{
	uint32_t per = 1, k;

	while (per * per < c->nnodes)
		per++;
	for (k = per; k < c->nnodes; k++) {
		size_t mark = out->len;

		ot_sb_append(out, "\t");
		if (!anchor(c, g, k - per, true, out)) {
			out->len = mark;
			continue;
		}
		ot_sb_append(out, " -- ");
		if (!anchor(c, g, k, false, out)) {
			out->len = mark;
			continue;
		}
		ot_sb_append(out, " [style=invis];\n");
	}
	if (out->buf && !out->oom)
		out->buf[out->len] = '\0';
}

/* What the shapes and lines mean: a small cluster of examples. */
static void legend(struct ot_strbuf *out)
{
	ot_sb_append(
	    out,
	    "\tsubgraph \"cluster_legend\" {\n"
	    "\t\tlabel=\"legend\";\n\t\tstyle=dashed;\n\t\tfontsize=10;\n"
	    "\t\t\"legend/c\" [shape=box, style=rounded, label=\"container\"];\n"
	    "\t\t\"legend/g\" [shape=box, style=\"rounded,bold\", "
	    "label=\"first ... last\\nxN identical containers\\n(same networks, interfaces,\\n"
	    "rules, isolation)\"];\n"
	    "\t\t\"legend/s\" [shape=box3d, label=\"network on a node\\n(bridge)\"];\n"
	    "\t\t\"legend/n\" [shape=ellipse, style=bold, label=\"network across nodes\\n(VXLAN "
	    "VNI)\"];\n"
	    "\t\t\"legend/h\" [shape=house, label=\"host namespace\"];\n"
	    "\t\t\"legend/c\" -- \"legend/s\" [label=\"veth\"];\n"
	    "\t\t\"legend/g\" -- \"legend/s\" [label=\"veth xN\"];\n"
	    "\t\t\"legend/s\" -- \"legend/n\" [style=dashed, label=\"VXLAN device\"];\n"
	    "\t\t\"legend/c\" -- \"legend/h\" [style=dotted, label=\"macvlan\"];\n"
	    "\t}\n");
}

/* Hand out to flush when it holds enough (see ot_graph_dot_each). */
static int maybe_flush(struct ot_strbuf *out, int (*flush)(struct ot_strbuf *out, void *arg),
		       void *arg)
{
	if (out->oom)
		return -ENOMEM;
	if (!flush || out->len < 64 * 1024)
		return 0;
	return flush(out, arg);
}

int ot_graph_dot(const struct ot_compiled *compiled, struct ot_strbuf *out)
{
	int r = ot_graph_dot_each(compiled, out, NULL, NULL);

	if (r == -ENOMEM) {
		out->oom = true; /* the contract: OOM is sticky in out */
		return 0;
	}
	return r;
}

int ot_graph_dot_each(const struct ot_compiled *compiled, struct ot_strbuf *out,
		      int (*flush)(struct ot_strbuf *out, void *arg), void *arg)
{
	struct groups g = {0};
	const struct cc *c;
	uint32_t i, j;
	int r;

	if (!compiled || !compiled->state)
		return -EINVAL;
	c = &compiled->state->cc;
	r = group(c, &g);
	if (r < 0) {
		groups_free(&g);
		return r;
	}
	ot_sb_append(out, "graph \"");
	esc(out, c->m->name);
	ot_sb_append(out, "\" {\n\tgraph [fontname=\"Helvetica\", labelloc=t, label=\"topology ");
	esc(out, c->m->name);
	if (strcmp(c->instance, c->m->name) != 0) {
		ot_sb_append(out, " (instance ");
		esc(out, c->instance);
		ot_sb_append(out, ")");
	}
	ot_sb_append(out, "\"];\n\tnode [fontname=\"Helvetica\", fontsize=10];\n"
			  "\tedge [fontname=\"Helvetica\", fontsize=9];\n");
	for (i = 0; i < c->nnets; i++) {
		const struct cc_net *n = &c->nets[i];

		if (!n->vxlan)
			continue;
		ot_sb_append(out, "\t");
		net_id(out, n);
		ot_sb_append(out, " [shape=ellipse, style=bold, label=\"");
		esc(out, n->mn->name);
		net_subnets(out, n->mn);
		ot_sb_printf(out, "\\nVXLAN VNI %u%s, MTU %u\"];\n", n->vni,
			     n->vni_derived ? " (derived)" : "", n->mtu);
	}
	legend(out);
	for (i = 0; i < c->nnodes && r == 0; i++) {
		cluster(c, &g, i, out);
		r = maybe_flush(out, flush, arg);
	}
	for (i = 0; i < c->nnets && r == 0; i++) {
		edges(c, &g, &c->nets[i], out);
		r = maybe_flush(out, flush, arg);
	}
	if (r < 0)
		goto out;
	rows(c, &g, out);
	for (i = 0; i < c->nifaces; i++) {
		const struct cc_iface *f = &c->ifaces[i];

		if (f->mi->kind != OT_M_IFACE_MACVLAN)
			continue;
		j = c->containers[f->container].node;
		ot_sb_append(out, "\t\"c/");
		esc(out, f->mi->container->name);
		ot_sb_append(out, "\" -- \"h/");
		esc(out, c->nodes[j].mn->name);
		ot_sb_append(out, "\" [style=dotted, label=\"");
		iface_label(out, f);
		ot_sb_append(out, "\\nmacvlan on ");
		esc(out, f->mi->lower);
		ot_sb_printf(out, " (%s)\"];\n", ot_macvlan_mode_name(f->mi->macvlan_mode));
	}
	ot_sb_append(out, "}\n");
	r = out->oom ? -ENOMEM : 0;
out:
	groups_free(&g);
	return r;
}

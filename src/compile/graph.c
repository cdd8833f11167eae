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
 *   - a network on one node with two members: one edge, the veth pair.
 */
#include "compile/graph.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "compile/cc.h"

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

static void member_label(struct ot_strbuf *out, const struct cc *c, const struct cc_member *mb)
{
	if (mb->iface >= 0)
		iface_label(out, &c->ifaces[mb->iface]);
	else
		uplink_label(out, mb);
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

static void cluster(const struct cc *c, uint32_t nd, struct ot_strbuf *out)
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
		const struct ot_m_container *mc = c->containers[node->containers[i]].mc;

		ot_sb_append(out, "\t\t\"c/");
		esc(out, mc->name);
		ot_sb_append(out, "\" [shape=box, style=rounded, label=\"");
		esc(out, mc->name);
		if (mc->isolate & ~OT_ISO_NET) {
			ot_sb_append(out, "\\nisolate");
			for (bit = OT_ISO_UTS; bit <= OT_ISO_CGROUP; bit <<= 1)
				if (mc->isolate & bit)
					ot_sb_printf(out, " %s",
						     ot_isolate_name((enum ot_isolate)bit));
		}
		if (mc->forward)
			ot_sb_append(out, "\\nforward");
		if (mc->nrules || mc->nnats)
			ot_sb_printf(out, "\\nfirewall: %zu rule%s", mc->nrules + mc->nnats,
				     mc->nrules + mc->nnats == 1 ? "" : "s");
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

static void edges(const struct cc *c, const struct cc_net *n, struct ot_strbuf *out)
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
			member_label(out, c, a);
			ot_sb_append(out, "\", headlabel=\"");
			member_label(out, c, a + 1);
			ot_sb_append(out, "\"];\n");
			break;
		case CC_VXLAN_DIRECT:
			ot_sb_append(out, "\t");
			member_id(out, c, a);
			ot_sb_append(out, " -- ");
			net_id(out, n);
			ot_sb_append(out, " [style=dashed, label=\"");
			member_label(out, c, a);
			ot_sb_append(out, "\\n(VXLAN device)\"];\n");
			break;
		case CC_LONE:
		case CC_BRIDGE:
			for (j = nn->first; j < nn->first + nn->n; j++) {
				ot_sb_append(out, "\t");
				member_id(out, c, &n->members[j]);
				ot_sb_append(out, " -- ");
				seg_id(out, n, c, nn);
				ot_sb_append(out, " [label=\"");
				member_label(out, c, &n->members[j]);
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

int ot_graph_dot(const struct ot_compiled *compiled, struct ot_strbuf *out)
{
	const struct cc *c;
	uint32_t i, j;

	if (!compiled || !compiled->state)
		return -EINVAL;
	c = &compiled->state->cc;
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
	for (i = 0; i < c->nnodes; i++)
		cluster(c, i, out);
	for (i = 0; i < c->nnets; i++)
		edges(c, &c->nets[i], out);
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
	return 0;
}

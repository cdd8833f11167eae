/*
 * plan_text.c - a node plan as text for people (contract in plan_text.h).
 *
 * Layout: a header (node, instance, prefix, state directory, underlay, the
 * nodes of the topology), the namespace table, the numbered operations
 * with aligned columns (number, kind, namespace, what, origin), nftables
 * tables in nft syntax under their operation, the probes, and the teardown
 * order. One describer per operation kind (a table, not a switch).
 */
#include "plan/plan_text.h"
#include "vocab/caps.h"
#include "plan/plan_schema.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const char *ns_label(const struct ot_plan *p, int ns)
{
	return ns == OT_NS_HOST_INDEX ? "host" : p->ns[ns].name;
}

static void put_addr(struct ot_strbuf *out, const char *pre, const struct ot_addr *a)
{
	char buf[OT_ADDR_STRLEN];

	ot_addr_format(a, buf, sizeof(buf));
	ot_sb_printf(out, "%s%s", pre, buf);
}

static void put_prefix(struct ot_strbuf *out, const char *pre, const struct ot_prefix *pf)
{
	char buf[OT_PREFIX_STRLEN];

	ot_prefix_format(pf, buf, sizeof(buf));
	ot_sb_printf(out, "%s%s", pre, buf);
}

static void put_mac(struct ot_strbuf *out, const char *pre, const struct ot_mac *m)
{
	char buf[OT_MAC_STRLEN];

	ot_mac_format(m, buf, sizeof(buf));
	ot_sb_printf(out, "%s%s", pre, buf);
}

/* ------------------------------------------------------------------ */
/* nft syntax                                                          */

static const char *proto_name(uint8_t p)
{
	return ot_enum_name(ot_l4proto_names, p);
}

/*
 * " KW \"s\"": an nft quoted string. nft's strings have no escapes and end
 * at the next '"', and the text form is read line by line (`otc emit-sh`
 * feeds it to nft -f in a here-document), so '"' becomes '\'' and control
 * characters become '?': the kernel form (written by the executor through
 * libnftnl) keeps the bytes as they are.
 */
static void put_nft_str(struct ot_strbuf *out, const char *kw, const char *s)
{
	const unsigned char *c;

	ot_sb_printf(out, "%s \"", kw);
	for (c = (const unsigned char *)s; *c; c++)
		ot_sb_putc(out, *c == '"' ? '\'' : *c < 0x20 || *c == 0x7f ? '?' : (char)*c);
	ot_sb_putc(out, '"');
}

static void put_range(struct ot_strbuf *out, const struct ot_port_range *r)
{
	if (r->lo == r->hi)
		ot_sb_printf(out, "%u", r->lo);
	else
		ot_sb_printf(out, "%u-%u", r->lo, r->hi);
}

/* "80", "8000-8100", or an anonymous set "{ 22, 8000-8002 }" (nft makes it
 * an interval set when it holds a range, as the executor does). */
static void put_ports(struct ot_strbuf *out, const struct ot_ports *ps)
{
	uint16_t i;

	if (ps->n == 1) {
		put_range(out, &ps->r[0]);
		return;
	}
	ot_sb_append(out, "{ ");
	for (i = 0; i < ps->n && i < OT_PORTS_MAX; i++) {
		if (i)
			ot_sb_append(out, ", ");
		put_range(out, &ps->r[i]);
	}
	ot_sb_append(out, " }");
}

void ot_nft_rule_text(const struct ot_nft_rule *r, struct ot_strbuf *out)
{
	const char *ipf = r->family == AF_INET6 ? "ip6" : "ip";
	bool ports = r->sport.n || r->dport.n;
	size_t start = out->len;
	unsigned bit;

#define SEP() (out->len > start ? " " : "")
	/* the family is implied by addresses, NAT targets and ICMP protocols */
	if (r->family && !r->has_saddr && !r->has_daddr && r->l4proto != IPPROTO_ICMP &&
	    r->l4proto != IPPROTO_ICMPV6 && r->verdict != OT_NFT_SNAT && r->verdict != OT_NFT_DNAT)
		ot_sb_printf(out, "%smeta nfproto %s", SEP(),
			     r->family == AF_INET6 ? "ipv6" : "ipv4");
	if (r->iif[0]) {
		ot_sb_append(out, SEP());
		put_nft_str(out, "iifname", r->iif);
	}
	if (r->oif[0]) {
		ot_sb_append(out, SEP());
		put_nft_str(out, "oifname", r->oif);
	}
	if (r->has_saddr) {
		ot_sb_printf(out, "%s%s saddr", SEP(),
			     r->saddr.addr.family == AF_INET6 ? "ip6" : "ip");
		put_prefix(out, " ", &r->saddr);
	}
	if (r->has_daddr) {
		ot_sb_printf(out, "%s%s daddr", SEP(),
			     r->daddr.addr.family == AF_INET6 ? "ip6" : "ip");
		put_prefix(out, " ", &r->daddr);
	}
	if (ports) {
		const char *th = r->l4proto ? proto_name(r->l4proto) : "th";

		if (!r->l4proto)
			ot_sb_printf(out, "%smeta l4proto { tcp, udp }", SEP());
		if (r->sport.n) {
			ot_sb_printf(out, "%s%s sport ", SEP(), th);
			put_ports(out, &r->sport);
		}
		if (r->dport.n) {
			ot_sb_printf(out, "%s%s dport ", SEP(), th);
			put_ports(out, &r->dport);
		}
	} else if (r->has_icmp_type) {
		/* "icmpv6 type 135-136": the type match implies the protocol */
		ot_sb_printf(out, "%s%s type %u", SEP(), proto_name(r->l4proto),
			     r->icmp_type_first);
		if (r->icmp_type_last != r->icmp_type_first)
			ot_sb_printf(out, "-%u", r->icmp_type_last);
	} else if (r->l4proto) {
		ot_sb_printf(out, "%smeta l4proto %s", SEP(), proto_name(r->l4proto));
	}
	if (r->ct_state) {
		const struct ot_enum_name *ct;

		ot_sb_printf(out, "%sct state ", SEP());
		for (ct = ot_ct_state_names; ct->name; ct++) {
			bit = (unsigned)ct->val;
			if (r->ct_state & bit)
				ot_sb_printf(out, "%s%s", (r->ct_state & (bit - 1)) ? "," : "",
					     ct->name);
		}
	}
	if (r->counter)
		ot_sb_printf(out, "%scounter", SEP());
	switch (r->verdict) {
	case OT_NFT_SNAT:
	case OT_NFT_DNAT:
		ot_sb_printf(out, "%s%s %s to ", SEP(), ot_nft_verdict_name(r->verdict),
			     r->nat_addr.family == AF_INET6 ? "ip6" : ipf);
		if (r->nat_addr.family == AF_INET6 && r->nat_port) {
			put_addr(out, "[", &r->nat_addr);
			ot_sb_append(out, "]");
		} else {
			put_addr(out, "", &r->nat_addr);
		}
		if (r->nat_port)
			ot_sb_printf(out, ":%u", r->nat_port);
		break;
	default:
		ot_sb_printf(out, "%s%s", SEP(), ot_nft_verdict_name(r->verdict));
		break;
	}
	if (r->comment)
		put_nft_str(out, " comment", r->comment);
#undef SEP
}

void ot_nft_table_text(const struct ot_op_nft *n, const char *indent, struct ot_strbuf *out)
{
	size_t c, i;

	ot_sb_printf(out, "%stable inet %s {\n", indent, n->table);
	for (c = 0; c < n->nchains; c++) {
		const struct ot_nft_chain *ch = &n->chains[c];

		ot_sb_printf(out, "%s\tchain %s {\n", indent, ch->name);
		ot_sb_printf(out, "%s\t\ttype %s hook %s priority %d; policy %s;\n", indent,
			     ot_enum_name(ot_nft_chain_type_names, ch->type),
			     ot_nft_hook_name(ch->hook), (int)ch->priority,
			     ch->policy_drop ? "drop" : "accept");
		for (i = 0; i < n->nrules; i++) {
			if (n->rules[i].chain != c)
				continue;
			ot_sb_printf(out, "%s\t\t", indent);
			ot_nft_rule_text(&n->rules[i], out);
			ot_sb_putc(out, '\n');
		}
		ot_sb_printf(out, "%s\t}\n", indent);
	}
	ot_sb_printf(out, "%s}\n", indent);
}

/* ------------------------------------------------------------------ */
/* operations                                                          */

typedef void describe_fn(const struct ot_plan *p, const struct ot_op *op, struct ot_strbuf *out);

void ot_plan_caps_text(const struct ot_plan_ns *ns, const char *sep, struct ot_strbuf *out)
{
	unsigned n;

	if (ns->caps_set) {
		ot_sb_printf(out, "%scapabilities %s", sep, ns->caps_keep ? "keep" : "drop");
		for (n = 0; n < OT_CAP_COUNT; n++)
			if (ns->caps & (1ull << n))
				ot_sb_printf(out, " %s", ot_cap_name(n));
	}
	if (ns->no_new_privs)
		ot_sb_printf(out, "%sno_new_privs", sep);
}

static void d_netns(const struct ot_plan *p, const struct ot_op *op, struct ot_strbuf *out)
{
	const struct ot_plan_ns *ns = &p->ns[op->ns];
	unsigned bit;

	if (ns->role == OT_NS_SWITCH) {
		ot_sb_append(out, "switch namespace (bridges, VXLAN devices)");
		return;
	}
	ot_sb_printf(out, "container %s, isolate", ns->container);
	for (bit = OT_ISO_NET; bit <= OT_ISO_CGROUP; bit <<= 1)
		if (ns->isolate & bit)
			ot_sb_printf(out, " %s", ot_isolate_name((enum ot_isolate)bit));
	if (ns->hostname)
		ot_sb_printf(out, ", hostname %s", ns->hostname);
	ot_plan_caps_text(ns, ", ", out);
}

static void d_link(const struct ot_plan *p, const struct ot_op *op, struct ot_strbuf *out)
{
	const struct ot_op_link *k = &op->link;

	ot_sb_printf(out, "%s %s", ot_link_kind_name(k->kind), k->name);
	if (k->mtu)
		ot_sb_printf(out, " mtu %u", k->mtu);
	if (!ot_mac_is_zero(&k->mac))
		put_mac(out, " mac ", &k->mac);
	if (k->master[0])
		ot_sb_printf(out, " master %s", k->master);
	if (k->kind != OT_LINK_BRIDGE)
		ot_sb_append(out, k->ipv6 ? " ipv6" : " noipv6");
	switch (k->kind) {
	case OT_LINK_VXLAN:
		ot_sb_printf(out, " vni %u port %u", k->vni, k->port);
		if (k->local.family)
			put_addr(out, " local ", &k->local);
		else
			ot_sb_append(out, " local (unbound)");
		ot_sb_printf(out, " %s socket-in %s", k->learning ? "learning" : "nolearning",
			     ns_label(p, k->sock_ns));
		break;
	case OT_LINK_MACVLAN:
		ot_sb_printf(out, " on host %s mode %s", k->lower, ot_macvlan_mode_name(k->mode));
		break;
	default:
		break;
	}
	if (k->alias)
		ot_sb_printf(out, " alias \"%s\"", k->alias);
	if (k->kind == OT_LINK_VETH) {
		ot_sb_printf(out, " <-> %s:%s", ns_label(p, k->peer_ns), k->peer_name);
		if (!ot_mac_is_zero(&k->peer_mac))
			put_mac(out, " mac ", &k->peer_mac);
		if (k->peer_master[0])
			ot_sb_printf(out, " master %s", k->peer_master);
		ot_sb_append(out, k->peer_ipv6 ? " ipv6" : " noipv6");
		if (k->peer_alias)
			ot_sb_printf(out, " alias \"%s\"", k->peer_alias);
	}
}

static void d_up(const struct ot_plan *p, const struct ot_op *op, struct ot_strbuf *out)
{
	ot_sb_printf(out, "%s up", op->dev);
}

static void d_addr(const struct ot_plan *p, const struct ot_op *op, struct ot_strbuf *out)
{
	put_prefix(out, "", &op->addr.addr);
	ot_sb_printf(out, " dev %s%s", op->addr.dev,
		     op->addr.addr.addr.family == AF_INET6 ? " nodad" : "");
}

static void d_route(const struct ot_plan *p, const struct ot_op *op, struct ot_strbuf *out)
{
	const struct ot_op_route *r = &op->route;

	if (r->dst.len == 0)
		ot_sb_append(out, r->dst.addr.family == AF_INET6 ? "default (ipv6)" : "default");
	else
		put_prefix(out, "", &r->dst);
	if (r->via.family)
		put_addr(out, " via ", &r->via);
	if (r->dev[0])
		ot_sb_printf(out, " dev %s", r->dev);
	if (r->metric)
		ot_sb_printf(out, " metric %u", r->metric);
}

static void d_fdb(const struct ot_plan *p, const struct ot_op *op, struct ot_strbuf *out)
{
	const struct ot_op_fdb *f = &op->fdb;

	ot_sb_printf(out, "%s ", f->dev);
	if (ot_mac_is_zero(&f->mac))
		ot_sb_append(out, "00:00:00:00:00:00 (flood)");
	else
		put_mac(out, "", &f->mac);
	ot_sb_printf(out, " -> %s", f->dst_node ? f->dst_node : "?");
	if (f->dst.family)
		put_addr(out, " at ", &f->dst);
	else
		ot_sb_append(out, " (unbound)");
}

static void d_sysctl(const struct ot_plan *p, const struct ot_op *op, struct ot_strbuf *out)
{
	ot_sb_printf(out, "%s = %s", op->sysctl.key, op->sysctl.value);
}

static void d_nft(const struct ot_plan *p, const struct ot_op *op, struct ot_strbuf *out)
{
	ot_sb_printf(out, "table inet %s: %zu chain%s, %zu rule%s", op->nft.table, op->nft.nchains,
		     op->nft.nchains == 1 ? "" : "s", op->nft.nrules,
		     op->nft.nrules == 1 ? "" : "s");
}

static void d_cgroup(const struct ot_plan *p, const struct ot_op *op, struct ot_strbuf *out)
{
	const struct ot_op_cgroup *g = &op->cgroup;

	ot_sb_append(out, g->path);
	if (g->cpu_pct)
		ot_sb_printf(out, " cpu %u%%", g->cpu_pct);
	if (g->memory)
		ot_sb_printf(out, " memory %llu", (unsigned long long)g->memory);
	if (g->pids)
		ot_sb_printf(out, " pids %u", g->pids);
	for (size_t i = 0; i < g->nio; i++) {
		const struct ot_cg_io *io = &g->io[i];

		ot_sb_printf(out, " io %s", io->dev);
		if (io->rbps)
			ot_sb_printf(out, " read_bps %llu", (unsigned long long)io->rbps);
		if (io->wbps)
			ot_sb_printf(out, " write_bps %llu", (unsigned long long)io->wbps);
		if (io->riops)
			ot_sb_printf(out, " read_iops %llu", (unsigned long long)io->riops);
		if (io->wiops)
			ot_sb_printf(out, " write_iops %llu", (unsigned long long)io->wiops);
	}
	if (!g->cpu_pct && !g->memory && !g->pids && !g->nio)
		ot_sb_append(out, " (no limits)");
}

/* "eth0 tbf rate 100000000bit burst 32768 limit 657768, netem delay 10000us ..." */
static void d_qdisc(const struct ot_plan *p, const struct ot_op *op, struct ot_strbuf *out)
{
	const struct ot_op_qdisc *q = &op->qdisc;

	ot_sb_append(out, q->dev);
	if (q->rate)
		ot_sb_printf(out, " tbf rate %llubit burst %u limit %u",
			     (unsigned long long)q->rate * 8, q->burst, q->limit);
	if (q->delay_us || q->loss_ppm)
		ot_sb_append(out, q->rate ? ", netem" : " netem");
	if (q->delay_us)
		ot_sb_printf(out, " delay %uus", q->delay_us);
	if (q->jitter_us)
		ot_sb_printf(out, " jitter %uus", q->jitter_us);
	if (q->loss_ppm)
		ot_sb_printf(out, " loss %u.%04u%%", q->loss_ppm / 10000, q->loss_ppm % 10000);
	if (q->reorder_ppm)
		ot_sb_printf(out, " reorder %u.%04u%%", q->reorder_ppm / 10000,
			     q->reorder_ppm % 10000);
}

/* storage: "root /srv/base ro", "bind /data -> /data ro", "tmpfs /tmp size 64M mode 1777" */
static void d_mount(const struct ot_plan *p, const struct ot_op *op, struct ot_strbuf *out)
{
	const struct ot_op_mount *m = &op->mount;

	ot_sb_append(out, ot_mount_kind_name(m->kind));
	if (m->src)
		ot_sb_printf(out, " %s", m->src);
	if (m->src && m->dst)
		ot_sb_append(out, " ->");
	if (m->dst)
		ot_sb_printf(out, " %s", m->dst);
	if (m->kind == OT_MOUNT_TMPFS && m->size)
		ot_sb_printf(out, " size %llu", (unsigned long long)m->size);
	else if (m->kind == OT_MOUNT_TMPFS)
		ot_sb_append(out, " size default");
	if (m->kind == OT_MOUNT_TMPFS)
		ot_sb_printf(out, " mode %o", m->mode);
	if (m->ro)
		ot_sb_append(out, " ro");
	if (m->nofollow)
		ot_sb_append(out, " nofollow");
}

static describe_fn *const describers[OT_OP__COUNT] = {
    [OT_OP_MOUNT] = d_mount,   [OT_OP_NETNS] = d_netns,	  [OT_OP_LINK] = d_link,
    [OT_OP_LINK_UP] = d_up,    [OT_OP_ADDR] = d_addr,	  [OT_OP_ROUTE] = d_route,
    [OT_OP_FDB] = d_fdb,       [OT_OP_SYSCTL] = d_sysctl, [OT_OP_NFT] = d_nft,
    [OT_OP_CGROUP] = d_cgroup, [OT_OP_QDISC] = d_qdisc,
};

void ot_plan_op_text(const struct ot_plan *p, const struct ot_op *op, struct ot_strbuf *out)
{
	if ((unsigned)op->kind < OT_OP__COUNT && describers[op->kind])
		describers[op->kind](p, op, out);
	else
		ot_sb_append(out, "?");
}

/* ------------------------------------------------------------------ */
/* the whole plan                                                      */

static void pad(struct ot_strbuf *out, size_t from, size_t width)
{
	while (out->len - from < width && !out->oom)
		ot_sb_putc(out, ' ');
}

static void teardown_text(const struct ot_plan *p, size_t i, struct ot_strbuf *out)
{
	const struct ot_op *op = &p->ops[i];

	switch (op->kind) {
	case OT_OP_NETNS:
		ot_sb_printf(out, "delete netns %s", p->ns[op->ns].name);
		break;
	case OT_OP_LINK:
		ot_sb_printf(out, "delete link %s in host",
			     op->ns == OT_NS_HOST_INDEX ? op->link.name : op->link.peer_name);
		break;
	case OT_OP_SYSCTL:
		ot_sb_printf(out, "restore %s in %s", op->sysctl.key, ns_label(p, op->ns));
		break;
	case OT_OP_NFT:
		ot_sb_printf(out, "delete table inet %s in %s", op->nft.table, ns_label(p, op->ns));
		break;
	case OT_OP_CGROUP:
		ot_sb_printf(out, "remove cgroup %s", op->cgroup.path);
		break;
	default:
		ot_sb_printf(out, "undo %s", ot_op_kind_name(op->kind));
		break;
	}
}

void ot_plan_text(const struct ot_plan *p, struct ot_strbuf *out)
{
	size_t i, w = 4, line, nw, *td = NULL, ntd = 0;
	unsigned bit;

	ot_sb_printf(out, "node %s of topology %s (node %u of %zu)\n", p->node,
		     p->topology ? p->topology : "?", p->node_index + 1, p->nnodes);
	ot_sb_printf(out, "  instance     %s\n", p->instance ? p->instance : "");
	ot_sb_printf(out, "  prefix       %s\n", p->prefix ? p->prefix : "");
	ot_sb_printf(out, "  state        %s\n", p->state_dir ? p->state_dir : "");
	if (p->underlay.family) {
		put_addr(out, "  underlay     ", &p->underlay);
		ot_sb_printf(out, ", MTU %u\n", p->underlay_mtu);
	} else if (p->underlay_mtu) {
		ot_sb_printf(out, "  underlay     unbound (no hosts file), MTU %u assumed\n",
			     p->underlay_mtu);
	} else {
		ot_sb_append(out, "  underlay     not needed (no VXLAN on this node)\n");
	}
	if (p->source_digest)
		ot_sb_printf(out, "  source       %s\n", p->source_digest);
	ot_sb_append(out, "  nodes       ");
	for (i = 0; i < p->nnodes; i++) {
		ot_sb_printf(out, " %s", p->nodes[i].name);
		if (p->nodes[i].underlay.family)
			put_addr(out, "=", &p->nodes[i].underlay);
	}
	ot_sb_append(out, "\n\n");

	for (i = 1; i < p->nns; i++)
		if (strlen(p->ns[i].name) > w)
			w = strlen(p->ns[i].name);
	ot_sb_printf(out, "namespaces (%zu)\n", p->nns);
	for (i = 0; i < p->nns; i++) {
		const struct ot_plan_ns *ns = &p->ns[i];
		size_t j;

		line = out->len;
		ot_sb_printf(out, "  %-9s ", ot_ns_role_name(ns->role));
		ot_sb_append(out, i == 0 ? "host" : ns->name);
		if (ns->role == OT_NS_CONTAINER) {
			pad(out, line, 13 + w);
			ot_sb_printf(out, "  container %s, isolate", ns->container);
			for (bit = OT_ISO_NET; bit <= OT_ISO_CGROUP; bit <<= 1)
				if (ns->isolate & bit)
					ot_sb_printf(out, " %s",
						     ot_isolate_name((enum ot_isolate)bit));
			if (ns->hostname)
				ot_sb_printf(out, ", hostname %s", ns->hostname);
			if (ns->cgroup)
				ot_sb_printf(out, ", cgroup %s", ns->cgroup);
			ot_plan_caps_text(ns, ", ", out);
			for (j = 0; j < ns->nranks; j++) {
				ot_sb_printf(out, "%s%u", j ? "," : ", ranks ", ns->ranks[j].first);
				if (ns->ranks[j].last != ns->ranks[j].first)
					ot_sb_printf(out, "-%u", ns->ranks[j].last);
			}
		} else if (ns->role == OT_NS_SWITCH) {
			pad(out, line, 13 + w);
			ot_sb_append(out, "  bridges and VXLAN devices");
		} else {
			pad(out, line, 13 + w);
			ot_sb_append(out, "  this node's own namespace");
		}
		ot_sb_putc(out, '\n');
	}

	nw = (size_t)snprintf(NULL, 0, "%zu", p->nops);
	ot_sb_printf(out, "\noperations (%zu)\n", p->nops);
	for (i = 0; i < p->nops; i++) {
		const struct ot_op *op = &p->ops[i];

		line = out->len;
		ot_sb_printf(out, "  %*zu  %-6s  %s", (int)nw, i + 1, ot_op_kind_name(op->kind),
			     ns_label(p, op->ns));
		pad(out, line, nw + 12 + w);
		ot_sb_append(out, "  ");
		ot_plan_op_text(p, op, out);
		if (op->origin)
			ot_sb_printf(out, "  # %s", op->origin);
		ot_sb_putc(out, '\n');
		if (op->kind == OT_OP_NFT)
			ot_nft_table_text(&op->nft, "        ", out);
	}

	ot_sb_printf(out, "\nprobes (%zu)\n", p->nprobes);
	for (i = 0; i < p->nprobes; i++) {
		const struct ot_probe *pr = &p->probes[i];

		line = out->len;
		ot_sb_printf(out, "  %s -> %s on %s", p->ns[pr->from_ns].container,
			     pr->to_container, pr->to_node);
		put_addr(out, " ", &pr->to_addr);
		pad(out, line, 2 * 20 + 24);
		ot_sb_printf(out, "  %-7s  %s\n", ot_enum_name(ot_expect_names, pr->expect),
			     pr->why ? pr->why : "");
	}

	if (ot_plan_teardown(p, &td, &ntd) < 0) {
		out->oom = true;
		return;
	}
	ot_sb_printf(out, "\nteardown (%zu)\n", ntd);
	for (i = 0; i < ntd; i++) {
		ot_sb_printf(out, "  %*zu  ", (int)nw, i + 1);
		teardown_text(p, td[i], out);
		ot_sb_printf(out, "  (undoes op %zu)\n", td[i] + 1);
	}
	free(td);
}

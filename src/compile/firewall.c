/*
 * firewall.c - containers' firewall and NAT rules -> one nftables table per
 * container namespace (table "opentop", family inet), a host NAT table for
 * masquerading uplinks, and the static evaluator the probes use.
 *
 * Lowering (one table, one atomic batch, only when something asks for it):
 *   - a filter chain per direction that has rules or a drop policy:
 *     input / output / forward, priority 0 (filter), the model's policy;
 *     its first rule is `ct state established,related accept` (firewalls
 *     are stateful: replies to allowed traffic always pass); input and
 *     output then accept ICMPv6 neighbour discovery (`icmpv6 type
 *     nd-neighbor-solicit-nd-neighbor-advert`, 135-136: conntrack leaves it
 *     untracked, so without it a drop policy breaks IPv6 altogether;
 *     router solicitations and adverts stay out: routes are static); then
 *     the user's rules in source order, each with a counter and its origin
 *     as the comment;
 *   - NAT: masquerade/snat in a `postrouting` nat chain (priority 100,
 *     srcnat), dnat in a `prerouting` nat chain (priority -100, dstnat).
 * The host table of a node is named "ot-" + 8 hex digits of a hash of the
 * plan prefix (unique per instance and node, so two instances never touch
 * each other's table) and holds one masquerade rule per masquerading
 * uplink: source = the network's subnet, out of `out` when given.
 */
#include "compile/cc.h"

#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define TABLE_NAME "opentop"

struct chain_def {
	const char *name;
	enum ot_nft_chain_type type;
	enum ot_nft_hook hook;
	int32_t priority;
};

/* Per model direction (OT_M_IN, OT_M_OUT, OT_M_FORWARD), in chain order. */
static const struct chain_def filter_chains[] = {
    [OT_M_IN] = {"input", OT_NFT_FILTER, OT_NFT_INPUT, 0},
    [OT_M_OUT] = {"output", OT_NFT_FILTER, OT_NFT_OUTPUT, 0},
    [OT_M_FORWARD] = {"forward", OT_NFT_FILTER, OT_NFT_FORWARD, 0},
};
static const struct chain_def prerouting_nat = {"prerouting", OT_NFT_NAT, OT_NFT_PREROUTING, -100};
static const struct chain_def postrouting_nat = {"postrouting", OT_NFT_NAT, OT_NFT_POSTROUTING,
						 100};

static const enum ot_nft_verdict verdict_of[] = {
    [OT_M_ALLOW] = OT_NFT_ACCEPT,
    [OT_M_DROP] = OT_NFT_DROP,
    [OT_M_REJECT] = OT_NFT_REJECT,
};

static const char *kname_of(const struct cc *c, const struct ot_m_iface *mi)
{
	return c->ifaces[cc_iface_of(c, mi)].kname;
}

static void add_chain(struct ot_op_nft *n, const struct chain_def *d, bool policy_drop)
{
	struct ot_nft_chain *ch = &n->chains[n->nchains++];

	snprintf(ch->name, sizeof(ch->name), "%s", d->name);
	ch->type = d->type;
	ch->hook = d->hook;
	ch->priority = d->priority;
	ch->policy_drop = policy_drop;
}

static uint8_t family_of(const struct ot_m_rule *r)
{
	if (r->family)
		return r->family;
	if (r->has_src)
		return r->src.addr.family;
	if (r->has_dst)
		return r->dst.addr.family;
	if (r->l4proto == IPPROTO_ICMP)
		return AF_INET;
	if (r->l4proto == IPPROTO_ICMPV6)
		return AF_INET6;
	return 0;
}

int cc_lower_firewall(struct cc *c, struct ot_plan *p, uint32_t ci)
{
	const struct cc_container *cc = &c->containers[ci];
	const struct ot_m_container *mc = cc->mc;
	bool used[3] = {false, false, false}, any = false, pre = false, post = false;
	uint32_t chain_of[3] = {0, 0, 0}, pre_chain = 0, post_chain = 0;
	struct ot_op_nft *n;
	size_t i, nrules = 0;
	int d, x;

	for (d = 0; d < 3; d++)
		used[d] = mc->policy_drop[d];
	for (i = 0; i < mc->nrules; i++)
		used[mc->rules[i].dir] = true;
	for (i = 0; i < mc->nnats; i++) {
		if (mc->nats[i].kind == OT_M_DNAT)
			pre = true;
		else
			post = true;
	}
	for (d = 0; d < 3; d++)
		if (used[d]) {
			any = true;
			nrules++; /* the conntrack rule */
			if (d != OT_M_FORWARD)
				nrules++; /* neighbour discovery */
		}
	if (!any && !pre && !post)
		return 0;
	nrules += mc->nrules + mc->nnats;

	x = ot_plan_add_op(p, OT_OP_NFT, cc->ns);
	if (x < 0)
		return x;
	p->ops[x].origin = cc_origin(c, p, &mc->loc);
	n = &p->ops[x].nft;
	snprintf(n->table, sizeof(n->table), "%s", TABLE_NAME);
	n->chains = ot_arena_calloc(&p->arena, 5, sizeof(*n->chains));
	n->rules = ot_arena_calloc(&p->arena, nrules, sizeof(*n->rules));
	if (!n->chains || !n->rules)
		return -ENOMEM;
	for (d = 0; d < 3; d++)
		if (used[d]) {
			chain_of[d] = (uint32_t)n->nchains;
			add_chain(n, &filter_chains[d], mc->policy_drop[d]);
		}
	if (pre) {
		pre_chain = (uint32_t)n->nchains;
		add_chain(n, &prerouting_nat, false);
	}
	if (post) {
		post_chain = (uint32_t)n->nchains;
		add_chain(n, &postrouting_nat, false);
	}

	for (d = 0; d < 3; d++) {
		struct ot_nft_rule *r;

		if (!used[d])
			continue;
		r = &n->rules[n->nrules++];
		r->chain = chain_of[d];
		r->ct_state = OT_CT_ESTABLISHED | OT_CT_RELATED;
		r->verdict = OT_NFT_ACCEPT;
		if (d != OT_M_FORWARD) {
			/* conntrack leaves ND untracked: without this, a drop
			 * policy (or a user's drop) starves IPv6 of neighbours */
			r = &n->rules[n->nrules++];
			r->chain = chain_of[d];
			r->l4proto = IPPROTO_ICMPV6;
			r->has_icmp_type = true;
			r->icmp_type_first = ND_NEIGHBOR_SOLICIT;
			r->icmp_type_last = ND_NEIGHBOR_ADVERT;
			r->verdict = OT_NFT_ACCEPT;
			r->comment = "IPv6 neighbour discovery";
		}
		for (i = 0; i < mc->nrules; i++) {
			const struct ot_m_rule *mr = &mc->rules[i];

			if ((int)mr->dir != d)
				continue;
			r = &n->rules[n->nrules++];
			r->chain = chain_of[d];
			r->family = family_of(mr);
			r->l4proto = mr->l4proto;
			r->has_saddr = mr->has_src;
			r->saddr = mr->src;
			r->has_daddr = mr->has_dst;
			r->daddr = mr->dst;
			r->sport = mr->sport;
			r->dport = mr->dport;
			if (mr->iif)
				snprintf(r->iif, sizeof(r->iif), "%s", kname_of(c, mr->iif));
			if (mr->oif)
				snprintf(r->oif, sizeof(r->oif), "%s", kname_of(c, mr->oif));
			r->verdict = verdict_of[mr->action];
			r->counter = true;
			r->comment = cc_origin(c, p, &mr->loc);
		}
	}
	for (i = 0; i < mc->nnats; i++) {
		const struct ot_m_nat *mn = &mc->nats[i];
		struct ot_nft_rule *r = &n->rules[n->nrules++];

		r->l4proto = mn->l4proto;
		r->has_saddr = mn->has_src;
		r->saddr = mn->src;
		r->has_daddr = mn->has_dst;
		r->daddr = mn->dst;
		r->dport = mn->dport;
		r->counter = true;
		r->comment = cc_origin(c, p, &mn->loc);
		if (mn->has_src)
			r->family = mn->src.addr.family;
		else if (mn->has_dst)
			r->family = mn->dst.addr.family;
		switch (mn->kind) {
		case OT_M_MASQUERADE:
			r->chain = post_chain;
			r->verdict = OT_NFT_MASQUERADE;
			break;
		case OT_M_SNAT:
			r->chain = post_chain;
			r->verdict = OT_NFT_SNAT;
			r->nat_addr = mn->to;
			r->family = mn->to.family; /* snat in an inet table names its family */
			break;
		case OT_M_DNAT:
			r->chain = pre_chain;
			r->verdict = OT_NFT_DNAT;
			r->nat_addr = mn->to;
			r->nat_port = mn->to_port;
			r->family = mn->to.family;
			break;
		}
		if (mn->oif && mn->kind != OT_M_DNAT)
			snprintf(r->oif, sizeof(r->oif), "%s", kname_of(c, mn->oif));
		if (mn->iif && mn->kind == OT_M_DNAT)
			snprintf(r->iif, sizeof(r->iif), "%s", kname_of(c, mn->iif));
	}
	return p->arena.oom ? -ENOMEM : 0;
}

int cc_lower_host_nat(struct cc *c, struct ot_plan *p, uint32_t nd)
{
	const struct cc_node *node = &c->nodes[nd];
	struct ot_op_nft *n = NULL;
	uint32_t i, j, count = 0;
	uint64_t h;
	int x;

	for (i = 0; i < node->nnets; i++) {
		const struct cc_net *net = &c->nets[node->nets[i]];
		const struct cc_netnode *nn = &net->nodes[node->netnode[i]];

		for (j = nn->first; j < nn->first + nn->n; j++)
			if (net->members[j].iface < 0 && net->members[j].up->masquerade)
				count++;
	}
	if (!count)
		return 0;
	x = ot_plan_add_op(p, OT_OP_NFT, OT_NS_HOST_INDEX);
	if (x < 0)
		return x;
	n = &p->ops[x].nft;
	h = ot_hash64_str(node->prefix);
	snprintf(n->table, sizeof(n->table), "ot-%08x", (unsigned)((h >> 32) ^ h));
	n->chains = ot_arena_calloc(&p->arena, 1, sizeof(*n->chains));
	n->rules = ot_arena_calloc(&p->arena, count, sizeof(*n->rules));
	if (!n->chains || !n->rules)
		return -ENOMEM;
	add_chain(n, &postrouting_nat, false);
	for (i = 0; i < node->nnets; i++) {
		const struct cc_net *net = &c->nets[node->nets[i]];
		const struct cc_netnode *nn = &net->nodes[node->netnode[i]];

		for (j = nn->first; j < nn->first + nn->n; j++) {
			const struct ot_m_uplink *up = net->members[j].up;
			struct ot_nft_rule *r;

			if (net->members[j].iface >= 0 || !up->masquerade)
				continue;
			if (!p->ops[x].origin)
				p->ops[x].origin = cc_origin(c, p, &up->loc);
			r = &n->rules[n->nrules++];
			r->family = up->address.addr.family;
			r->has_saddr = true;
			if (r->family == AF_INET && net->mn->has_subnet4)
				r->saddr = net->mn->subnet4;
			else if (r->family == AF_INET6 && net->mn->has_subnet6)
				r->saddr = net->mn->subnet6;
			else
				r->saddr = ot_prefix_network(&up->address);
			r->saddr = ot_prefix_network(&r->saddr);
			snprintf(r->oif, sizeof(r->oif), "%s", up->out);
			r->verdict = OT_NFT_MASQUERADE;
			r->counter = true;
			r->comment = cc_origin(c, p, &up->loc);
		}
	}
	return p->arena.oom ? -ENOMEM : 0;
}

/* ------------------------------------------------------------------ */
/* static evaluation for probes                                        */

static bool rule_matches(const struct ot_m_rule *r, const struct ot_addr *src,
			 const struct ot_addr *dst, const struct ot_m_iface *iif,
			 const struct ot_m_iface *oif)
{
	uint8_t icmp = src->family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	uint8_t fam = family_of(r);

	if (fam && fam != src->family)
		return false;
	if (r->l4proto && r->l4proto != icmp)
		return false;
	if (r->sport.n || r->dport.n)
		return false; /* an echo request has no ports */
	if (r->has_src && !ot_prefix_contains(&r->src, src))
		return false;
	if (r->has_dst && !ot_prefix_contains(&r->dst, dst))
		return false;
	if (r->iif && r->iif != iif)
		return false;
	if (r->oif && r->oif != oif)
		return false;
	return true;
}

static const char *const dir_name[] = {
    [OT_M_IN] = "in", [OT_M_OUT] = "out", [OT_M_FORWARD] = "forward"};

bool cc_fw_accepts(struct cc *c, uint32_t ci, enum ot_m_dir dir, const struct ot_addr *src,
		   const struct ot_addr *dst, const struct ot_m_iface *iif,
		   const struct ot_m_iface *oif, const char **why)
{
	const struct ot_m_container *mc = c->containers[ci].mc;
	size_t i;

	for (i = 0; i < mc->nrules; i++) {
		const struct ot_m_rule *r = &mc->rules[i];
		const char *f;

		if (r->dir != dir || !rule_matches(r, src, dst, iif, oif))
			continue;
		if (r->action == OT_M_ALLOW)
			return true;
		f = r->loc.file ? strrchr(r->loc.file, '/') : NULL;
		f = f ? f + 1 : r->loc.file ? r->loc.file : "?";
		*why = ot_arena_printf(&c->arena, "%s by %s's firewall at %s:%u",
				       r->action == OT_M_REJECT ? "rejected" : "dropped", mc->name,
				       f, r->loc.line);
		return false;
	}
	if (mc->policy_drop[dir]) {
		*why = ot_arena_printf(&c->arena, "dropped by %s's policy %s drop", mc->name,
				       dir_name[dir]);
		return false;
	}
	return true;
}

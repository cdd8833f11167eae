/*
 * nft.c - plan tables to nftables batches with libnftnl (contract in nft.h).
 *
 * A rule is a list of expressions, as `nft --debug=netlink` prints them:
 * "meta load nfproto => reg 1; cmp eq reg 1 0x02; payload load 4b @ network
 * header + 12 => reg 1; bitwise ...; cmp eq ...; immediate reg 0 accept".
 * Dependencies nft would add are added here too: an address match implies a
 * family match, a port match needs a TCP/UDP/SCTP protocol match, NAT to an
 * address implies its family.
 */
#include "exec/nft.h"
#include "plan/plan_schema.h"
#include "util/vec.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

/* One message never exceeds this (the largest rule: ~12 expressions of
 * < 100 bytes, plus a 128-byte comment). */
#define MSG_ROOM 4096

void ot_nft_batch_init(struct ot_nft_batch *b, uint32_t seq)
{
	memset(b, 0, sizeof(*b));
	b->seq = seq;
}

void ot_nft_batch_free(struct ot_nft_batch *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

/* Room for one more message at b->buf + b->len, or NULL. */
static char *room(struct ot_nft_batch *b)
{
	if (b->oom)
		return NULL;
	if (OT_VEC_RESERVE(b->buf, b->cap, b->len + MSG_ROOM) < 0) {
		b->oom = true;
		return NULL;
	}
	memset(b->buf + b->len, 0, MSG_ROOM);
	return b->buf + b->len;
}

static void commit(struct ot_nft_batch *b, struct nlmsghdr *nlh)
{
	b->len += MNL_ALIGN(nlh->nlmsg_len);
	b->seq++;
	b->nmsgs++;
}

int ot_nft_batch_begin(struct ot_nft_batch *b)
{
	char *p = room(b);

	if (!p)
		return -ENOMEM;
	commit(b, nftnl_batch_begin(p, b->seq));
	return 0;
}

int ot_nft_batch_end(struct ot_nft_batch *b)
{
	char *p = room(b);

	if (!p)
		return -ENOMEM;
	commit(b, nftnl_batch_end(p, b->seq));
	return 0;
}

/* ---- expressions ---- */

/* Append an expression; returns false on OOM (sticky through *ok). */
static struct nftnl_expr *expr(struct nftnl_rule *r, const char *name, bool *ok)
{
	struct nftnl_expr *e = *ok ? nftnl_expr_alloc(name) : NULL;

	if (!e) {
		*ok = false;
		return NULL;
	}
	nftnl_rule_add_expr(r, e);
	return e;
}

static void e_meta(struct nftnl_rule *r, uint32_t key, bool *ok)
{
	struct nftnl_expr *e = expr(r, "meta", ok);

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	}
}

static void e_cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len, bool *ok)
{
	struct nftnl_expr *e = expr(r, "cmp", ok);

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	}
}

static void e_payload(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len, bool *ok)
{
	struct nftnl_expr *e = expr(r, "payload", ok);

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	}
}

static void e_bitwise(struct nftnl_rule *r, const void *mask, uint32_t len, bool *ok)
{
	static const uint8_t zero[16];
	struct nftnl_expr *e = expr(r, "bitwise", ok);

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, len);
	}
}

static void e_range(struct nftnl_rule *r, uint16_t lo, uint16_t hi, bool *ok)
{
	struct nftnl_expr *e = expr(r, "range", ok);
	uint16_t a = htons(lo), b = htons(hi);

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_OP, NFT_RANGE_EQ);
		nftnl_expr_set(e, NFTNL_EXPR_RANGE_FROM_DATA, &a, sizeof(a));
		nftnl_expr_set(e, NFTNL_EXPR_RANGE_TO_DATA, &b, sizeof(b));
	}
}

static void e_imm_data(struct nftnl_rule *r, uint32_t reg, const void *data, uint32_t len, bool *ok)
{
	struct nftnl_expr *e = expr(r, "immediate", ok);

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, reg);
		nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len);
	}
}

/* "meta nfproto ipv4" */
static void m_family(struct nftnl_rule *r, uint8_t family, bool *ok)
{
	uint8_t v = family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;

	e_meta(r, NFT_META_NFPROTO, ok);
	e_cmp(r, NFT_CMP_EQ, &v, 1, ok);
}

/* "ip saddr 10.0.0.0/24" and friends */
static void m_addr(struct nftnl_rule *r, const struct ot_prefix *p, bool src, bool *ok)
{
	unsigned alen = ot_addr_len(&p->addr);
	uint32_t off = p->addr.family == AF_INET ? (src ? 12 : 16) : (src ? 8 : 24);
	struct ot_prefix net = ot_prefix_network(p);

	e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, off, alen, ok);
	if (p->len < alen * 8) {
		uint8_t mask[16] = {0};
		unsigned i;

		for (i = 0; i < p->len; i++)
			mask[i / 8] |= (uint8_t)(0x80u >> (i % 8));
		e_bitwise(r, mask, alen, ok);
	}
	e_cmp(r, NFT_CMP_EQ, net.addr.bytes, alen, ok);
}

/* "th dport 80" / "th sport 1000-2000" */
static void m_port(struct nftnl_rule *r, uint16_t lo, uint16_t hi, bool src, bool *ok)
{
	e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, src ? 0 : 2, 2, ok);
	if (lo == hi) {
		uint16_t v = htons(lo);

		e_cmp(r, NFT_CMP_EQ, &v, 2, ok);
	} else {
		e_range(r, lo, hi, ok);
	}
}

/* "th dport { 22, 8000-8100 }": the port looked up in anonymous set set_id */
static void m_port_set(struct nftnl_rule *r, uint32_t set_id, bool src, bool *ok)
{
	struct nftnl_expr *e;

	e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, src ? 0 : 2, 2, ok);
	e = expr(r, "lookup", ok);
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
		nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, "__set%d");
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id);
	}
}

/* "icmpv6 type 135-136": the type byte, compared as nft does (one cmp, or
 * gte and lte for a range); the protocol match comes before it. */
static void m_icmp_type(struct nftnl_rule *r, uint8_t first, uint8_t last, bool *ok)
{
	e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, ok);
	if (first == last) {
		e_cmp(r, NFT_CMP_EQ, &first, 1, ok);
		return;
	}
	e_cmp(r, NFT_CMP_GTE, &first, 1, ok);
	e_cmp(r, NFT_CMP_LTE, &last, 1, ok);
}

/* "iifname eth0" */
static void m_ifname(struct nftnl_rule *r, const char *name, bool in, bool *ok)
{
	char buf[IFNAMSIZ] = {0};

	memcpy(buf, name, strnlen(name, IFNAMSIZ - 1));
	e_meta(r, in ? NFT_META_IIFNAME : NFT_META_OIFNAME, ok);
	e_cmp(r, NFT_CMP_EQ, buf, IFNAMSIZ, ok);
}

/* "ct state established,related": bits as nft encodes them (NF_CT_STATE_BIT). */
static void m_ct_state(struct nftnl_rule *r, unsigned states, bool *ok)
{
	static const struct {
		unsigned ot, nf;
	} map[] = {
	    {OT_CT_INVALID, 1u << 0},	  /* NF_CT_STATE_INVALID_BIT */
	    {OT_CT_ESTABLISHED, 1u << 1}, /* IP_CT_ESTABLISHED + 1 */
	    {OT_CT_RELATED, 1u << 2},	  /* IP_CT_RELATED + 1 */
	    {OT_CT_NEW, 1u << 3},	  /* IP_CT_NEW + 1 */
	};
	uint32_t mask = 0, zero = 0;
	struct nftnl_expr *e;
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (states & map[i].ot)
			mask |= map[i].nf;
	e = expr(r, "ct", ok);
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	}
	e_bitwise(r, &mask, sizeof(mask), ok);
	e_cmp(r, NFT_CMP_NEQ, &zero, sizeof(zero), ok);
}

/* ---- verdicts (a table, one entry per enum ot_nft_verdict) ---- */

static void v_verdict(struct nftnl_rule *r, int verdict, bool *ok)
{
	struct nftnl_expr *e = expr(r, "immediate", ok);

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	}
}

static void v_accept(struct nftnl_rule *r, const struct ot_nft_rule *x, bool *ok)
{
	v_verdict(r, NF_ACCEPT, ok);
}

static void v_drop(struct nftnl_rule *r, const struct ot_nft_rule *x, bool *ok)
{
	v_verdict(r, NF_DROP, ok);
}

static void v_reject(struct nftnl_rule *r, const struct ot_nft_rule *x, bool *ok)
{
	struct nftnl_expr *e = expr(r, "reject", ok);

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, NFT_REJECT_ICMPX_UNREACH);
		nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, NFT_REJECT_ICMPX_PORT_UNREACH);
	}
}

static void v_masq(struct nftnl_rule *r, const struct ot_nft_rule *x, bool *ok)
{
	expr(r, "masq", ok);
}

static void v_nat(struct nftnl_rule *r, const struct ot_nft_rule *x, uint32_t type, bool *ok)
{
	struct nftnl_expr *e;

	e_imm_data(r, NFT_REG_1, x->nat_addr.bytes, ot_addr_len(&x->nat_addr), ok);
	if (x->nat_port) {
		uint16_t port = htons(x->nat_port);

		e_imm_data(r, NFT_REG_2, &port, sizeof(port), ok);
	}
	e = expr(r, "nat", ok);
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, type);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY,
				   x->nat_addr.family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
		if (x->nat_port)
			nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG_2);
	}
}

static void v_snat(struct nftnl_rule *r, const struct ot_nft_rule *x, bool *ok)
{
	v_nat(r, x, NFT_NAT_SNAT, ok);
}

static void v_dnat(struct nftnl_rule *r, const struct ot_nft_rule *x, bool *ok)
{
	v_nat(r, x, NFT_NAT_DNAT, ok);
}

static void (*const verdicts[])(struct nftnl_rule *, const struct ot_nft_rule *, bool *) = {
    [OT_NFT_ACCEPT] = v_accept,	  [OT_NFT_DROP] = v_drop, [OT_NFT_REJECT] = v_reject,
    [OT_NFT_MASQUERADE] = v_masq, [OT_NFT_SNAT] = v_snat, [OT_NFT_DNAT] = v_dnat,
};

/* ---- rules ---- */

/* The family a rule is restricted to: explicit, or implied by its addresses. */
static int rule_family(const struct ot_nft_rule *x)
{
	int fam = x->family;
	const struct ot_addr *implied[3] = {
	    x->has_saddr ? &x->saddr.addr : NULL,
	    x->has_daddr ? &x->daddr.addr : NULL,
	    (x->verdict == OT_NFT_SNAT || x->verdict == OT_NFT_DNAT) ? &x->nat_addr : NULL,
	};
	int i;

	if (x->l4proto == IPPROTO_ICMP)
		fam = fam ? fam : AF_INET;
	if (x->l4proto == IPPROTO_ICMPV6)
		fam = fam ? fam : AF_INET6;
	for (i = 0; i < 3; i++) {
		if (!implied[i])
			continue;
		if (!implied[i]->family)
			return -1;
		if (fam && fam != implied[i]->family)
			return -1;
		fam = implied[i]->family;
	}
	if (fam && fam != AF_INET && fam != AF_INET6)
		return -1;
	return fam;
}

static int rule_error(struct ot_error *err, const char *table, size_t i,
		      const struct ot_nft_rule *x, const char *why)
{
	return ot_error_set(err, -EINVAL, "nft table '%s' rule %zu%s%s: %s", table, i,
			    x->comment ? " from " : "", x->comment ? x->comment : "", why);
}

static int build_rule(struct nftnl_rule *r, const struct ot_op_nft *t, size_t i,
		      const uint32_t set_ids[2], struct ot_error *err)
{
	const struct ot_nft_rule *x = &t->rules[i];
	bool ports = x->sport.n || x->dport.n, ok = true;
	int fam = rule_family(x);

	if ((x->verdict == OT_NFT_SNAT || x->verdict == OT_NFT_DNAT) && !x->nat_addr.family)
		return rule_error(err, t->table, i, x, "NAT without an address");
	if (fam < 0)
		return rule_error(err, t->table, i, x, "addresses of different families");
	if ((unsigned)x->verdict >= sizeof(verdicts) / sizeof(verdicts[0]))
		return rule_error(err, t->table, i, x, "unknown verdict");
	if (ports && x->l4proto != IPPROTO_TCP && x->l4proto != IPPROTO_UDP &&
	    x->l4proto != IPPROTO_SCTP && x->l4proto != IPPROTO_UDPLITE)
		return rule_error(err, t->table, i, x, "a port match needs tcp, udp or sctp");
	if (x->has_icmp_type && x->l4proto != IPPROTO_ICMP && x->l4proto != IPPROTO_ICMPV6)
		return rule_error(err, t->table, i, x, "an ICMP type match needs icmp or icmpv6");
	if (x->nat_port && !ports && x->l4proto != IPPROTO_TCP && x->l4proto != IPPROTO_UDP &&
	    x->l4proto != IPPROTO_SCTP)
		return rule_error(err, t->table, i, x, "NAT to a port needs tcp, udp or sctp");

	if (fam)
		m_family(r, (uint8_t)fam, &ok);
	if (x->l4proto) {
		uint8_t p = x->l4proto;

		e_meta(r, NFT_META_L4PROTO, &ok);
		e_cmp(r, NFT_CMP_EQ, &p, 1, &ok);
	}
	if (x->iif[0])
		m_ifname(r, x->iif, true, &ok);
	if (x->oif[0])
		m_ifname(r, x->oif, false, &ok);
	if (x->has_saddr)
		m_addr(r, &x->saddr, true, &ok);
	if (x->has_daddr)
		m_addr(r, &x->daddr, false, &ok);
	if (set_ids[0])
		m_port_set(r, set_ids[0], true, &ok);
	else if (x->sport.n)
		m_port(r, x->sport.r[0].lo, x->sport.r[0].hi, true, &ok);
	if (set_ids[1])
		m_port_set(r, set_ids[1], false, &ok);
	else if (x->dport.n)
		m_port(r, x->dport.r[0].lo, x->dport.r[0].hi, false, &ok);
	if (x->has_icmp_type)
		m_icmp_type(r, x->icmp_type_first, x->icmp_type_last, &ok);
	if (x->ct_state)
		m_ct_state(r, x->ct_state, &ok);
	if (x->counter)
		expr(r, "counter", &ok);
	verdicts[x->verdict](r, x, &ok);
	if (ok && x->comment && *x->comment) {
		struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(NFTNL_UDATA_COMMENT_MAXLEN + 16);

		if (!u || !nftnl_udata_put_strz(u, NFTNL_UDATA_RULE_COMMENT, x->comment) ||
		    nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(u),
					nftnl_udata_buf_len(u)) < 0)
			ok = false;
		nftnl_udata_buf_free(u);
	}
	return ok ? 0 : ot_error_set(err, -ENOMEM, "nft: out of memory");
}

/* One element of a port set; flags 0 or NFT_SET_ELEM_INTERVAL_END. */
static int add_elem(struct nftnl_set *s, uint16_t port, uint32_t flags)
{
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	uint16_t key = htons(port);

	if (!e)
		return -ENOMEM;
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &key, sizeof(key));
	if (flags)
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, flags);
	nftnl_set_elem_add(s, e);
	return 0;
}

/*
 * Append an anonymous constant set of ports (NEWSET then NEWSETELEM) to the
 * batch and return its batch-local id in *ret_id, which the rule's lookup
 * names (the kernel gives the set its name "__setN" and frees it with the
 * rule). With a range it is an interval set, encoded as nft does it: a start
 * element at each first port and an INTERVAL_END element one past each last
 * port, plus an end element at 0 (nothing below the first start matches).
 * The model rejects overlapping elements; OT_PORTS_MAX bounds the message.
 */
static int add_port_set(struct ot_nft_batch *b, const char *table, const struct ot_ports *ps,
			uint32_t *ret_id)
{
	struct nftnl_set *s = nftnl_set_alloc();
	bool interval = false;
	struct nlmsghdr *nlh;
	uint32_t id, flags;
	uint16_t i;
	char *p;
	int r = -ENOMEM;

	if (!s)
		return -ENOMEM;
	for (i = 0; i < ps->n && i < OT_PORTS_MAX; i++)
		interval |= ps->r[i].lo != ps->r[i].hi;
	id = ++b->set_ids;
	flags = NFT_SET_ANONYMOUS | NFT_SET_CONSTANT | (interval ? NFT_SET_INTERVAL : 0);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, "__set%d");
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_ID, id);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, 13); /* nft's inet_service, for listing */
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, sizeof(uint16_t));
	if (interval && add_elem(s, 0, NFT_SET_ELEM_INTERVAL_END) < 0)
		goto out;
	for (i = 0; i < ps->n && i < OT_PORTS_MAX; i++) {
		if (add_elem(s, ps->r[i].lo, 0) < 0)
			goto out;
		if (interval && ps->r[i].hi < 65535 &&
		    add_elem(s, (uint16_t)(ps->r[i].hi + 1), NFT_SET_ELEM_INTERVAL_END) < 0)
			goto out;
	}
	if (!(p = room(b)))
		goto out;
	nlh = nftnl_nlmsg_build_hdr(p, NFT_MSG_NEWSET, NFPROTO_INET, NLM_F_CREATE | NLM_F_ACK,
				    b->seq);
	nftnl_set_nlmsg_build_payload(nlh, s);
	commit(b, nlh);
	if (!(p = room(b)))
		goto out;
	nlh = nftnl_nlmsg_build_hdr(p, NFT_MSG_NEWSETELEM, NFPROTO_INET, NLM_F_CREATE | NLM_F_ACK,
				    b->seq);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	commit(b, nlh);
	*ret_id = id;
	r = 0;
out:
	nftnl_set_free(s);
	return r;
}

static const uint32_t hook_nums[] = {NF_INET_PRE_ROUTING, NF_INET_LOCAL_IN, NF_INET_FORWARD,
				     NF_INET_LOCAL_OUT, NF_INET_POST_ROUTING};

int ot_nft_add_table(struct ot_nft_batch *b, const struct ot_op_nft *t, const char *tag,
		     struct ot_error *err)
{
	struct nftnl_udata_buf *u = NULL;
	struct nftnl_table *tab = NULL;
	struct nlmsghdr *nlh;
	size_t i;
	char *p;
	int r = -ENOMEM;

	if (t->nchains > OT_NFT_CHAINS_MAX || t->nrules > OT_NFT_RULES_MAX)
		return ot_error_set(err, -E2BIG, "nft table '%s': more than %d chains or %d rules",
				    t->table, OT_NFT_CHAINS_MAX, OT_NFT_RULES_MAX);
	if (tag && strlen(tag) > OT_NFT_TAG_MAX)
		return ot_error_set(err, -E2BIG, "nft table '%s': tag too long", t->table);

	tab = nftnl_table_alloc();
	if (!tab || !(p = room(b)))
		goto oom;
	nftnl_table_set_str(tab, NFTNL_TABLE_NAME, t->table);
	nftnl_table_set_u32(tab, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	if (tag) {
		u = nftnl_udata_buf_alloc(OT_NFT_TAG_MAX + 16);
		if (!u || !nftnl_udata_put_strz(u, NFTNL_UDATA_TABLE_COMMENT, tag) ||
		    nftnl_table_set_data(tab, NFTNL_TABLE_USERDATA, nftnl_udata_buf_data(u),
					 nftnl_udata_buf_len(u)) < 0)
			goto oom;
	}
	nlh = nftnl_nlmsg_build_hdr(p, NFT_MSG_NEWTABLE, NFPROTO_INET,
				    NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, b->seq);
	nftnl_table_nlmsg_build_payload(nlh, tab);
	commit(b, nlh);

	for (i = 0; i < t->nchains; i++) {
		const struct ot_nft_chain *c = &t->chains[i];
		struct nftnl_chain *ch = nftnl_chain_alloc();

		if (!ch || !(p = room(b))) {
			nftnl_chain_free(ch);
			goto oom;
		}
		if ((unsigned)c->hook >= sizeof(hook_nums) / sizeof(hook_nums[0])) {
			nftnl_chain_free(ch);
			r = ot_error_set(err, -EINVAL, "nft table '%s': chain '%s' has a bad hook",
					 t->table, c->name);
			goto out;
		}
		nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, t->table);
		nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME, c->name);
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
		nftnl_chain_set_str(ch, NFTNL_CHAIN_TYPE,
				    ot_enum_name(ot_nft_chain_type_names, c->type));
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_HOOKNUM, hook_nums[c->hook]);
		nftnl_chain_set_s32(ch, NFTNL_CHAIN_PRIO, c->priority);
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_POLICY, c->policy_drop ? NF_DROP : NF_ACCEPT);
		nlh = nftnl_nlmsg_build_hdr(p, NFT_MSG_NEWCHAIN, NFPROTO_INET,
					    NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, b->seq);
		nftnl_chain_nlmsg_build_payload(nlh, ch);
		nftnl_chain_free(ch);
		commit(b, nlh);
	}

	for (i = 0; i < t->nrules; i++) {
		const struct ot_nft_rule *x = &t->rules[i];
		uint32_t set_ids[2] = {0, 0};
		struct nftnl_rule *rule;

		if ((x->sport.n > 1 && add_port_set(b, t->table, &x->sport, &set_ids[0]) < 0) ||
		    (x->dport.n > 1 && add_port_set(b, t->table, &x->dport, &set_ids[1]) < 0))
			goto oom;
		rule = nftnl_rule_alloc();
		if (!rule || !(p = room(b))) {
			nftnl_rule_free(rule);
			goto oom;
		}
		if (t->rules[i].chain >= t->nchains) {
			nftnl_rule_free(rule);
			r = ot_error_set(err, -EINVAL, "nft table '%s' rule %zu: no such chain",
					 t->table, i);
			goto out;
		}
		nftnl_rule_set_str(rule, NFTNL_RULE_TABLE, t->table);
		nftnl_rule_set_str(rule, NFTNL_RULE_CHAIN, t->chains[t->rules[i].chain].name);
		nftnl_rule_set_u32(rule, NFTNL_RULE_FAMILY, NFPROTO_INET);
		r = build_rule(rule, t, i, set_ids, err);
		if (r < 0) {
			nftnl_rule_free(rule);
			goto out;
		}
		nlh = nftnl_nlmsg_build_hdr(p, NFT_MSG_NEWRULE, NFPROTO_INET,
					    NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK, b->seq);
		nftnl_rule_nlmsg_build_payload(nlh, rule);
		nftnl_rule_free(rule);
		if (nlh->nlmsg_len > MSG_ROOM) { /* cannot happen with our bounded rules */
			r = ot_error_set(err, -E2BIG, "nft table '%s' rule %zu: too large",
					 t->table, i);
			goto out;
		}
		commit(b, nlh);
	}
	r = 0;
	goto out;
oom:
	r = ot_error_set(err, -ENOMEM, "nft: out of memory");
out:
	nftnl_udata_buf_free(u);
	nftnl_table_free(tab);
	return r;
}

int ot_nft_del_table(struct ot_nft_batch *b, const char *name)
{
	struct nftnl_table *tab = nftnl_table_alloc();
	struct nlmsghdr *nlh;
	char *p;

	if (!tab || !(p = room(b))) {
		nftnl_table_free(tab);
		return -ENOMEM;
	}
	nftnl_table_set_str(tab, NFTNL_TABLE_NAME, name);
	nftnl_table_set_u32(tab, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nlh = nftnl_nlmsg_build_hdr(p, NFT_MSG_DELTABLE, NFPROTO_INET, NLM_F_ACK, b->seq);
	nftnl_table_nlmsg_build_payload(nlh, tab);
	nftnl_table_free(tab);
	commit(b, nlh);
	return 0;
}

/* ---- reading tables back ---- */

static int udata_comment(const struct nftnl_udata *a, void *data)
{
	char *tag = data;
	uint8_t len = nftnl_udata_len(a);

	if (nftnl_udata_type(a) == NFTNL_UDATA_TABLE_COMMENT && len > 0 &&
	    len <= OT_NFT_TAG_MAX + 1) {
		memcpy(tag, nftnl_udata_get(a), len);
		tag[len - 1] = '\0';
	}
	return 0;
}

static int on_table(const struct nlmsghdr *nlh, void *data)
{
	struct ot_nft_table_info *info = data;
	struct nftnl_table *t = nftnl_table_alloc();
	const void *ud;
	uint32_t len = 0;

	if (!t)
		return MNL_CB_ERROR;
	if (nftnl_table_nlmsg_parse(nlh, t) == 0 && nftnl_table_is_set(t, NFTNL_TABLE_USERDATA)) {
		ud = nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, &len);
		if (ud && len)
			nftnl_udata_parse(ud, len, udata_comment, info->tag);
	}
	nftnl_table_free(t);
	return MNL_CB_OK;
}

static int on_count(const struct nlmsghdr *nlh, void *data)
{
	unsigned *n = data;

	(*n)++;
	return MNL_CB_OK;
}

static void reset_count(void *data)
{
	*(unsigned *)data = 0;
}

/* Dump chains or rules of one table and count them. */
static int count(struct ot_nl *nl, uint16_t type, const char *name, unsigned *ret,
		 struct ot_error *err)
{
	char buf[OT_NL_MSGSIZE] OT_NL_ALIGNED = {0};
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, type, NFPROTO_INET, NLM_F_DUMP, 0);

	if (type == NFT_MSG_GETRULE) {
		struct nftnl_rule *r = nftnl_rule_alloc();

		if (!r)
			return -ENOMEM;
		nftnl_rule_set_str(r, NFTNL_RULE_TABLE, name);
		nftnl_rule_nlmsg_build_payload(nlh, r);
		nftnl_rule_free(r);
	} else {
		struct nftnl_chain *c = nftnl_chain_alloc();

		if (!c)
			return -ENOMEM;
		nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, name);
		nftnl_chain_nlmsg_build_payload(nlh, c);
		nftnl_chain_free(c);
	}
	return ot_nl_dump(nl, nlh, on_count, ret, reset_count, err);
}

int ot_nft_table_get(struct ot_nl *nl, const char *name, bool with_count,
		     struct ot_nft_table_info *ret, struct ot_error *err)
{
	char buf[OT_NL_MSGSIZE] OT_NL_ALIGNED = {0};
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!t)
		return ot_error_set(err, -ENOMEM, "nft: out of memory");
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, name);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_INET, 0, 0);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	r = ot_nl_request(nl, nlh, on_table, ret, err);
	if (r < 0)
		return r;
	if (!with_count)
		return 0;
	r = count(nl, NFT_MSG_GETCHAIN, name, &ret->nchains, err);
	if (r == 0)
		r = count(nl, NFT_MSG_GETRULE, name, &ret->nrules, err);
	return r;
}

/*
 * plan_jsonw.c - the plan's canonical JSON written straight into a string
 * buffer (contract in plan_json.h: ot_plan_json_write).
 *
 * Why not jansson here: building a json_t tree costs a hash table per
 * object; a 1,000-node cluster's plans hold millions of objects and took
 * 15+ s to serialise that way, against well under a second streamed. The
 * output is byte for byte what json_dumps(ot_plan_to_json(p), JSON_SORT_KEYS
 * | JSON_INDENT(2) or JSON_COMPACT) gives (tests/unit/test_plan_text_json.c
 * checks it on every kind of field): keys are written in strcmp order, zero
 * values are omitted exactly as plan_json.c's writer omits them, strings are
 * escaped as jansson escapes them, and invalid UTF-8 is refused as jansson
 * refuses it.
 */
#include "plan/plan_json.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define JW_MAX_DEPTH 16
#define JW_BUF	     16384

struct jw {
	struct ot_strbuf *sb;
	bool pretty;
	int depth;
	bool first[JW_MAX_DEPTH];
	bool bad;	  /* invalid UTF-8 met */
	size_t n;	  /* bytes in buf, not yet in sb */
	char buf[JW_BUF]; /* small writes gather here (strbuf appends are calls) */
};

static void flush(struct jw *w)
{
	ot_sb_appendn(w->sb, w->buf, w->n);
	w->n = 0;
}

static inline void out(struct jw *w, const char *s, size_t n)
{
	if (w->n + n > JW_BUF) {
		flush(w);
		if (n > JW_BUF) {
			ot_sb_appendn(w->sb, s, n);
			return;
		}
	}
	memcpy(w->buf + w->n, s, n);
	w->n += n;
}

static inline void outc(struct jw *w, char c)
{
	if (w->n == JW_BUF)
		flush(w);
	w->buf[w->n++] = c;
}

static void out_u64(struct jw *w, unsigned long long v)
{
	char t[24];
	size_t n = sizeof(t);

	do
		t[--n] = (char)('0' + v % 10);
	while ((v /= 10));
	out(w, t + n, sizeof(t) - n);
}

static void out_int(struct jw *w, long long v)
{
	if (v < 0) {
		outc(w, '-');
		out_u64(w, 0ull - (unsigned long long)v);
	} else {
		out_u64(w, (unsigned long long)v);
	}
}

static void indent(struct jw *w, int depth)
{
	static const char spaces[] = "                                ";
	int n = depth * 2;

	if (!w->pretty)
		return;
	outc(w, '\n');
	while (n > 0) {
		int k = n < 32 ? n : 32;

		out(w, spaces, (size_t)k);
		n -= k;
	}
}

/* Length of a valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] < 0xC2 || s[0] > 0xF4)
		return 0;
	len = s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3 : 4;
	if (n < len)
		return 0;
	cp = s[0] & (0x7F >> len);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

/* Bytes copied as they are: printable ASCII but '"' and '\\'. */
static const bool plain[256] = {
    [' '] = 1, ['!'] = 1, ['#' ... '['] = 1, [']' ... '~'] = 1, [0x7f] = 1,
};

/* Does any of the 8 bytes of x need escaping or UTF-8 checking: < 0x20,
 * '"', '\\', or >= 0x80? (Bit tricks on 64-bit words.) */
static inline bool word_special(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	uint64_t lt20 = (x - ones * 0x20) & ~x;
	uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');

	return ((lt20 | ((q - ones) & ~q) | ((b - ones) & ~b)) & highs) || (x & highs);
}

static void str(struct jw *w, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;
	size_t k, n = strlen(s);
	char esc[8];

	/* the common case: nothing to escape, copied as is */
	for (k = 0; k + 8 <= n; k += 8) {
		uint64_t x;

		memcpy(&x, s + k, 8);
		if (word_special(x))
			break;
	}
	while (k < n && plain[p[k]])
		k++;
	if (k == n) {
		outc(w, '"');
		out(w, s, n);
		outc(w, '"');
		return;
	}

	outc(w, '"');
	while (*p) {
		if (plain[*p]) {
			p++;
			continue;
		}
		if (*p >= 0x80) {
			k = utf8_len(p, strlen((const char *)p));
			if (!k) {
				w->bad = true;
				return;
			}
			p += k;
			continue;
		}
		out(w, (const char *)run, (size_t)(p - run));
		switch (*p) {
		case '"':
			out(w, "\\\"", 2);
			break;
		case '\\':
			out(w, "\\\\", 2);
			break;
		case '\b':
			out(w, "\\b", 2);
			break;
		case '\f':
			out(w, "\\f", 2);
			break;
		case '\n':
			out(w, "\\n", 2);
			break;
		case '\r':
			out(w, "\\r", 2);
			break;
		case '\t':
			out(w, "\\t", 2);
			break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04X", (unsigned)*p);
			out(w, esc, 6);
			break;
		}
		run = ++p;
	}
	out(w, (const char *)run, (size_t)(p - run));
	outc(w, '"');
}

/* Before a value inside the current container (a key's value follows its
 * key, so only array elements and keys call this). */
static void item(struct jw *w)
{
	if (!w->first[w->depth])
		outc(w, ',');
	w->first[w->depth] = false;
	indent(w, w->depth);
}

static void open_(struct jw *w, char c)
{
	outc(w, c);
	if (w->depth + 1 >= JW_MAX_DEPTH) {
		w->bad = true;
		return;
	}
	w->first[++w->depth] = true;
}

static void close_(struct jw *w, char c)
{
	bool empty = w->first[w->depth];

	w->depth--;
	if (!empty)
		indent(w, w->depth);
	outc(w, c);
}

/* Keys are string literals, written with their quotes and colon in one
 * copy of a length known at compile time: K("name") is the pair
 * "\"name\":", 7. */
#define K(lit) "\"" lit "\":", sizeof(lit) + 2

static inline void key(struct jw *w, const char *quoted, size_t n)
{
	item(w);
	out(w, quoted, n);
	if (w->pretty)
		outc(w, ' ');
}

/* Members, each omitted at its zero value like plan_json.c's put_*(). */
static void m_str(struct jw *w, const char *k, size_t kn, const char *v)
{
	if (v && *v) {
		key(w, k, kn);
		str(w, v);
	}
}

static void m_str_always(struct jw *w, const char *k, size_t kn, const char *v)
{
	key(w, k, kn);
	str(w, v ? v : "");
}

static void m_int(struct jw *w, const char *k, size_t kn, long long v)
{
	if (v) {
		key(w, k, kn);
		out_int(w, v);
	}
}

static void m_true(struct jw *w, const char *k, size_t kn, bool v)
{
	if (v) {
		key(w, k, kn);
		out(w, "true", 4);
	}
}

/* IPv4 in dotted quad and MACs without printf; IPv6 via ot_addr_format. */
static void out_ipv4(struct jw *w, const struct ot_addr *a)
{
	char t[16];
	size_t n = 0;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned v = a->bytes[i];

		if (i)
			t[n++] = '.';
		if (v >= 100)
			t[n++] = (char)('0' + v / 100);
		if (v >= 10)
			t[n++] = (char)('0' + v / 10 % 10);
		t[n++] = (char)('0' + v % 10);
	}
	out(w, t, n);
}

static void out_addr(struct jw *w, const struct ot_addr *a)
{
	char buf[OT_ADDR_STRLEN];

	if (a->family != AF_INET) {
		ot_addr_format(a, buf, sizeof(buf));
		str(w, buf);
		return;
	}
	outc(w, '"');
	out_ipv4(w, a);
	outc(w, '"');
}

static void m_addr(struct jw *w, const char *k, size_t kn, const struct ot_addr *a)
{
	if (!a->family)
		return;
	key(w, k, kn);
	out_addr(w, a);
}

static void m_prefix(struct jw *w, const char *k, size_t kn, const struct ot_prefix *p)
{
	char buf[OT_PREFIX_STRLEN];

	if (!p->addr.family)
		return;
	key(w, k, kn);
	if (p->addr.family != AF_INET) {
		ot_prefix_format(p, buf, sizeof(buf));
		str(w, buf);
		return;
	}
	outc(w, '"');
	out_ipv4(w, &p->addr);
	outc(w, '/');
	out_u64(w, p->len);
	outc(w, '"');
}

static void out_mac(struct jw *w, const struct ot_mac *m)
{
	static const char hex[] = "0123456789abcdef";
	char t[19];
	int i;

	t[0] = '"';
	for (i = 0; i < 6; i++) {
		t[1 + 3 * i] = hex[m->b[i] >> 4];
		t[2 + 3 * i] = hex[m->b[i] & 15];
		t[3 + 3 * i] = i < 5 ? ':' : '"';
	}
	out(w, t, sizeof(t));
}

static void m_mac(struct jw *w, const char *k, size_t kn, const struct ot_mac *m)
{
	if (ot_mac_is_zero(m))
		return;
	key(w, k, kn);
	out_mac(w, m);
}

static void m_pair(struct jw *w, const char *k, size_t kn, long long a, long long b)
{
	key(w, k, kn);
	open_(w, '[');
	item(w);
	out_int(w, a);
	item(w);
	out_int(w, b);
	close_(w, ']');
}

static const char *ns_name(const struct ot_plan *p, int ns)
{
	return ns == OT_NS_HOST_INDEX ? "host" : p->ns[ns].name;
}

static const char *proto_name(uint8_t p)
{
	switch (p) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmpv6";
	}
	return "?";
}

static const char *type_name(enum ot_nft_chain_type t)
{
	return t == OT_NFT_FILTER ? "filter" : t == OT_NFT_NAT ? "nat" : "?";
}

/* ---- objects, keys in strcmp order ---- */

static void w_nft(struct jw *w, const struct ot_op_nft *n)
{
	static const char *const ct[] = {"new", "established", "related", "invalid"};
	size_t i;
	unsigned bit;
	int b;

	open_(w, '{');
	key(w, K("chains"));
	open_(w, '[');
	for (i = 0; i < n->nchains; i++) {
		const struct ot_nft_chain *c = &n->chains[i];

		item(w);
		open_(w, '{');
		m_str(w, K("hook"), ot_nft_hook_name(c->hook));
		m_str(w, K("name"), c->name);
		m_str(w, K("policy"), c->policy_drop ? "drop" : "accept");
		m_int(w, K("priority"), c->priority);
		m_str(w, K("type"), type_name(c->type));
		close_(w, '}');
	}
	close_(w, ']');
	key(w, K("rules"));
	open_(w, '[');
	for (i = 0; i < n->nrules; i++) {
		const struct ot_nft_rule *r = &n->rules[i];

		item(w);
		open_(w, '{');
		m_str(w, K("chain"), r->chain < n->nchains ? n->chains[r->chain].name : "");
		m_str(w, K("comment"), r->comment);
		m_true(w, K("counter"), r->counter);
		if (r->ct_state) {
			key(w, K("ct_state"));
			open_(w, '[');
			for (bit = 1, b = 0; bit <= OT_CT_INVALID; bit <<= 1, b++)
				if (r->ct_state & bit) {
					item(w);
					str(w, ct[b]);
				}
			close_(w, ']');
		}
		if (r->has_daddr)
			m_prefix(w, K("daddr"), &r->daddr);
		if (r->dport_lo || r->dport_hi)
			m_pair(w, K("dport"), r->dport_lo, r->dport_hi);
		if (r->family)
			m_str(w, K("family"),
			      r->family == AF_INET    ? "ip"
			      : r->family == AF_INET6 ? "ip6"
						      : "?");
		m_str(w, K("iif"), r->iif);
		m_addr(w, K("nat_addr"), &r->nat_addr);
		m_int(w, K("nat_port"), r->nat_port);
		m_str(w, K("oif"), r->oif);
		if (r->l4proto)
			m_str(w, K("proto"), proto_name(r->l4proto));
		if (r->has_saddr)
			m_prefix(w, K("saddr"), &r->saddr);
		if (r->sport_lo || r->sport_hi)
			m_pair(w, K("sport"), r->sport_lo, r->sport_hi);
		m_str(w, K("verdict"), ot_nft_verdict_name(r->verdict));
		close_(w, '}');
	}
	close_(w, ']');
	m_str(w, K("table"), n->table);
	close_(w, '}');
}

static void w_link(struct jw *w, const struct ot_plan *p, const struct ot_op *op)
{
	const struct ot_op_link *l = &op->link;

	m_str(w, K("alias"), l->alias);
	m_true(w, K("ipv6"), l->ipv6);
	m_str(w, K("kind"), ot_link_kind_name(l->kind));
	if (l->kind == OT_LINK_VXLAN) {
		m_true(w, K("learning"), l->learning);
		m_addr(w, K("local"), &l->local);
	}
	if (l->kind == OT_LINK_MACVLAN)
		m_str(w, K("lower"), l->lower);
	m_mac(w, K("mac"), &l->mac);
	m_str(w, K("master"), l->master);
	if (l->kind == OT_LINK_MACVLAN)
		m_str(w, K("mode"), ot_macvlan_mode_name(l->mode));
	m_int(w, K("mtu"), l->mtu);
	m_str(w, K("name"), l->name);
	m_str(w, K("ns"), ns_name(p, op->ns));
	m_str(w, K("op"), "link");
	m_str(w, K("origin"), op->origin);
	if (l->kind == OT_LINK_VETH) {
		key(w, K("peer"));
		open_(w, '{');
		m_str(w, K("alias"), l->peer_alias);
		m_true(w, K("ipv6"), l->peer_ipv6);
		m_mac(w, K("mac"), &l->peer_mac);
		m_str(w, K("master"), l->peer_master);
		m_str(w, K("name"), l->peer_name);
		m_str(w, K("ns"), ns_name(p, l->peer_ns));
		close_(w, '}');
	}
	if (l->kind == OT_LINK_VXLAN) {
		m_int(w, K("port"), l->port);
		m_str(w, K("sock_ns"), ns_name(p, l->sock_ns));
		m_int(w, K("vni"), l->vni);
	}
}

/* The common tail "ns", "op", "origin" of ops whose other keys sort first. */
static void w_tail(struct jw *w, const struct ot_plan *p, const struct ot_op *op)
{
	m_str(w, K("ns"), ns_name(p, op->ns));
	m_str(w, K("op"), ot_op_kind_name(op->kind));
	m_str(w, K("origin"), op->origin);
}

static void w_op(struct jw *w, const struct ot_plan *p, const struct ot_op *op)
{
	char dst[OT_PREFIX_STRLEN];

	open_(w, '{');
	switch (op->kind) {
	case OT_OP_NETNS:
		w_tail(w, p, op);
		break;
	case OT_OP_LINK:
		w_link(w, p, op);
		break;
	case OT_OP_LINK_UP:
		m_str(w, K("dev"), op->dev);
		w_tail(w, p, op);
		break;
	case OT_OP_ADDR:
		m_prefix(w, K("addr"), &op->addr.addr);
		m_str(w, K("dev"), op->addr.dev);
		w_tail(w, p, op);
		break;
	case OT_OP_ROUTE:
		m_str(w, K("dev"), op->route.dev);
		if (op->route.dst.len == 0)
			snprintf(dst, sizeof(dst), "default%s",
				 op->route.dst.addr.family == AF_INET6 ? "6" : "");
		else
			ot_prefix_format(&op->route.dst, dst, sizeof(dst));
		m_str(w, K("dst"), dst);
		m_int(w, K("metric"), op->route.metric);
		w_tail(w, p, op);
		m_addr(w, K("via"), &op->route.via);
		break;
	case OT_OP_FDB:
		m_str(w, K("dev"), op->fdb.dev);
		m_addr(w, K("dst"), &op->fdb.dst);
		m_str(w, K("dst_node"), op->fdb.dst_node);
		key(w, K("mac"));
		out_mac(w, &op->fdb.mac); /* always, all-zero for flooding */
		w_tail(w, p, op);
		break;
	case OT_OP_SYSCTL:
		m_str(w, K("key"), op->sysctl.key);
		w_tail(w, p, op);
		m_str_always(w, K("value"), op->sysctl.value);
		break;
	case OT_OP_NFT:
		key(w, K("nft"));
		w_nft(w, &op->nft);
		w_tail(w, p, op);
		break;
	case OT_OP_CGROUP:
		m_int(w, K("cpu_pct"), op->cgroup.cpu_pct);
		m_int(w, K("memory"), (long long)op->cgroup.memory);
		w_tail(w, p, op);
		m_str(w, K("path"), op->cgroup.path);
		m_int(w, K("pids"), op->cgroup.pids);
		break;
	case OT_OP__COUNT:
		w_tail(w, p, op);
		break;
	}
	close_(w, '}');
}

static void w_ns(struct jw *w, const struct ot_plan_ns *ns)
{
	static const char *const iso[] = {"net", "uts", "ipc", "pid", "mount", "cgroup"};
	unsigned bit;
	size_t i;
	int b;

	open_(w, '{');
	if (ns->role == OT_NS_CONTAINER) {
		m_str(w, K("cgroup"), ns->cgroup);
		m_str(w, K("container"), ns->container);
		m_str(w, K("hostname"), ns->hostname);
		key(w, K("isolate"));
		open_(w, '[');
		for (bit = 1, b = 0; bit <= OT_ISO_CGROUP; bit <<= 1, b++)
			if (ns->isolate & bit) {
				item(w);
				str(w, iso[b]);
			}
		close_(w, ']');
	}
	m_str(w, K("name"), ns->name);
	if (ns->role == OT_NS_CONTAINER && ns->nranks) {
		key(w, K("ranks"));
		open_(w, '[');
		for (i = 0; i < ns->nranks; i++) {
			item(w);
			open_(w, '[');
			item(w);
			out_u64(w, ns->ranks[i].first);
			item(w);
			out_u64(w, ns->ranks[i].last);
			close_(w, ']');
		}
		close_(w, ']');
	}
	m_str(w, K("role"), ot_ns_role_name(ns->role));
	close_(w, '}');
}

/* The teardown lines, as plan_json.c words them. */
static void w_teardown(struct jw *w, const struct ot_plan *p)
{
	size_t *td = NULL, n = 0, i;

	key(w, K("teardown"));
	open_(w, '[');
	if (ot_plan_teardown(p, &td, &n) < 0) {
		w->bad = true;
		n = 0;
	}
	for (i = 0; i < n; i++) {
		const struct ot_op *op = &p->ops[td[i]];
		char what[256];

		switch (op->kind) {
		case OT_OP_NETNS:
			snprintf(what, sizeof(what), "delete netns %s", p->ns[op->ns].name);
			break;
		case OT_OP_LINK:
			snprintf(what, sizeof(what), "delete link %s in %s",
				 op->ns == OT_NS_HOST_INDEX ? op->link.name : op->link.peer_name,
				 "host");
			break;
		case OT_OP_SYSCTL:
			snprintf(what, sizeof(what), "restore sysctl %s in %s", op->sysctl.key,
				 ns_name(p, op->ns));
			break;
		case OT_OP_NFT:
			snprintf(what, sizeof(what), "delete nft table inet %s in %s",
				 op->nft.table, ns_name(p, op->ns));
			break;
		case OT_OP_CGROUP:
			snprintf(what, sizeof(what), "remove cgroup %s", op->cgroup.path);
			break;
		default:
			snprintf(what, sizeof(what), "undo op %zu", td[i]);
			break;
		}
		item(w);
		str(w, what);
	}
	free(td);
	close_(w, ']');
}

static int write_plan(struct jw *wp, const struct ot_plan *p);

int ot_plan_json_write(const struct ot_plan *p, int pretty, int depth, struct ot_strbuf *sb)
{
	struct jw *wp, *w;
	int rc;

	if (depth < 0 || depth > 4)
		return -EINVAL;
	wp = malloc(sizeof(*wp));
	if (!wp)
		return -ENOMEM;
	w = wp;
	w->sb = sb;
	w->pretty = pretty != 0;
	w->depth = depth;
	w->bad = false;
	w->n = 0;
	rc = write_plan(w, p);
	flush(w);
	free(wp);
	if (rc < 0)
		return rc;
	return sb->oom ? -ENOMEM : 0;
}

static int write_plan(struct jw *wp, const struct ot_plan *p)
{
#define w (*wp)
	size_t i;
	int depth = w.depth;

	w.first[depth] = true;
	open_(&w, '{');
	m_str(&w, K("instance"), p->instance);
	key(&w, K("namespaces"));
	open_(&w, '[');
	for (i = 1; i < p->nns; i++) {
		item(&w);
		w_ns(&w, &p->ns[i]);
	}
	close_(&w, ']');
	m_str(&w, K("node"), p->node);
	m_int(&w, K("node_index"), p->node_index);
	key(&w, K("nodes"));
	open_(&w, '[');
	for (i = 0; i < p->nnodes; i++) {
		item(&w);
		open_(&w, '{');
		m_str(&w, K("name"), p->nodes[i].name);
		m_addr(&w, K("underlay"), &p->nodes[i].underlay);
		close_(&w, '}');
	}
	close_(&w, ']');
	key(&w, K("ops"));
	open_(&w, '[');
	for (i = 0; i < p->nops; i++) {
		item(&w);
		w_op(&w, p, &p->ops[i]);
	}
	close_(&w, ']');
	m_str(&w, K("prefix"), p->prefix);
	key(&w, K("probes"));
	open_(&w, '[');
	for (i = 0; i < p->nprobes; i++) {
		const struct ot_probe *pr = &p->probes[i];

		item(&w);
		open_(&w, '{');
		m_addr(&w, K("address"), &pr->to_addr);
		m_str(&w, K("expect"), pr->expect == OT_EXPECT_REACH ? "reach" : "blocked");
		m_str(&w, K("from"), p->ns[pr->from_ns].container);
		m_str(&w, K("to"), pr->to_container);
		m_str(&w, K("to_node"), pr->to_node);
		m_str(&w, K("why"), pr->why);
		close_(&w, '}');
	}
	close_(&w, ']');
	m_str(&w, K("schema"), OT_PLAN_SCHEMA);
	m_str(&w, K("source_digest"), p->source_digest);
	m_str(&w, K("state_dir"), p->state_dir);
	w_teardown(&w, p);
	m_str(&w, K("topology"), p->topology);
	if (p->underlay.family || p->underlay_mtu) {
		key(&w, K("underlay"));
		open_(&w, '{');
		m_addr(&w, K("address"), &p->underlay);
		m_int(&w, K("mtu"), p->underlay_mtu);
		close_(&w, '}');
	}
	close_(&w, '}');
	return w.bad ? -EINVAL : 0;
#undef w
}

/*
 * parse_stmt.c - the parser's option lists ("KEYWORD value" pairs in any
 * order) and the statements of network, container, firewall and nat
 * blocks. Internal to the parser (parse_int.h).
 */
#include "lang/parse_int.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lang/names.h"
#include "util/addr.h"
#include "util/strbuf.h"

/* ------------------------------------------------------------------ */
/* options: "KEYWORD value" pairs and bare keywords, in any order       */

static const struct optdef *find_opt(const struct optdef *defs, size_t n, const struct ot_token *t)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ps_tok_is(t, defs[i].kw))
			return &defs[i];
	return NULL;
}

bool ps_parse_opts(struct parser *p, const char *stmt, const struct optdef *defs, size_t n)
{
	for (;;) {
		const struct ot_token *t = ps_peek(p, OT_LEX_STMT);
		const struct optdef *o;
		struct ot_token kw;

		if (ps_at_end(t))
			return true;
		o = find_opt(defs, n, t);
		if (!o) {
			char buf[64], tmp[64];
			struct ot_suggest sg;
			struct ot_diag *g;
			size_t i;

			if (t->bad)
				return false;
			g = ot_diag_error(p->d, t->loc, "unexpected %s in '%s' statement",
					  ot_tok_describe(t, buf, sizeof(buf)), stmt);
			if (t->kind == OT_T_WORD && !t->templated && t->len < sizeof(tmp)) {
				memcpy(tmp, t->text, t->len);
				tmp[t->len] = '\0';
				ot_suggest_init(&sg, tmp);
				for (i = 0; i < n; i++)
					ot_suggest_add(&sg, defs[i].kw);
				if (ot_suggest_best(&sg))
					ot_diag_hint(g, "did you mean '%s'?", ot_suggest_best(&sg));
			}
			return false;
		}
		kw = ps_next(p, OT_LEX_STMT);
		switch (o->kind) {
		case OPT_WORD:
			if (*o->w) {
				struct ot_diag *g =
				    ot_diag_error(p->d, kw.loc, "duplicate '%s'", o->kw);

				ot_diag_note(g, (*o->w)->loc, "first given here");
				return false;
			}
			*o->w = ps_read_word(p, o->what);
			if (!*o->w)
				return false;
			break;
		case OPT_WORDS: {
			size_t before = o->wv->n;

			for (;;) {
				const struct ot_token *v = ps_peek(p, OT_LEX_WORD);
				struct ot_ast_word *w;
				struct ot_token vt;

				if (v->kind != OT_T_WORD || find_opt(defs, n, v))
					break;
				vt = ps_next(p, OT_LEX_WORD);
				w = ps_build_word(p, &vt, false);
				if (!w)
					return false;
				if (o->wv->n >= MAX_LIST_WORDS) {
					ot_diag_error(p->d, w->loc,
						      "too many values (the limit is %d)",
						      MAX_LIST_WORDS);
					return false;
				}
				if (!ps_wordvec_push(p, o->wv, w))
					return false;
			}
			if (o->wv->n == before) {
				ps_expected(p, ps_peek(p, OT_LEX_WORD), o->what);
				return false;
			}
			break;
		}
		case OPT_LIST:
			if (o->wv->n) {
				struct ot_diag *g =
				    ot_diag_error(p->d, kw.loc, "duplicate '%s'", o->kw);

				ot_diag_note(g, o->wv->v[0]->loc, "first given here");
				return false;
			}
			for (;;) {
				struct ot_ast_word *w = ps_read_word(p, o->what);

				if (!w)
					return false;
				if (o->wv->n >= OT_PORTS_MAX) {
					ot_diag_error(
					    p->d, w->loc,
					    "too many ports in one list (the limit is %d)",
					    OT_PORTS_MAX);
					return false;
				}
				if (!ps_wordvec_push(p, o->wv, w))
					return false;
				if (ps_peek(p, OT_LEX_WORD)->kind != OT_T_COMMA)
					break;
				ps_next(p, OT_LEX_WORD);
			}
			break;
		case OPT_CHOICE:
			if (*o->u8) {
				struct ot_diag *g =
				    ot_diag_error(p->d, kw.loc, "more than one %s", o->what);

				ot_diag_note(g, *o->loc, "first given here");
				return false;
			}
			*o->u8 = o->val;
			*o->loc = kw.loc;
			break;
		case OPT_FLAG:
			if (*o->flag) {
				ot_diag_error(p->d, kw.loc, "duplicate '%s'", o->kw);
				return false;
			}
			*o->flag = true;
			break;
		}
	}
}

/* ------------------------------------------------------------------ */
/* network block                                                        */

struct ot_ast_stmt *ps_subnet(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = ps_new_stmt(p, OT_A_SUBNET, kw);
	struct wordvec wv = {0};

	if (!st)
		return NULL;
	do {
		struct ot_ast_word *w = ps_read_word(p, "a subnet such as 10.0.0.0/24");

		if (!w || !ps_wordvec_push(p, &wv, w) || wv.n > 2) {
			if (w && wv.n > 2)
				ot_diag_error(
				    p->d, w->loc,
				    "a network has at most two subnets (one IPv4, one IPv6)");
			free(wv.v);
			return NULL;
		}
	} while (!ps_at_end(ps_peek(p, OT_LEX_STMT)));
	st->u.list.v = ps_wordvec_finish(p, &wv, &st->u.list.n);
	return st->u.list.v ? st : NULL;
}

static struct ot_ast_stmt *p_one_word(struct parser *p, const struct ot_token *kw,
				      enum ot_ast_kind kind, const char *what)
{
	struct ot_ast_stmt *st = ps_new_stmt(p, kind, kw);

	if (!st)
		return NULL;
	st->u.w = ps_read_word(p, what);
	return st->u.w ? st : NULL;
}

struct ot_ast_stmt *ps_vni(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	return p_one_word(p, kw, OT_A_VNI, "a VNI (1..16777215)");
}

struct ot_ast_stmt *ps_mtu(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	return p_one_word(p, kw, OT_A_MTU, "an MTU (68..65535)");
}

struct ot_ast_stmt *ps_bridge(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = ps_new_stmt(p, OT_A_BRIDGE, kw);

	if (!st || !ps_expect_kw(p, "always", "after 'bridge'"))
		return NULL;
	return st;
}

struct ot_ast_stmt *ps_uplink(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = ps_new_stmt(p, OT_A_UPLINK, kw);
	const struct ot_token *t;

	if (!st || !ps_expect_kw(p, "on", "and a node after 'uplink'"))
		return NULL;
	st->u.uplink.node = ps_read_node_word(p);
	if (!st->u.uplink.node || !ps_expect_kw(p, "address", "after the uplink's node"))
		return NULL;
	st->u.uplink.addr = ps_read_word(p, "an address with prefix length such as 10.0.0.1/24");
	if (!st->u.uplink.addr)
		return NULL;
	t = ps_peek(p, OT_LEX_STMT);
	if (ps_tok_is(t, "masquerade")) {
		ps_next(p, OT_LEX_STMT);
		st->u.uplink.masquerade = true;
		t = ps_peek(p, OT_LEX_STMT);
		if (ps_tok_is(t, "out")) {
			ps_next(p, OT_LEX_STMT);
			st->u.uplink.out = ps_read_word(p, "a host interface name");
			if (!st->u.uplink.out)
				return NULL;
		}
	}
	t = ps_peek(p, OT_LEX_STMT);
	if (!ps_at_end(t)) {
		ps_expected(p, t,
			    st->u.uplink.masquerade
				? (st->u.uplink.out ? "end of line" : "'out' or end of line")
				: "'masquerade' or end of line");
		return NULL;
	}
	return st;
}

/* ------------------------------------------------------------------ */
/* container block                                                      */

struct ot_ast_stmt *ps_isolate(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = ps_new_stmt(p, OT_A_ISOLATE, kw);
	size_t i;

	if (!st)
		return NULL;
	do {
		const struct ot_token *t = ps_peek(p, OT_LEX_STMT);
		const struct ot_isolate_kind *k = NULL;
		char buf[64];

		if (t->kind == OT_T_WORD && !t->templated) /* as ps_tok_is() */
			k = ot_isolate_kind_by_name(t->text, t->len);
		if (!k) {
			struct ot_diag *g =
			    ps_expected(p, t, "a namespace kind (net uts ipc pid mount cgroup)");
			struct ot_suggest sg;

			if (g && t->kind == OT_T_WORD && t->len < sizeof(buf)) {
				memcpy(buf, t->text, t->len);
				buf[t->len] = '\0';
				ot_suggest_init(&sg, buf);
				for (i = 0; i < OT_ISOLATE_NKINDS; i++)
					ot_suggest_add(&sg, ot_isolate_kinds[i].name);
				if (ot_suggest_best(&sg))
					ot_diag_hint(g, "did you mean '%s'?", ot_suggest_best(&sg));
			}
			return NULL;
		}
		if (st->u.isolate.mask & k->bit) {
			ot_diag_error(p->d, t->loc, "duplicate '%s'", k->name);
			return NULL;
		}
		st->u.isolate.mask |= k->bit;
		ps_next(p, OT_LEX_STMT);
	} while (!ps_at_end(ps_peek(p, OT_LEX_STMT)));
	return st;
}

struct ot_ast_stmt *ps_hostname(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	return p_one_word(p, kw, OT_A_HOSTNAME, "a host name");
}

static const struct {
	const char *kw;
	int mode;
} macvlan_modes[] = {
    {"bridge", OT_MACVLAN_BRIDGE},
    {"private", OT_MACVLAN_PRIVATE},
    {"vepa", OT_MACVLAN_VEPA},
    {"passthru", OT_MACVLAN_PASSTHRU},
};

struct ot_ast_stmt *ps_iface(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = ps_new_stmt(p, OT_A_IFACE, kw);
	struct ot_ast_word *mode = NULL;
	struct wordvec addrs = {0};
	struct optdef defs[10];
	const struct ot_token *t;
	size_t nd = 0, i;
	bool ok;

	if (!st)
		return NULL;
	st->u.iface.name = ps_read_word(p, "an interface name");
	if (!st->u.iface.name)
		return NULL;
	t = ps_peek(p, OT_LEX_STMT);
	if (ps_tok_is(t, "on")) {
		ps_next(p, OT_LEX_STMT);
		st->u.iface.kind = OT_AI_NET;
		st->u.iface.net = ps_read_word(p, "a network name");
		if (!st->u.iface.net)
			return NULL;
	} else if (ps_tok_is(t, "macvlan")) {
		ps_next(p, OT_LEX_STMT);
		st->u.iface.kind = OT_AI_MACVLAN;
		st->u.iface.lower = ps_read_word(p, "a host interface name");
		if (!st->u.iface.lower)
			return NULL;
		defs[nd++] =
		    (struct optdef){.kw = "mode",
				    .kind = OPT_WORD,
				    .what = "a macvlan mode (bridge private vepa passthru)",
				    .w = &mode};
	} else {
		st->u.iface.kind = OT_AI_LINK;
	}
	defs[nd++] = (struct optdef){.kw = "address",
				     .kind = OPT_WORDS,
				     .what = "an address such as 10.0.0.1/24",
				     .wv = &addrs};
	defs[nd++] = (struct optdef){.kw = "mac",
				     .kind = OPT_WORD,
				     .what = "a MAC address such as 02:00:00:00:00:01",
				     .w = &st->u.iface.mac};
	defs[nd++] = (struct optdef){
	    .kw = "mtu", .kind = OPT_WORD, .what = "an MTU (68..65535)", .w = &st->u.iface.mtu};
	nd += ps_shape_opts(st, defs + nd);
	ok = ps_parse_opts(p, "iface", defs, nd);
	st->u.iface.addrs = ps_wordvec_finish(p, &addrs, &st->u.iface.naddrs);
	if (!ok || !ps_shape_check(p, st))
		return NULL;
	st->u.iface.mode = OT_MACVLAN_BRIDGE;
	if (mode) {
		for (i = 0; i < NOPTS(macvlan_modes); i++)
			if (mode->lit && strcmp(mode->lit, macvlan_modes[i].kw) == 0)
				break;
		if (i == NOPTS(macvlan_modes)) {
			struct ot_diag *g = ot_diag_error(p->d, mode->loc, "unknown macvlan mode");

			ot_diag_hint(g, "the modes are bridge, private, vepa and passthru");
			return NULL;
		}
		st->u.iface.mode = macvlan_modes[i].mode;
	}
	return st;
}

struct ot_ast_stmt *ps_route(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = ps_new_stmt(p, OT_A_ROUTE, kw);
	struct optdef defs[3];
	const struct ot_token *t;

	if (!st)
		return NULL;
	t = ps_peek(p, OT_LEX_WORD);
	if (ps_tok_is(t, "default")) {
		ps_next(p, OT_LEX_WORD);
	} else if (ps_tok_is(t, "via") || ps_tok_is(t, "dev") || ps_tok_is(t, "metric")) {
		struct ot_diag *g = ps_expected(p, t, "'default' or a destination");

		ot_diag_hint(g, "route default via 10.0.0.1, or route 10.1.0.0/16 via 10.0.0.1");
		return NULL;
	} else {
		st->u.route.dst = ps_read_word(p, "'default' or a destination such as 10.1.0.0/16");
		if (!st->u.route.dst)
			return NULL;
	}
	defs[0] = (struct optdef){
	    .kw = "via", .kind = OPT_WORD, .what = "a gateway address", .w = &st->u.route.via};
	defs[1] = (struct optdef){
	    .kw = "dev", .kind = OPT_WORD, .what = "an interface name", .w = &st->u.route.dev};
	defs[2] = (struct optdef){
	    .kw = "metric", .kind = OPT_WORD, .what = "a metric", .w = &st->u.route.metric};
	if (!ps_parse_opts(p, "route", defs, NOPTS(defs)))
		return NULL;
	if (!st->u.route.via && !st->u.route.dev) {
		struct ot_diag *g = ot_diag_error(p->d, kw->loc,
						  "a route needs 'via ADDRESS' or "
						  "'dev INTERFACE'");

		ot_diag_hint(g, "route default via 10.0.0.1");
		return NULL;
	}
	return st;
}

struct ot_ast_stmt *ps_sysctl(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = ps_new_stmt(p, OT_A_SYSCTL, kw);
	struct wordvec wv = {0};
	const struct ot_token *t;

	if (!st)
		return NULL;
	st->u.sysctl.key = ps_read_word(p, "a sysctl key such as net.ipv4.tcp_ecn");
	if (!st->u.sysctl.key)
		return NULL;
	t = ps_peek(p, OT_LEX_STMT);
	if (t->kind != OT_T_EQ) {
		struct ot_diag *g = ps_expected(p, t, "'=' after the sysctl key");

		ot_diag_hint(g, "sysctl net.ipv4.tcp_ecn = 1");
		return NULL;
	}
	ps_next(p, OT_LEX_STMT);
	for (;;) {
		struct ot_ast_word *w;
		struct ot_token vt;

		t = ps_peek(p, OT_LEX_WORD);
		if (ps_at_end(t))
			break;
		if (t->kind != OT_T_WORD && t->kind != OT_T_STRING) {
			ps_expected(p, t, "a sysctl value");
			free(wv.v);
			return NULL;
		}
		vt = ps_next(p, OT_LEX_WORD);
		w = vt.kind == OT_T_STRING ? ps_string_word(p, &vt) : ps_build_word(p, &vt, false);
		if (!w || wv.n >= 64 || !ps_wordvec_push(p, &wv, w)) {
			if (w && wv.n >= 64)
				ot_diag_error(p->d, w->loc, "too many words in a sysctl value");
			free(wv.v);
			return NULL;
		}
	}
	if (!wv.n) {
		ps_expected(p, t, "a sysctl value");
		return NULL;
	}
	st->u.sysctl.vals = ps_wordvec_finish(p, &wv, &st->u.sysctl.nvals);
	return st->u.sysctl.vals ? st : NULL;
}

struct ot_ast_stmt *ps_flag(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	return ps_new_stmt(p, OT_A_FORWARD, kw);
}

struct ot_ast_stmt *ps_firewall(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = ps_new_stmt(p, OT_A_FIREWALL, kw);

	if (!st || !ps_opt_block(p, st, CTX_FIREWALL, true, "'firewall'"))
		return NULL;
	return st;
}

struct ot_ast_stmt *ps_nat(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = ps_new_stmt(p, OT_A_NAT, kw);

	if (!st || !ps_opt_block(p, st, CTX_NAT, true, "'nat'"))
		return NULL;
	return st;
}

struct ot_ast_stmt *ps_limit(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = ps_new_stmt(p, OT_A_LIMIT, kw);
	struct optdef defs[3];

	if (!st)
		return NULL;
	if (ps_tok_is(ps_peek(p, OT_LEX_STMT), "io"))
		return ps_limit_io(p, st) ? st : NULL;
	defs[0] = (struct optdef){.kw = "cpu",
				  .kind = OPT_WORD,
				  .what = "a CPU share such as 50%",
				  .w = &st->u.limit.cpu};
	defs[1] = (struct optdef){.kw = "memory",
				  .kind = OPT_WORD,
				  .what = "a memory size such as 256M",
				  .w = &st->u.limit.memory};
	defs[2] = (struct optdef){.kw = "pids",
				  .kind = OPT_WORD,
				  .what = "a number of processes",
				  .w = &st->u.limit.pids};
	if (ps_at_end(ps_peek(p, OT_LEX_STMT))) {
		ps_expected(p, ps_peek(p, OT_LEX_STMT), "'cpu', 'memory', 'pids' or 'io'");
		return NULL;
	}
	return ps_parse_opts(p, "limit", defs, NOPTS(defs)) ? st : NULL;
}

struct ot_ast_stmt *ps_ranks(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = ps_new_stmt(p, OT_A_RANKS, kw);
	struct wordvec wv = {0};

	if (!st)
		return NULL;
	for (;;) {
		struct ot_ast_word *w = ps_read_word(p, "a rank or a range of ranks such as 0..3");

		if (!w || wv.n >= MAX_LIST_WORDS || !ps_wordvec_push(p, &wv, w)) {
			if (w && wv.n >= MAX_LIST_WORDS)
				ot_diag_error(p->d, w->loc, "too many values (the limit is %d)",
					      MAX_LIST_WORDS);
			free(wv.v);
			return NULL;
		}
		if (ps_peek(p, OT_LEX_STMT)->kind != OT_T_COMMA)
			break;
		ps_next(p, OT_LEX_STMT);
	}
	st->u.list.v = ps_wordvec_finish(p, &wv, &st->u.list.n);
	return st->u.list.v ? st : NULL;
}

/* ------------------------------------------------------------------ */
/* firewall and nat blocks                                              */

static const struct {
	const char *kw;
	enum ot_ast_dir dir;
} dir_kws[] = {
    {"in", OT_AD_IN},
    {"out", OT_AD_OUT},
    {"forward", OT_AD_FORWARD},
};

static bool read_dir(struct parser *p, enum ot_ast_dir *ret)
{
	const struct ot_token *t = ps_peek(p, OT_LEX_STMT);
	size_t i;

	for (i = 0; i < NOPTS(dir_kws); i++) {
		if (ps_tok_is(t, dir_kws[i].kw)) {
			ps_next(p, OT_LEX_STMT);
			*ret = dir_kws[i].dir;
			return true;
		}
	}
	ps_expected(p, t, "a direction: 'in', 'out' or 'forward'");
	return false;
}

static const struct {
	const char *kw;
	enum ot_ast_action action;
} action_kws[] = {
    {"allow", OT_AA_ALLOW},
    {"drop", OT_AA_DROP},
    {"reject", OT_AA_REJECT},
};

struct ot_ast_stmt *ps_rule(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = ps_new_stmt(p, OT_A_RULE, kw);
	const char *name = "allow";
	struct wordvec sports = {0}, dports = {0};
	struct optdef defs[12];
	size_t i, nd = 0;
	bool ok;

	if (!st)
		return NULL;
	for (i = 0; i < NOPTS(action_kws); i++) {
		if (ps_tok_is(kw, action_kws[i].kw)) {
			st->u.rule.action = action_kws[i].action;
			name = action_kws[i].kw;
		}
	}
	if (!read_dir(p, &st->u.rule.dir))
		return NULL;
#define CHOICE(k, field, v, w)                                                                     \
	defs[nd++] = (struct optdef){.kw = k,                                                      \
				     .kind = OPT_CHOICE,                                           \
				     .what = w,                                                    \
				     .u8 = &st->u.rule.field,                                      \
				     .val = v,                                                     \
				     .loc = &st->u.rule.field##_loc}
	CHOICE("ip", family, AF_INET, "address family");
	CHOICE("ip6", family, AF_INET6, "address family");
	CHOICE("tcp", proto, IPPROTO_TCP, "protocol");
	CHOICE("udp", proto, IPPROTO_UDP, "protocol");
	CHOICE("icmp", proto, IPPROTO_ICMP, "protocol");
	CHOICE("icmpv6", proto, IPPROTO_ICMPV6, "protocol");
#undef CHOICE
	defs[nd++] = (struct optdef){
	    .kw = "from", .kind = OPT_WORD, .what = "an address or prefix", .w = &st->u.rule.from};
	defs[nd++] = (struct optdef){
	    .kw = "to", .kind = OPT_WORD, .what = "an address or prefix", .w = &st->u.rule.to};
	defs[nd++] = (struct optdef){.kw = "sport",
				     .kind = OPT_LIST,
				     .what = "a port, a range P-Q, or a list 80,443,8000-8100",
				     .wv = &sports};
	defs[nd++] = (struct optdef){.kw = "dport",
				     .kind = OPT_LIST,
				     .what = "a port, a range P-Q, or a list 80,443,8000-8100",
				     .wv = &dports};
	defs[nd++] = (struct optdef){
	    .kw = "iif", .kind = OPT_WORD, .what = "an interface name", .w = &st->u.rule.iif};
	defs[nd++] = (struct optdef){
	    .kw = "oif", .kind = OPT_WORD, .what = "an interface name", .w = &st->u.rule.oif};
	ok = ps_parse_opts(p, name, defs, nd);
	st->u.rule.sports = ps_wordvec_finish(p, &sports, &st->u.rule.nsports);
	st->u.rule.dports = ps_wordvec_finish(p, &dports, &st->u.rule.ndports);
	return ok ? st : NULL;
}

struct ot_ast_stmt *ps_policy(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = ps_new_stmt(p, OT_A_POLICY, kw);
	const struct ot_token *t;

	if (!st || !read_dir(p, &st->u.policy.dir))
		return NULL;
	t = ps_peek(p, OT_LEX_STMT);
	if (ps_tok_is(t, "drop")) {
		st->u.policy.drop = true;
	} else if (!ps_tok_is(t, "accept")) {
		ps_expected(p, t, "'drop' or 'accept'");
		return NULL;
	}
	ps_next(p, OT_LEX_STMT);
	return st;
}

struct ot_ast_stmt *ps_natrule(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st;
	struct wordvec dports = {0};
	struct optdef defs[6];
	size_t nd = 0;
	enum ot_ast_kind k;
	const char *name;
	bool ok;

	if (ps_tok_is(kw, "masquerade")) {
		k = OT_A_MASQUERADE;
		name = "masquerade";
	} else if (ps_tok_is(kw, "snat")) {
		k = OT_A_SNAT;
		name = "snat";
	} else {
		k = OT_A_DNAT;
		name = "dnat";
	}
	st = ps_new_stmt(p, k, kw);
	if (!st)
		return NULL;
	defs[nd++] = (struct optdef){.kw = k == OT_A_DNAT ? "in" : "out",
				     .kind = OPT_WORD,
				     .what = "an interface name",
				     .w = &st->u.nat.ifname};
	if (k != OT_A_DNAT)
		defs[nd++] = (struct optdef){.kw = "from",
					     .kind = OPT_WORD,
					     .what = "an address or prefix",
					     .w = &st->u.nat.from};
	if (k != OT_A_MASQUERADE)
		defs[nd++] = (struct optdef){.kw = "to",
					     .kind = OPT_WORD,
					     .what = k == OT_A_DNAT ? "an address or ADDRESS:PORT"
								    : "an address",
					     .w = &st->u.nat.to};
	if (k == OT_A_DNAT) {
		defs[nd++] = (struct optdef){.kw = "tcp",
					     .kind = OPT_CHOICE,
					     .what = "protocol",
					     .u8 = &st->u.nat.proto,
					     .val = IPPROTO_TCP,
					     .loc = &st->u.nat.proto_loc};
		defs[nd++] = (struct optdef){.kw = "udp",
					     .kind = OPT_CHOICE,
					     .what = "protocol",
					     .u8 = &st->u.nat.proto,
					     .val = IPPROTO_UDP,
					     .loc = &st->u.nat.proto_loc};
		defs[nd++] =
		    (struct optdef){.kw = "dport",
				    .kind = OPT_LIST,
				    .what = "a port, a range P-Q, or a list 80,443,8000-8100",
				    .wv = &dports};
	}
	ok = ps_parse_opts(p, name, defs, nd);
	st->u.nat.dports = ps_wordvec_finish(p, &dports, &st->u.nat.ndports);
	if (!ok)
		return NULL;
	if (k != OT_A_MASQUERADE && !st->u.nat.to) {
		struct ot_diag *g = ot_diag_error(p->d, kw->loc, "'%s' needs 'to ADDRESS'", name);

		if (k == OT_A_DNAT)
			ot_diag_hint(g, "dnat in eth0 tcp dport 80 to 10.0.0.5:8080");
		else
			ot_diag_hint(g, "snat out eth0 to 198.51.100.7");
		return NULL;
	}
	return st;
}
